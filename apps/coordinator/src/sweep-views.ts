import type { Sweep, Trial } from '@jvae/protocol';
import type { SweepRecord, SweepStore, TrialRecord } from '@jvae/store';
import { bestTrial } from '@jvae/sweep';
import { toProtoSweep, toProtoTrial } from './proto-mapping.js';

/** Messages built from the store's current records. */
export class SweepViews {
  constructor(private readonly store: SweepStore) {}

  /** The sweep with every trial (and each trial's latest checkpoint) and its best trial. */
  async sweep(sweepId: string): Promise<Sweep> {
    const sweep = await this.store.requireSweep(sweepId);
    const trials = await this.store.getTrials(sweepId);
    const best = bestTrial(trials, sweep.metric.goal);
    return toProtoSweep(sweep, await this.trials(trials), best?.id ?? '');
  }

  /** The sweep with its counts and best trial, without the trials (for listings). */
  async summary(sweep: SweepRecord): Promise<Sweep> {
    const best = bestTrial(await this.store.getTrials(sweep.id), sweep.metric.goal);
    return toProtoSweep(sweep, [], best?.id ?? '');
  }

  async trial(trial: TrialRecord): Promise<Trial> {
    const [message] = await this.trials([trial]);
    return message!;
  }

  async trials(trials: readonly TrialRecord[]): Promise<Trial[]> {
    const ids = trials.flatMap((t) => (t.checkpointId ? [t.checkpointId] : []));
    const checkpoints = new Map((await this.store.getCheckpoints(ids)).map((c) => [c.id, c]));
    return trials.map((t) => toProtoTrial(t, (t.checkpointId && checkpoints.get(t.checkpointId)) || null));
  }
}
