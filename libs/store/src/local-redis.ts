/**
 * The Redis a local pool (`jvae up`, `jvae demo`) and the test runner use: the one
 * at REDIS_URL (or 127.0.0.1:6379) when it answers PING, otherwise a `redis-server`
 * from PATH on a free loopback port. A spawned server either keeps an append-only
 * file in a data directory the caller names (kept after stop) or runs in a
 * temporary directory and persists nothing (removed by stop). A reused Redis is
 * left alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { DEFAULT_REDIS_URL } from '@jvae/protocol';

/** No usable Redis and no way to start one; the message says how to get one. */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

export interface LocalRedisOptions {
  /** REDIS_URL when the user set it: then only that Redis is used, never a spawned one. */
  url?: string;
  /** Where to look for a running local Redis when no URL is given (default redis://127.0.0.1:6379). */
  localUrl?: string;
  /** The server binary (default `redis-server`, looked up on PATH). */
  serverBinary?: string;
  /** How long a spawned server may take to answer PING (default 10 s). */
  startTimeoutMs?: number;
  /**
   * Where a spawned server keeps its append-only file, so that a restarted server
   * finds its data again; created if missing and kept by stop(). Unset: a temporary
   * directory, removed by stop(), nothing persisted.
   */
  dataDir?: string;
}

export class LocalRedis {
  private exitHook: (() => void) | null = null;

  private constructor(
    /** The URL to give every component. */
    readonly url: string,
    private readonly server: ChildProcess | null,
    /** The spawned server's working directory; null for a reused Redis. */
    readonly dir: string | null,
    /** True when `dir` holds an append-only file that outlives the server. */
    readonly persistent: boolean,
  ) {
    if (server) {
      // Last resort if this process exits without stop(): never leave the server behind.
      this.exitHook = () => server.kill('SIGKILL');
      process.once('exit', this.exitHook);
    }
  }

  /** True when this object started the server (and stop() will end it). */
  get spawned(): boolean {
    return this.server !== null;
  }

  /** The spawned server's process id. */
  get pid(): number | undefined {
    return this.server?.pid;
  }

  static async acquire(options: LocalRedisOptions = {}): Promise<LocalRedis> {
    if (options.url) {
      if (await answersPing(options.url)) return new LocalRedis(options.url, null, null, false);
      throw new RedisUnavailableError(
        `no Redis answers at REDIS_URL=${redactUrl(options.url)}. Start it, fix REDIS_URL, ` +
          `or unset REDIS_URL to use (or spawn) a local one.`,
      );
    }
    const localUrl = options.localUrl ?? DEFAULT_REDIS_URL;
    if (await answersPing(localUrl)) return new LocalRedis(localUrl, null, null, false);
    return LocalRedis.spawn(localUrl, options.serverBinary ?? 'redis-server', options.startTimeoutMs ?? 10_000, options.dataDir);
  }

  private static async spawn(localUrl: string, binary: string, timeoutMs: number, dataDir?: string): Promise<LocalRedis> {
    const port = await freePort();
    const persistent = dataDir !== undefined;
    const dir = persistent ? dataDir : await mkdtemp(join(tmpdir(), 'jvae-redis-'));
    if (persistent) await mkdir(dir, { recursive: true });
    const removeDir = () => (persistent ? Promise.resolve() : rm(dir, { recursive: true, force: true }));
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', persistent ? 'yes' : 'no', '--dir', dir];
    // Its own process group: Ctrl-C reaches this process only, which stops the pool first and Redis last.
    const server = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const keep = (data: Buffer) => {
      output = (output + data.toString('utf8')).slice(-2000);
    };
    server.stdout!.on('data', keep);
    server.stderr!.on('data', keep);
    const url = `redis://127.0.0.1:${port}`;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('spawn', resolve);
        server.once('error', reject);
      });
      await waitUntilReady(url, server, timeoutMs, () => output);
      server.on('error', () => undefined);
    } catch (err) {
      server.kill('SIGKILL');
      await removeDir();
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new RedisUnavailableError(
          `no Redis answers at ${localUrl} and '${binary}' is not on PATH. Install Redis ` +
            `(Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL to a running one.`,
        );
      }
      throw err;
    }
    return new LocalRedis(url, server, dir, persistent);
  }

  /** Ends a spawned server (SIGTERM, SIGKILL after 5 s) and removes its directory unless it is persistent. */
  async stop(): Promise<void> {
    if (this.exitHook) process.off('exit', this.exitHook);
    this.exitHook = null;
    const server = this.server;
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (this.dir && !this.persistent) await rm(this.dir, { recursive: true, force: true });
  }
}

/** True when a Redis at `url` answers PING within a second. */
export async function answersPing(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function waitUntilReady(url: string, server: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new RedisUnavailableError(`redis-server exited at start (${server.exitCode ?? server.signalCode}):\n${output()}`);
    }
    if (await answersPing(url)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new RedisUnavailableError(`redis-server did not answer at ${url} within ${timeoutMs} ms:\n${output()}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
