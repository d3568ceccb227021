/**
 * Follows a sweep to its end over WatchSweep: live per-trial progress bars on a
 * terminal, one line per change otherwise, then the ranking table.
 */
import { status } from '@grpc/grpc-js';
import { FINAL_SWEEP_STATES, type CoordinatorConnection, type Sweep__Output } from '@jvae/protocol';
import { connectionProblem } from './coordinator-session.js';
import { formatRankingTable, stateName } from './format.js';
import { LiveBlock } from './live-block.js';
import { SweepBoard } from './sweep-board.js';
import { rankSweepTrials } from './sweep-views.js';

export interface FollowOptions {
  /** Where progress goes (default stderr, so stdout stays clean for --json). */
  out?: NodeJS.WriteStream;
  /** Redraw progress bars in place (default: when `out` is a terminal); otherwise one line per change. */
  live?: boolean;
  /** Stops following early; the promise then resolves with the sweep as last seen. */
  signal?: AbortSignal;
}

/** How long a watch keeps trying to reconnect to a coordinator that went away (it may be restarting). */
const RECONNECT_FOR_MS = 60_000;

/**
 * Resolves with the sweep as the stream's last snapshot shows it: in a final state, or as
 * last seen when `signal` stopped the watch. A coordinator that goes away mid-watch is
 * reconnected to for a minute (it keeps its state in Redis), with a line saying so.
 */
export async function followSweep(connection: CoordinatorConnection, id: string, options: FollowOptions = {}): Promise<Sweep__Output> {
  const out = options.out ?? process.stderr;
  const board = new SweepBoard();
  const live = (options.live ?? out.isTTY) ? new LiveBlock(out) : null;
  const note = (line: string) => {
    live?.end();
    out.write(`${line}\n`);
  };
  let unreachableSince = 0;
  try {
    while (!options.signal?.aborted) {
      try {
        await readStream(connection, id, board, options.signal, (changes) => {
          if (unreachableSince) note('reconnected');
          unreachableSince = 0;
          if (live) live.show(board.lines());
          else for (const line of changes) out.write(`${line}\n`);
        });
      } catch (err) {
        if (options.signal?.aborted) break;
        const code = (err as { code?: number }).code;
        // Before the first snapshot, a failure is the user's to see (unknown id, no coordinator).
        if (!board.sweep() || (code !== status.UNAVAILABLE && code !== status.CANCELLED)) throw err;
        if (!unreachableSince) {
          unreachableSince = Date.now();
          const details = (err as { details?: string }).details ?? (err as Error).message;
          note(`lost the coordinator (${connectionProblem(details)}); reconnecting for up to ${RECONNECT_FOR_MS / 1000} s…`);
        }
        if (Date.now() - unreachableSince > RECONNECT_FOR_MS) throw err;
        await sleep(2000, options.signal);
        continue;
      }
      const state = board.sweep()?.state;
      if (!state || FINAL_SWEEP_STATES.includes(state)) break;
      // The stream ended before the sweep did: the coordinator shut down; follow its successor.
      if (!unreachableSince) {
        unreachableSince = Date.now();
        note(`the coordinator closed the watch; reconnecting for up to ${RECONNECT_FOR_MS / 1000} s…`);
      }
      if (Date.now() - unreachableSince > RECONNECT_FOR_MS) throw new Error(`lost the watch of sweep ${id}: the coordinator went away`);
      await sleep(2000, options.signal);
    }
  } finally {
    live?.end();
  }
  const sweep = board.sweep();
  if (!sweep) throw new Error(`the coordinator ended the watch of sweep ${id} without sending it`);
  return sweep;
}

/** Applies one WatchSweep stream to `board` until it ends; `signal` cancels it. */
async function readStream(
  connection: CoordinatorConnection,
  id: string,
  board: SweepBoard,
  signal: AbortSignal | undefined,
  onChange: (changes: string[]) => void,
): Promise<void> {
  const stream = connection.watchSweep({ id, metrics: false });
  const stop = () => stream.cancel();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    for await (const event of stream) onChange(board.apply(event));
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The ranking table under a title, for the end of a watch. */
export function rankingReport(sweep: Sweep__Output): string {
  return `\nRanking of sweep ${sweep.id} (${stateName(sweep.state)}):\n${formatRankingTable(sweep.metric, sweep.goal, rankSweepTrials(sweep))}`;
}

/** 0 for a completed sweep; 1 for one that failed, was cancelled or is still running. */
export function sweepExitCode(sweep: Sweep__Output): number {
  return sweep.state === 'COMPLETED' ? 0 : 1;
}
