import type { SweepStore, WorkerView } from '@jvae/store';

export type RankedWorker = WorkerView & { rank?: number };

/**
 * The registry's workers, each busy one with its rank in its trial's gang when that trial is
 * trained by several: the trial's `workers` are in rank order.
 */
export async function withRanks(store: SweepStore, workers: readonly WorkerView[]): Promise<RankedWorker[]> {
  const trialIds = [...new Set(workers.flatMap((w) => (w.trialId ? [w.trialId] : [])))];
  const gangs = new Map((await store.getTrialsById(trialIds)).map((t) => [t.id, t.workers]));
  return workers.map((worker) => {
    const members = worker.trialId ? gangs.get(worker.trialId) : undefined;
    const rank = members && members.length > 1 ? members.indexOf(worker.id) : -1;
    return rank >= 0 ? { ...worker, rank } : worker;
  });
}
