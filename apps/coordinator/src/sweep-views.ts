import type { GetSweepRequest__Output, Sweep, Trial } from '@jvae/protocol';
import type { SweepRecord, SweepStore, TrialRecord } from '@jvae/store';
import { toProtoSweep, toProtoTrial } from './proto-mapping.js';
import { bestTrialId, readSweepPage } from './sweep-page.js';

/** Messages built from the store's current records. */
export class SweepViews {
  constructor(private readonly store: SweepStore) {}

  /** The sweep with the requested page of its ranking (each trial with its latest checkpoint). */
  async sweep(request: Pick<GetSweepRequest__Output, 'id' | 'limit' | 'offset'>): Promise<Sweep> {
    const page = await readSweepPage(this.store, request.id, request);
    const trials = await this.trials(page.trials.map((p) => p.trial));
    page.trials.forEach((p, i) => (trials[i]!.rank = p.rank ?? 0));
    return toProtoSweep(page.sweep, trials, page.bestTrialId ?? '');
  }

  /** The sweep with its counts and best trial, without the trials (for listings and watch snapshots). */
  async summary(sweep: SweepRecord): Promise<Sweep> {
    return toProtoSweep(sweep, [], (await bestTrialId(this.store, sweep)) ?? '');
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
