// End-to-end harness: a real coordinator and real workers as child processes on loopback,
// the `jvae` CLI run as a process, and real Redis under a key prefix of the test file's own
// (only that prefix's keys are deleted). Every process started here is killed by
// `Cluster.close()`, and by an exit hook should the test process end without it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { writeIdxDataset } from '@jvae/data';
import { binCommand, COORDINATOR_READY } from '@jvae/orchestration';
import { keys } from '@jvae/protocol';
import { SweepStore, deletePrefix } from '@jvae/store';
import { REDIS_URL } from '@jvae/store/testing';

export { REDIS_URL } from '@jvae/store/testing';
export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
/** The installed commands, as a user runs them. */
const COORDINATOR = binCommand('jvae-coordinator', REPO_ROOT);
const WORKER = binCommand('jvae-worker', REPO_ROOT);
const JVAE = binCommand('jvae', REPO_ROOT);

/** How long a process may take to print its ready line; generous, the test machine is shared. */
const START_TIMEOUT_MS = 60_000;

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * A free TCP port on loopback for a coordinator that must come back on the same address.
 * Drawn below the kernel's ephemeral range (32768 and up on Linux), so no outgoing
 * connection of another process takes it while the coordinator is down.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) continue;
    server.close();
    await once(server, 'close');
    return port;
  }
}

/** Polls `check` until it returns something other than undefined; fails naming `what` after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** A node process started by the harness, with its output kept for waiting and for failure messages. */
export class NodeProcess {
  private text = '';
  private readonly listeners = new Set<() => void>();
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    live.add(child);
    const collect = (data: Buffer) => {
      this.text += data.toString();
      for (const listener of this.listeners) listener();
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        live.delete(child);
        for (const listener of this.listeners) listener();
        resolve(code);
      }),
    );
  }

  /** Everything it printed so far, stdout and stderr interleaved. */
  get output(): string {
    return this.text;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first match of `pattern` in the output; rejects if it exits or times out first. */
  waitFor(pattern: RegExp, timeoutMs = START_TIMEOUT_MS): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const finish = (error?: Error, match?: RegExpMatchArray) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (error) reject(error);
        else resolve(match!);
      };
      const check = () => {
        const match = this.text.match(pattern);
        if (match) finish(undefined, match);
        else if (!this.running) finish(new Error(`${this.name} exited before printing ${pattern}:\n${this.text}`));
      };
      const timer = setTimeout(() => finish(new Error(`${this.name} did not print ${pattern} in ${timeoutMs} ms:\n${this.text}`)), timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  /** Sends `signal` and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    await this.exited;
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ClusterOptions {
  /** Worker processes to start (default 2). */
  workers?: number;
  /** JVAE_LOCK_MS of the workers: how soon a killed worker's job is handed to another (default the worker's). */
  lockMs?: number;
  /** More environment for every worker (JVAE_RING_TIMEOUT_MS, JVAE_GANG_JOIN_MS, ...). */
  workerEnv?: Record<string, string>;
  /** The Redis every process uses (default REDIS_URL, the test runner's). */
  redisUrl?: string;
}

/** Sweep spec fields on top of the tiny defaults of `Cluster.spec`. */
export interface SpecInput {
  name?: string;
  train?: Record<string, unknown>;
  parameters: Record<string, unknown>;
  metric?: { name: string; goal: 'minimize' | 'maximize' };
  early_terminate?: { type: 'asha'; min_steps: number; eta: number };
  replicas?: number | { min: number; max: number };
  seed?: number;
}

/**
 * One test file's installation: a Redis prefix, a temporary directory (dataset, artifacts,
 * specs, downloads, the workers' scratch space), a coordinator process on a fixed free
 * port (so a restarted one is found at the same address) and worker processes.
 */
export class Cluster {
  readonly token = `e2e-${randomBytes(6).toString('hex')}`;
  readonly workers: NodeProcess[] = [];
  coordinator: NodeProcess | undefined;
  /** The HTTP address (dashboard, /api) of the coordinator started last. */
  httpAddress = '';
  private coordinatorStarts = 0;

