import type { AddressInfo } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import type { CheckpointFs, ManifestLimits } from '@jvae/artifacts';
import { binCommand, Reconciler, SweepScheduler, TrialQueue, TrialSupply, WorkerPool } from '@jvae/orchestration';
import {
  loadConfig,
  loadProtos,
  parseHostPort,
  rejectMalformedRequests,
  serveHealthAndReflection,
  serverCredentials,
  strictService,
  type JvaeConfig,
} from '@jvae/protocol';
import { SweepStore, WorkerRegistry } from '@jvae/store';
import { ArtifactStore } from './artifacts/artifact-store.js';
import { CheckpointTransfer } from './checkpoint-transfer.js';
import { CoordinatorMetrics } from './coordinator-metrics.js';
import { CoordinatorService, MAX_LOCAL_WORKERS } from './coordinator-service.js';
import { createHttpApp } from './http-app.js';
import { CheckpointTraversalRenderer } from './traversals/checkpoint-traversal-renderer.js';
import { TrialTraversals } from './traversals/trial-traversals.js';

const SERVICE = 'jvae.v1.Coordinator';
/**
 * Largest request message. Far above the spec's own limit (1 MiB), so that an oversized spec is
 * answered by the spec check rather than the transport; upload chunks are 64 KiB.
 */
const MAX_REQUEST_BYTES = 64 << 20;
/** Where local workers run, so that relative dataset paths in specs mean the same wherever the coordinator was started. */
const WORKSPACE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Settings; anything left out comes from the environment (loadConfig: REDIS_URL, JVAE_PREFIX,
 * JVAE_COORDINATOR, JVAE_HTTP, JVAE_TOKEN, JVAE_ARTIFACTS, JVAE_BACKEND, JVAE_TLS_*, JVAE_MAX_WATCHES).
 * `coordinator` and `http` are the addresses to listen on; port 0 picks a free port.
 */
export interface CoordinatorOptions extends Partial<JvaeConfig> {
  /** Local worker processes to run; absent = none, and ScaleWorkers fails (scaling is external). */
  workers?: number;
  /** A local worker's command line (default the `jvae-worker` command of this installation). */
  workerCommand?: readonly string[];
  /** Environment the defaults are read from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Checkpoints kept per trial (default 2). */
  keepCheckpoints?: number;
  uploadLimits?: ManifestLimits;
  /** The file operations uploads are written with (default node:fs/promises); tests make them fail. */
  artifactFs?: CheckpointFs;
  /** How often the queue is checked against the store (default 30 s). */
  reconcileIntervalMs?: number;
  /** Worker heartbeat period the registry expects (default 2 s). */
  heartbeatMs?: number;
  /** Where log lines go (default stderr). */
  log?: (line: string) => void;
}

export interface RunningCoordinator {
  /** The bound gRPC address, host:port. */
  grpcAddress: string;
  /** The bound HTTP address, host:port. */
  httpAddress: string;
  /** Stops the workers it started, the servers and the background loops, and disconnects. */
  close(): Promise<void>;
}

/**
 * Starts the coordinator: reconciles the queue with the store (a restarted coordinator picks
 * up where the last one stopped), then serves gRPC and HTTP, consumes trial events (ASHA,
 * sweep completion) and, with `workers`, runs a local worker pool.
 */
