import { trialId, type SweepStore } from '@jvae/store';
import { expandTrials, nextPlans, trialsToCreate, type TrialPlan } from '@jvae/sweep';
import type { TrialQueue } from './trial-queue.js';

/** Tries of a fill that lost a race to another writer of the sweep before it gives up (the next event retries). */
const ATTEMPTS = 5;

/**
 * Creates and queues a sweep's trials as its limits allow: all of them at once for grid and
 * random search without `max_concurrent`, else as many as may be live, and the next ones as
 * trials end (the scheduler and the reconciler call `fill` again). Bayes suggestions learn from
 * every trial finished by then. Fills of one sweep run one after another in this process; across
 * processes the store's check on the next index makes a second writer retry.
 */
export class TrialSupply {
  private readonly expansions = new Map<string, TrialPlan[]>();
  private readonly fills = new Map<string, Promise<string[]>>();

  constructor(
    private readonly store: SweepStore,
    private readonly queue: TrialQueue,
  ) {}

  /** Creates and queues what the sweep may run now; resolves with the new trials' ids. */
  fill(sweepId: string): Promise<string[]> {
    const previous = this.fills.get(sweepId) ?? Promise.resolve([]);
    const next = previous.catch(() => []).then(() => this.fillNow(sweepId));
    this.fills.set(sweepId, next);
    void next.finally(() => this.fills.get(sweepId) === next && this.fills.delete(sweepId)).catch(() => undefined);
    return next;
  }

  private async fillNow(sweepId: string): Promise<string[]> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const sweep = await this.store.requireSweep(sweepId);
      if (sweep.cancelled || sweep.finishedAt > 0) return [];
      const count = trialsToCreate(sweep.spec, sweep.created, sweep.counts.queued + sweep.counts.running);
      if (count === 0) return [];
      const seen = sweep.spec.method === 'bayes' ? await this.store.getTrials(sweepId) : [];
      const plans = nextPlans(sweep.spec, sweep.created, count, seen, this.expansion(sweepId, sweep.spec));
      if (!(await this.store.addTrials(sweepId, plans))) continue;
      const ids = plans.map((plan) => trialId(sweepId, plan.index));
      await this.queue.add(ids);
      if (sweep.created + plans.length >= sweep.trialCount) this.expansions.delete(sweepId);
      return ids;
    }
    return [];
  }

  private expansion(sweepId: string, spec: Parameters<typeof expandTrials>[0]): TrialPlan[] | undefined {
    if (spec.method === 'bayes') return undefined;
    let plans = this.expansions.get(sweepId);
    if (!plans) this.expansions.set(sweepId, (plans = expandTrials(spec)));
    return plans;
  }
}