  private constructor(
    readonly prefix: string,
    readonly dir: string,
    readonly grpcAddress: string,
    readonly redisUrl: string,
    readonly redis: Redis,
    readonly store: SweepStore,
    private readonly options: ClusterOptions,
  ) {}

  get datasetDir(): string {
    return join(this.dir, 'data');
  }

  get artifacts(): string {
    return join(this.dir, 'artifacts');
  }

  /** Starts the coordinator and the workers and waits until each is taking work; cleans up if any fails. */
  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    const dir = await mkdtemp(join(tmpdir(), 'jvae-e2e-'));
    const redisUrl = options.redisUrl ?? REDIS_URL;
    const redis = new Redis(redisUrl);
    const prefix = `jvae-test-${randomBytes(4).toString('hex')}`;
    const cluster = new Cluster(prefix, dir, `127.0.0.1:${await freePort()}`, redisUrl, redis, new SweepStore(redis, prefix), options);
    try {
      await writeIdxDataset(cluster.datasetDir);
      await mkdir(join(dir, 'work'));
      await cluster.startCoordinator();
      await Promise.all(Array.from({ length: options.workers ?? 2 }, (_, i) => cluster.startWorker(`w${i + 1}`)));
      return cluster;
    } catch (error) {
      await cluster.close();
      throw error;
    }
  }

  /** Starts a coordinator process (again, after a kill) on the cluster's address. */
  async startCoordinator(): Promise<NodeProcess> {
    const coordinator = this.spawn(`coordinator#${++this.coordinatorStarts}`, COORDINATOR, {
      JVAE_COORDINATOR: this.grpcAddress,
      JVAE_HTTP: '127.0.0.1:0',
      JVAE_ARTIFACTS: this.artifacts,
    });
    this.coordinator = coordinator;
    this.httpAddress = (await coordinator.waitFor(COORDINATOR_READY))[2]!;
    return coordinator;
  }

  /** Starts a worker process registered as `id`, training on wasm with one thread. */
  async startWorker(id: string): Promise<NodeProcess> {
    const worker = this.spawn(`worker ${id}`, WORKER, {
      JVAE_WORKER_ID: id,
      JVAE_BACKEND: 'wasm',
      JVAE_THREADS: '1',
      JVAE_WORK_DIR: join(this.dir, 'work'),
      JVAE_GRADSYNC_LISTEN: '127.0.0.1:0',
      ...(this.options.lockMs === undefined ? {} : { JVAE_LOCK_MS: String(this.options.lockMs) }),
      ...this.options.workerEnv,
    });
    this.workers.push(worker);
    await worker.waitFor(/taking trials from/);
    return worker;
  }

  /** The worker process registered as `id`. */
  worker(id: string): NodeProcess {
    const found = this.workers.find((w) => w.name === `worker ${id}`);
    if (!found) throw new Error(`no worker ${id} in this cluster`);
    return found;
  }

  /** The environment a client of this installation needs. */
  env(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      REDIS_URL: this.redisUrl,
      JVAE_PREFIX: this.prefix,
      JVAE_COORDINATOR: this.grpcAddress,
      JVAE_TOKEN: this.token,
      NO_COLOR: '1',
      ...overrides,
    };
  }

  /** Runs `jvae ARGS` against this installation; `env` overrides (undefined removes a variable). */
  cli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      execFile(JVAE[0], [JVAE[1], ...args], { cwd: REPO_ROOT, env: definedOnly(this.env(env)), timeout: 60_000 }, (error, stdout, stderr) => {
        const code = error ? (error as { code?: unknown }).code : 0;
        if (typeof code !== 'number') reject(error);
        else resolve({ code, stdout, stderr });
      });
    });
  }

  /** Runs `jvae ARGS --json`, requires exit code 0 and returns the parsed stdout. */
  async cliJson<T = unknown>(args: string[]): Promise<T> {
    const result = await this.cli([...args, '--json']);
    if (result.code !== 0) throw new Error(`jvae ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
    return JSON.parse(result.stdout) as T;
  }

  /** A grid sweep of tiny trials on the cluster's IDX dataset (batch 8, one thread), ranked by loss unless said. */
  spec(input: SpecInput): Record<string, unknown> {
    return {
      name: input.name ?? 'e2e',
      method: 'grid',
      metric: input.metric ?? { name: 'loss', goal: 'minimize' },
      dataset: { name: `idx:${this.datasetDir}` },
      train: { preset: 'mnist', batchSize: 8, threads: 1, evalEvery: 10, checkpointEvery: 10, ...input.train },
      ...(input.early_terminate ? { early_terminate: input.early_terminate } : {}),
      ...(input.replicas === undefined ? {} : { replicas: input.replicas }),
      ...(input.seed === undefined ? {} : { seed: input.seed }),
      parameters: input.parameters,
    };
  }

  /** Writes a spec (an object, as JSON, or text as given) under the cluster's directory and returns its path. */
  async writeSpec(spec: Record<string, unknown> | string, name = `spec-${randomBytes(3).toString('hex')}.json`): Promise<string> {
    const path = join(this.dir, name);
    await writeFile(path, typeof spec === 'string' ? spec : JSON.stringify(spec, null, 2));
    return path;
  }

  /** Submits `spec` with the CLI and returns the sweep id. */
  async submit(spec: Record<string, unknown>): Promise<string> {
    const { id } = await this.cliJson<{ id: string }>(['sweep', 'submit', await this.writeSpec(spec)]);
    return id;
  }

  /** Waits (reading the store) until every trial of the sweep is in a final state; returns the trials. */
  async waitForSweepEnd(sweepId: string, timeoutMs = 120_000) {
    return eventually(
      `every trial of sweep ${sweepId} to end`,
      async () => {
        const trials = await this.store.getTrials(sweepId);
        return trials.length > 0 && trials.every((t) => ['completed', 'stopped', 'failed', 'cancelled'].includes(t.state)) ? trials : undefined;
      },
      timeoutMs,
    );
  }

  /** Every key under the prefix with a dump of its value, for "nothing changed" checks. */
  async redisSnapshot(): Promise<Map<string, string>> {
    const names: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', keys(this.prefix).pattern(), 'COUNT', 1000);
      cursor = next;
      names.push(...found);
    } while (cursor !== '0');
    const snapshot = new Map<string, string>();
    for (const name of names.sort()) snapshot.set(name, (await this.redis.dumpBuffer(name))?.toString('hex') ?? '');
    return snapshot;
  }

  /** Every file under the artifact store, relative path → SHA-256, for "nothing changed" checks. */
  artifactFiles(): Promise<Map<string, string>> {
    return fileHashes(this.artifacts);
  }

  /** Kills every process (SIGKILL), deletes the prefix's keys and the directory. */
  async close(): Promise<void> {
    await Promise.all([this.coordinator, ...this.workers].map((p) => p?.kill('SIGKILL')));
    await deletePrefix(this.redis, this.prefix);
    this.redis.disconnect();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Runs a test body; if it fails, the processes' output is added to the error's message. */
  async explainFailure(body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      if (error instanceof Error) error.message += `\n${this.logs()}`;
      throw error;
    }
  }

  /** The output of every process started, for failure messages. */
  logs(): string {
    return [this.coordinator, ...this.workers]
      .filter((p): p is NodeProcess => p !== undefined)
      .map((p) => `--- ${p.name} ---\n${p.output}`)
      .join('\n');
  }

  private spawn(name: string, [program, ...args]: readonly string[], env: Record<string, string>): NodeProcess {
    const child = spawn(program!, args, {
      cwd: REPO_ROOT,
      env: definedOnly(this.env(env)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new NodeProcess(name, child);
  }
}

/** Every file under `dir` (recursively), relative path with forward slashes → SHA-256; empty when `dir` is missing. */
export async function fileHashes(dir: string): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    hashes.set(relative(dir, path).split('\\').join('/'), sha256(await readFile(path)));
  }
  return new Map([...hashes].sort(([a], [b]) => a.localeCompare(b)));
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
