import { Gauge, Registry } from 'prom-client';
import type { TrialQueue, WorkerPool } from '@jvae/orchestration';
import type { SweepStore, WorkerRegistry } from '@jvae/store';
import { TRIAL_STATES } from '@jvae/sweep';
import { poolDemand } from './pool-demand.js';

/**
 * Prometheus metrics read from Redis at scrape time, so that any coordinator (or a restarted
 * one) reports the same numbers: trials by state, queue depth, workers by state, the step of
 * every running trial, the workers the sweeps need (the autoscaling figure), and the local pool's size.
 */
export class CoordinatorMetrics {
  readonly registry = new Registry();

  constructor(deps: { store: SweepStore; workers: WorkerRegistry; queue: TrialQueue; pool?: WorkerPool }) {
    const { store, workers, queue, pool } = deps;
    new Gauge({
      name: 'jvae_trials',
      help: 'Trials by state, over every sweep.',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const totals = Object.fromEntries(TRIAL_STATES.map((s) => [s, 0]));
        for (const sweep of await store.listSweeps()) for (const s of TRIAL_STATES) totals[s]! += sweep.counts[s];
        for (const [state, count] of Object.entries(totals)) this.set({ state }, count);
      },
    });
    new Gauge({
      name: 'jvae_queue_jobs',
      help: 'Trial jobs in the queue by state.',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [state, count] of Object.entries(await queue.counts())) this.set({ state }, count);
      },
    });
    new Gauge({
      name: 'jvae_workers',
      help: 'Registered workers by state.',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const counts: Record<string, number> = { idle: 0, busy: 0, draining: 0, lost: 0 };
        for (const worker of await workers.list()) counts[worker.state] = (counts[worker.state] ?? 0) + 1;
        for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
      },
    });
    new Gauge({
      name: 'jvae_trial_step',
      help: 'Optimizer steps done by each running trial.',
      labelNames: ['sweep', 'trial'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const sweep of await store.listSweeps()) {
          if (sweep.counts.running === 0) continue;
          for (const trial of await store.trialStandings(sweep.id)) {
            if (trial.state === 'running') this.set({ sweep: sweep.id, trial: trial.id }, trial.step);
          }
        }
      },
    });
    new Gauge({
      name: 'jvae_worker_demand',
      help: 'Workers the unfinished sweeps need now (desired: queued + running ranks), for autoscalers.',
      labelNames: ['kind'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const demand = await poolDemand(store);
        this.set({ kind: 'desired' }, demand.desiredWorkers);
        this.set({ kind: 'queued_ranks' }, demand.queuedRanks);
        this.set({ kind: 'running_ranks' }, demand.runningRanks);
      },
    });
    new Gauge({
      name: 'jvae_local_workers',
      help: 'Target size of the local worker pool (0 when workers are managed elsewhere).',
      registers: [this.registry],
      collect() {
        this.set(pool?.size ?? 0);
      },
    });
  }
}