export async function startCoordinator(options: CoordinatorOptions = {}): Promise<RunningCoordinator> {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const config: JvaeConfig = { ...loadConfig(options.env ?? process.env), ...defined };
  const log = options.log ?? ((line: string) => process.stderr.write(`[coordinator] ${line}\n`));
  const grpcBind = parseHostPort(config.coordinator, 'JVAE_COORDINATOR');
  const httpBind = parseHostPort(config.http, 'JVAE_HTTP');
  if (options.workers !== undefined && !(Number.isSafeInteger(options.workers) && options.workers >= 0 && options.workers <= MAX_LOCAL_WORKERS)) {
    throw new RangeError(`workers must be an integer from 0 to ${MAX_LOCAL_WORKERS} (got ${options.workers})`);
  }

  const connections: Redis[] = [];
  const connect = (extra: { maxRetriesPerRequest?: null } = {}) => {
    const redis = new Redis(config.redisUrl, { ...extra, lazyConnect: false });
    let lastError = '';
    redis.on('error', (error: Error) => {
      if (error.message !== lastError) log(`redis: ${error.message}`);
      lastError = error.message;
    });
    redis.on('ready', () => (lastError = ''));
    connections.push(redis);
    return redis;
  };
  const redis = connect();
  const cleanup: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const step of cleanup.reverse()) await step().catch((error: unknown) => log(`shutdown: ${String(error)}`));
    cleanup.length = 0;
    for (const connection of connections) connection.disconnect();
  };

  try {
    await redis.ping();
    const store = new SweepStore(redis, config.prefix);
    const registry = new WorkerRegistry(redis, config.prefix, { heartbeatMs: options.heartbeatMs });
    const queue = new TrialQueue(connect({ maxRetriesPerRequest: null }), config.prefix);
    cleanup.push(() => queue.close());
    const artifacts = new ArtifactStore(config.artifacts, options.artifactFs);
    const transfer = new CheckpointTransfer(store, artifacts, { keep: options.keepCheckpoints ?? 2, limits: options.uploadLimits });

    const supply = new TrialSupply(store, queue);
    const reconciler = new Reconciler(store, queue, supply, log);
    await reconciler.run();
    reconciler.every(options.reconcileIntervalMs ?? 30_000);
    cleanup.push(() => reconciler.stop());

    const scheduler = new SweepScheduler(store, connect(), { log, supply, checkpoints: artifacts });
    await scheduler.start();
    cleanup.push(() => scheduler.stop());

    // Filled in once the gRPC port is bound, before the first worker starts.
    const workerEnv: Record<string, string | undefined> = {};
    const pool =
      options.workers === undefined
        ? undefined
        : new WorkerPool({ command: options.workerCommand ?? binCommand('jvae-worker', WORKSPACE_ROOT), cwd: WORKSPACE_ROOT, env: workerEnv, log });
    if (pool) cleanup.push(() => pool.stop());

    const server = new grpc.Server({ interceptors: [rejectMalformedRequests], 'grpc.max_receive_message_length': MAX_REQUEST_BYTES });
    const service = new CoordinatorService({
      store,
      registry,
      queue,
      supply,
      transfer,
      pool,
      redis,
      token: config.token,
      maxWatches: config.maxWatches,
      log,
    });
    server.addService(strictService(loadProtos().proto.jvae.v1.Coordinator.service), service.handlers());
    const health = serveHealthAndReflection(server, [SERVICE]);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${grpcBind.host}:${grpcBind.port}`, serverCredentials(config.tls), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    const grpcAddress = `${grpcBind.host}:${port}`;
    cleanup.push(async () => {
      health.setStatus(SERVICE, 'NOT_SERVING');
      health.setStatus('', 'NOT_SERVING');
      await shutdown(server);
    });

    const metrics = new CoordinatorMetrics({ store, workers: registry, queue, pool });
    const traversals = new TrialTraversals(store, artifacts, new CheckpointTraversalRenderer(config.backend));
    const app = createHttpApp({ store, registry, queue, metrics, traversals, redis, token: config.token, log });
    const http = await new Promise<HttpServer>((resolve, reject) => {
      const listening = app.listen(httpBind.port, httpBind.host.replace(/^\[|\]$/g, ''), () => resolve(listening));
      listening.once('error', reject);
    });
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        }),
    );
    const httpAddress = `${httpBind.host}:${(http.address() as AddressInfo).port}`;

    if (pool) {
      Object.assign(workerEnv, {
        REDIS_URL: config.redisUrl,
        JVAE_PREFIX: config.prefix,
        JVAE_COORDINATOR: reachable(grpcAddress),
        JVAE_TOKEN: config.token,
        JVAE_BACKEND: config.backend,
        JVAE_TLS_CA: config.tls?.ca,
      });
      pool.scale(options.workers!);
    }
    log(`serving gRPC on ${grpcAddress}, HTTP on ${httpAddress}, prefix '${config.prefix}', artifacts ${artifacts.root}`);
    return { grpcAddress, httpAddress, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Workers on this machine reach a wildcard address through loopback. */
function reachable(address: string): string {
  return address.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '[::1]:');
}

/** Lets calls finish for a moment, then cuts the rest (watch streams never finish on their own). */
function shutdown(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 2000);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
