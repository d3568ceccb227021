import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { binCommand } from './package-bin.js';

/** What the coordinator prints on stdout once it serves, with the addresses it bound. */
export function coordinatorReadyLine(grpcAddress: string, httpAddress: string): string {
  return `coordinator listening grpc=${grpcAddress} http=${httpAddress}`;
}

/** Matches the ready line; groups: the gRPC address, the HTTP address. */
export const COORDINATOR_READY = /coordinator listening grpc=(\S+) http=(\S+)/;

/** Characters of output kept for the message of a coordinator that failed to start. */
const KEPT_OUTPUT = 8192;

export interface CoordinatorProcessOptions {
  /** Its arguments, e.g. ['--workers', '2']. */
  args?: readonly string[];
  /** Environment on top of this process's (REDIS_URL, JVAE_PREFIX, JVAE_COORDINATOR, ...); undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** Its working directory (default this process's): relative JVAE_ARTIFACTS resolve there. */
  cwd?: string;
  /** Its command line (default the `jvae-coordinator` command of this installation). */
  command?: readonly string[];
  /** Where its stdout and stderr go, its local workers' included (default: kept only for a failure message). */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** How long it may take to print its ready line (default 60 s). */
  startTimeoutMs?: number;
}

/**
 * A coordinator run as a child process, for `jvae up` and for the tests of other apps. It gets
 * a process group of its own, so that a terminal's Ctrl-C reaches only the parent, which stops
 * it in order with `stop` (it stops its workers, then its servers); and an IPC channel, which
 * closes should the parent die, and then the coordinator stops on its own.
 */
export class CoordinatorProcess {
  private constructor(
    private readonly child: ChildProcess,
    /** The bound gRPC address, host:port. */
    readonly grpcAddress: string,
    /** The bound HTTP address, host:port. */
    readonly httpAddress: string,
    /** Resolves once it has exited, with how: `code N` or the signal's name. */
    readonly exited: Promise<string>,
  ) {}

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Starts it and waits for its ready line; fails with its output if it exits or times out first. */
  static start(options: CoordinatorProcessOptions = {}): Promise<CoordinatorProcess> {
    const [program, ...args] = options.command ?? binCommand('jvae-coordinator', fileURLToPath(new URL('.', import.meta.url)));
    const env = Object.fromEntries(
      Object.entries({ ...process.env, ...options.env }).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    const child = spawn(program!, [...args, ...(options.args ?? [])], {
      cwd: options.cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const exited = new Promise<string>((resolve) => {
      child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`));
      child.once('error', (error) => resolve(error.message));
    });
    // What is not shown elsewhere is kept for the message of a failed start.
    let output = '';
    const keep = (text: string) => (output = (output + text).slice(-KEPT_OUTPUT));
    child.stderr!.on('data', (data: Buffer) => (options.stderr ? options.stderr.write(data) : keep(data.toString())));

    return new Promise((resolve, reject) => {
      let ready = false;
      let failed = false;
      let partial = '';
      const fail = (why: string) => {
        if (ready || failed) return;
        failed = true;
        clearTimeout(timer);
        killGroup(child);
        reject(new Error(`the coordinator ${why}${output ? `:\n${output}` : ''}`));
      };
      const timeoutMs = options.startTimeoutMs ?? 60_000;
      const timer = setTimeout(() => fail(`did not print its ready line in ${timeoutMs} ms`), timeoutMs);
      void exited.then((how) => fail(`exited (${how}) before it was ready`));
      child.stdout!.on('data', (data: Buffer) => {
        if (ready) return void options.stdout?.write(data);
        const lines = (partial + data.toString()).split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          const match = ready || failed ? null : line.match(COORDINATOR_READY);
          if (match) {
            ready = true;
            clearTimeout(timer);
            resolve(new CoordinatorProcess(child, match[1]!, match[2]!, exited));
          } else if (options.stdout) options.stdout.write(`${line}\n`);
          else keep(`${line}\n`);
        }
        if (ready && partial) options.stdout?.write(partial);
      });
    });
  }

  /** Asks it to stop (SIGTERM) and waits until it has; resolves with how it exited. */
  async stop(): Promise<string> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

/** Kills the process and the workers it may have started: its process group. */
function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
