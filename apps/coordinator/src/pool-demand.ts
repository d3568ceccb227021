import { workerDemand, type WorkerDemand } from '@jvae/orchestration';
import type { SweepStore } from '@jvae/store';

/** What the unfinished sweeps ask of the worker pool now (from the store's per-state counts). */
export async function poolDemand(store: SweepStore): Promise<WorkerDemand> {
  const sweeps = (await store.listSweeps()).filter((sweep) => sweep.finishedAt === 0);
  return workerDemand(
    sweeps.map((sweep) => ({ queued: sweep.counts.queued, running: sweep.counts.running, ranksPerTrial: sweep.spec.replicas.max })),
  );
}
