import type { SweepStore } from '@jvae/store';
import type { TrialQueue } from './trial-queue.js';
import type { TrialSupply } from './trial-supply.js';

export interface ReconcileResult {
  /** Trials whose job was missing or finished and that were queued again. */
  requeued: string[];
  /** Sweeps found finished and marked so. */
  finished: string[];
}

/**
 * Makes the queue agree with the store, which is the record: every queued or running trial
 * of an unfinished sweep has a live job (a running trial whose worker died is queued again and
 * resumes from its checkpoint), a sweep that may run more trials than it has gets them (a
 * coordinator stopped between a trial's end and the next trial), and a sweep whose trials are
 * all final is marked finished.
 * Run at start, so a coordinator killed at any point loses nothing, and then periodically.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: SweepStore,
    private readonly queue: TrialQueue,
    private readonly supply: TrialSupply,
    private readonly log: (line: string) => void,
  ) {}

  async run(): Promise<ReconcileResult> {
    const result: ReconcileResult = { requeued: [], finished: [] };
    for (const sweep of await this.store.listSweeps()) {
      if (sweep.finishedAt > 0) continue;
      await this.supply.fill(sweep.id);
      const trials = await this.store.trialStandings(sweep.id);
      const live = trials.filter((t) => t.state === 'queued' || t.state === 'running').map((t) => t.id);
      if (live.length > 0) result.requeued.push(...(await this.queue.ensure(live)));
      else if (await this.store.markSweepFinished(sweep.id)) result.finished.push(sweep.id);
    }
    if (result.requeued.length > 0) this.log(`requeued ${result.requeued.length} trial(s): ${result.requeued.join(', ')}`);
    return result;
  }

  /** Runs every `intervalMs` (never two passes at once); errors are logged. */
  every(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.pass = this.pass.then(() => this.run()).catch((error: unknown) => this.log(`reconcile: ${String(error)}`));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.pass;
  }
}
