import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface WorkerPoolOptions {
  /** A worker's command line: program, then arguments (e.g. binCommand('jvae-worker', ...)). */
  command: readonly string[];
  /** Working directory of the workers (where relative dataset paths resolve). */
  cwd: string;
  /** Environment passed on to every worker (REDIS_URL, JVAE_PREFIX, ...), on top of this process's. */
  env: Record<string, string | undefined>;
  /** Cores to share among the workers (default: all of this machine's). */
  cores?: number;
  /** How long a worker has to exit after SIGTERM before SIGKILL (default 10 s). */
  graceMs?: number;
  /** Delay before replacing a worker that exited on its own (default 2 s). */
  restartDelayMs?: number;
  log: (line: string) => void;
}

interface Member {
  child: ChildProcess;
  exited: Promise<void>;
}

/** Compute threads of each of `workers` workers sharing `cores`: every core used, none oversubscribed. */
export function threadsPerWorker(cores: number, workers: number): number {
  return Math.max(1, Math.floor(cores / Math.max(1, workers)));
}

/**
 * Local worker processes, kept at a target count: a worker that exits on its own is replaced.
 * Each gets JVAE_THREADS = threadsPerWorker(cores, target) at spawn time.
 */
export class WorkerPool {
  private readonly members: Member[] = [];
  private target = 0;
  private stopping = false;
  private readonly restarts = new Set<NodeJS.Timeout>();

  constructor(private readonly options: WorkerPoolOptions) {
    if (options.command.length === 0) throw new RangeError('the worker command is empty: give the program to run');
  }

  /** The count the pool converges to. */
  get size(): number {
    return this.target;
  }

  /** Process ids of the running workers. */
  get pids(): number[] {
    return this.members.map((m) => m.child.pid ?? 0);
  }

  /** Grows or shrinks to `count` workers (the newest go first); returns the previous and new target. */
  scale(count: number): { previous: number; target: number } {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`worker count must be a non-negative integer (got ${count})`);
    if (this.stopping) throw new Error('the worker pool is stopping');
    const previous = this.target;
    this.target = count;
    while (this.members.length < count) this.spawnOne();
    while (this.members.length > count) void this.terminate(this.members.pop()!);
    return { previous, target: count };
  }

  /** Stops every worker (SIGTERM, then SIGKILL after the grace period) and waits for them to exit. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.target = 0;
    for (const timer of this.restarts) clearTimeout(timer);
    this.restarts.clear();
    await Promise.all(this.members.splice(0).map((m) => this.terminate(m)));
  }

  private spawnOne(): void {
    const [program, ...args] = this.options.command;
    const threads = threadsPerWorker(this.options.cores ?? availableParallelism(), this.target);
    const child = spawn(program!, args, {
      cwd: this.options.cwd,
      // The pool's workers share this machine: their rings meet on loopback unless told otherwise.
      env: { JVAE_GRADSYNC_LISTEN: '127.0.0.1:0', ...process.env, ...this.options.env, JVAE_THREADS: String(threads) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const member: Member = {
      child,
      // A process that failed to start emits 'error' and no 'exit'.
      exited: new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.once('error', () => resolve());
      }),
    };
    child.once('error', (error) => this.options.log(`worker could not start: ${error.message}`));
    child.once('exit', (code, signal) => this.onExit(member, code, signal));
    this.members.push(member);
    this.options.log(`worker ${child.pid} started (${this.members.length}/${this.target})`);
  }

  private onExit(member: Member, code: number | null, signal: NodeJS.Signals | null): void {
    const at = this.members.indexOf(member);
    if (at < 0) return; // stopped on purpose
    this.members.splice(at, 1);
    this.options.log(`worker ${member.child.pid} exited (${signal ?? `code ${code}`}); replacing it`);
    const timer = setTimeout(() => {
      this.restarts.delete(timer);
      if (!this.stopping && this.members.length < this.target) this.spawnOne();
    }, this.options.restartDelayMs ?? 2000);
    this.restarts.add(timer);
  }

  private async terminate(member: Member): Promise<void> {
    const { child } = member;
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), this.options.graceMs ?? 10_000);
    await member.exited;
    clearTimeout(timer);
  }
}
