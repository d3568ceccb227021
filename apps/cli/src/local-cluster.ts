/**
 * Everything `jvae up` and `jvae demo` run on this machine: Redis (reused or
 * spawned), the coordinator process (`jvae-coordinator --workers N`) and the
 * local worker pool it runs. `stop()` ends them in order (workers and
 * coordinator, then a spawned Redis).
 */
import { createServer } from 'node:net';
import { CoordinatorProcess } from '@jvae/orchestration';
import { parseHostPort } from '@jvae/protocol';
import { LocalRedis, redactUrl } from '@jvae/store';

export interface LocalClusterOptions {
  /** Local worker processes. */
  workers: number;
  /** gRPC and HTTP addresses to listen on (host:port; port 0 picks a free one). */
  grpc: string;
  http: string;
  /** Key prefix in Redis (JVAE_PREFIX). */
  prefix: string;
  /** REDIS_URL as the user set it; unset means reuse or spawn a local Redis. */
  redisUrl?: string;
  /** Where a spawned Redis keeps its append-only file; unset: it persists nothing. */
  redisDataDir?: string;
  log: (line: string) => void;
}

export class LocalCluster {
  private stopped: Promise<void> | null = null;

  private constructor(
    readonly redis: LocalRedis,
    private readonly coordinator: CoordinatorProcess,
    readonly prefix: string,
    readonly workers: number,
  ) {}

  get grpcAddress(): string {
    return this.coordinator.grpcAddress;
  }

  get httpAddress(): string {
    return this.coordinator.httpAddress;
  }

  /** Resolves once the coordinator has exited (`code N` or a signal's name), whether asked to or not. */
  get exited(): Promise<string> {
    return this.coordinator.exited;
  }

  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    await checkFree(options.grpc, '--grpc (JVAE_COORDINATOR)');
    await checkFree(options.http, '--http (JVAE_HTTP)');
    const redis = await LocalRedis.acquire({ url: options.redisUrl, dataDir: options.redisDataDir });
    const keeps = redis.persistent ? `its append-only file is in ${redis.dir}` : 'it keeps nothing after exit';
    options.log(redis.spawned ? `redis: started redis-server (pid ${redis.pid}) at ${redis.url}; ${keeps}` : `redis: using ${redactUrl(redis.url)}`);
    try {
      // Its settings besides these (token, artifacts, backend, TLS) come from this environment.
      const coordinator = await CoordinatorProcess.start({
        args: ['--workers', String(options.workers)],
        env: { REDIS_URL: redis.url, JVAE_PREFIX: options.prefix, JVAE_COORDINATOR: options.grpc, JVAE_HTTP: options.http },
        stdout: process.stdout,
        stderr: process.stderr,
      });
      return new LocalCluster(redis, coordinator, options.prefix, options.workers);
    } catch (err) {
      await redis.stop();
      throw err;
    }
  }

  /** Stops workers, coordinator and a spawned Redis; safe to call more than once. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      try {
        await this.coordinator.stop();
      } finally {
        await this.redis.stop();
      }
    })();
    return this.stopped;
  }
}

/** True when nothing listens on `hostPort` yet (always for port 0). */
export async function isFree(hostPort: string): Promise<boolean> {
  const { host, port } = parseHostPort(hostPort, 'address');
  if (port === 0) return true;
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host.replace(/^\[|\]$/g, ''), () => probe.close(() => resolve(true)));
  });
}

async function checkFree(hostPort: string, flag: string): Promise<void> {
  if (!(await isFree(hostPort))) {
    throw new Error(`${hostPort} is already in use (another 'jvae up' or 'jvae demo'?); stop it or pick another address with ${flag}`);
  }
}
