import { hostname, tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { ConfigError, checkId, envInteger, envValue, loadGradSyncSettings, type Env, type GradSyncSettings } from '@jvae/protocol';

/** The worker's own settings, besides the shared ones of `loadConfig` (REDIS_URL, JVAE_PREFIX, ...). */
export interface WorkerSettings {
  /** JVAE_WORKER_ID: the id in the worker registry; default `<host>-<pid>`. */
  id: string;
  /** JVAE_THREADS: compute threads per trial (0 = one per core); unset lets each trial's config decide. */
  threads?: number;
  /** JVAE_LOCK_MS: how long a job stays locked without renewal before it counts as stalled (default 30 000). */
  lockMs: number;
  /** JVAE_STALLED_MS: how often stalled jobs are looked for and put back in the queue (default lockMs / 2). */
  stalledMs: number;
  /** JVAE_WORK_DIR: where per-trial temporary directories are made (default the OS temp dir). */
  workDir: string;
  /** JVAE_GRADSYNC_LISTEN / JVAE_GRADSYNC_HOST: the ring server of data-parallel trials. */
  gradsync: GradSyncSettings;
  /** JVAE_RING_TIMEOUT_MS: silence after which a ring peer counts as gone (default 30 000). */
  ringTimeoutMs: number;
  /** JVAE_GANG_JOIN_MS: how long a leader waits for `replicas.max` members before starting with `replicas.min` (default 10 000). */
  gangJoinMs: number;
  /** JVAE_HEARTBEAT_MS: how often the worker heartbeats in the registry (default 2000); three missed ones make it lost. */
  heartbeatMs: number;
  /** JVAE_RETRY_DELAY_MS: how long a failed trial that the spec's max_failures retries waits in the queue first (default 5000). */
  retryDelayMs: number;
}

/** A registry id from the host name and pid, with anything an id may not hold replaced. */
function defaultId(): string {
  return `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 128);
}

/** Reads and validates the worker's settings; a bad value throws ConfigError naming the variable. */
export function readWorkerSettings(env: Env = process.env): WorkerSettings {
  const id = envValue(env, 'JVAE_WORKER_ID') ?? defaultId();
  try {
    checkId('worker', id);
  } catch (err) {
    throw new ConfigError('JVAE_WORKER_ID', (err as Error).message);
  }
  const lockMs = envInteger(env, 'JVAE_LOCK_MS', 1000) ?? 30_000;
  const stalledMs = envInteger(env, 'JVAE_STALLED_MS', 500) ?? Math.round(lockMs / 2);
  const threads = envInteger(env, 'JVAE_THREADS', 0);
  return {
    id,
    lockMs,
    stalledMs,
    workDir: resolve(envValue(env, 'JVAE_WORK_DIR') ?? tmpdir()),
    gradsync: loadGradSyncSettings(env),
    ringTimeoutMs: envInteger(env, 'JVAE_RING_TIMEOUT_MS', 1000) ?? 30_000,
    gangJoinMs: envInteger(env, 'JVAE_GANG_JOIN_MS', 0) ?? 10_000,
    heartbeatMs: envInteger(env, 'JVAE_HEARTBEAT_MS', 100) ?? 2000,
    retryDelayMs: envInteger(env, 'JVAE_RETRY_DELAY_MS', 0) ?? 5000,
    ...(threads === undefined ? {} : { threads }),
  };
}
