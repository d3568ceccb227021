import type { SweepStore, WorkerRegistry } from '@jvae/store';

/**
 * Why a drain ended: the worker had no trial (or is not registered), its trial's next checkpoint
 * is stored, the trial left it (finished, stopped, taken over), or the time ran out.
 */
export type DrainOutcome = 'not-registered' | 'idle' | 'checkpointed' | 'trial-ended' | 'deadline';

export interface DrainOptions {
  /** How long to wait at most. */
  maxMs: number;
  /** How often to look at the registry and the trial. */
  pollMs: number;
}

export interface DrainResult {
  outcome: DrainOutcome;
  trialId?: string;
  /** The trial's stored checkpoint step when the drain began and when it ended (-1: none). */
  fromStep?: number;
  toStep?: number;
}

/** The trial a worker trains now, per the registry; undefined when none or not registered. */
async function busyWith(registry: WorkerRegistry, workerId: string): Promise<{ registered: boolean; trialId?: string }> {
  const self = (await registry.list()).find((worker) => worker.id === workerId);
  if (!self) return { registered: false };
  return self.state === 'busy' && self.trialId ? { registered: true, trialId: self.trialId } : { registered: true };
}

/**
 * Waits, for a worker about to be stopped, until stopping it loses the least training: its
 * trial's next checkpoint is stored (SIGTERM then releases the trial, which resumes from there),
 * or the trial is no longer its own. Returns at once for an idle worker.
 */
export async function drainWorker(registry: WorkerRegistry, store: SweepStore, workerId: string, options: DrainOptions): Promise<DrainResult> {
  const deadline = Date.now() + options.maxMs;
  const start = await busyWith(registry, workerId);
  if (!start.registered) return { outcome: 'not-registered' };
  const trialId = start.trialId;
  if (trialId === undefined) return { outcome: 'idle' };
  const fromStep = (await store.getTrial(trialId))?.checkpointStep ?? -1;
  for (;;) {
    const trial = await store.getTrial(trialId);
    const toStep = trial?.checkpointStep ?? -1;
    if (toStep > fromStep) return { outcome: 'checkpointed', trialId, fromStep, toStep };
    if (trial?.state !== 'running' || (await busyWith(registry, workerId)).trialId !== trialId) {
      return { outcome: 'trial-ended', trialId, fromStep, toStep };
    }
    if (Date.now() >= deadline) return { outcome: 'deadline', trialId, fromStep, toStep };
    await new Promise((resolve) => setTimeout(resolve, Math.min(options.pollMs, Math.max(0, deadline - Date.now()))));
  }
}
