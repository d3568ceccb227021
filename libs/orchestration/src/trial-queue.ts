import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES, bullPrefix } from '@jvae/protocol';

/** What a trial job carries; its job id is the trial id too. */
export interface TrialJobData {
  trialId: string;
}

/**
 * The BullMQ queue of trials (QUEUES.trials under bullPrefix(prefix)). One job per trial,
 * job id = trial id, so adding a trial twice is a no-op while its job lives. Finished jobs are
 * removed at once: the trial's state in the store is the record, and a trial that still
 * needs work can be queued again.
 */
export class TrialQueue {
  readonly queue: Queue<TrialJobData>;

  constructor(
    private readonly connection: Redis,
    prefix: string,
  ) {
    this.queue = new Queue<TrialJobData>(QUEUES.trials, { connection, prefix: bullPrefix(prefix) });
  }

  /** Queues the trials in the order given (workers take them first in, first out). */
  async add(trialIds: readonly string[]): Promise<void> {
    if (trialIds.length === 0) return;
    await this.queue.addBulk(
      trialIds.map((trialId) => ({
        name: 'trial',
        data: { trialId },
        opts: { jobId: trialId, removeOnComplete: true, removeOnFail: true },
      })),
    );
  }

  /** Removes waiting jobs; a job a worker holds stays (the worker obeys the trial's stop request). */
  async remove(trialIds: readonly string[]): Promise<void> {
    for (const id of trialIds) {
      const job = await this.queue.getJob(id);
      if (job && (await job.getState()) !== 'active') await job.remove().catch(() => undefined);
    }
  }

  /**
   * Queues again every trial whose job is missing, in the order given; returns those trial ids.
   * Jobs are removed once they complete or fail, so a job hash that exists is a live job: one
   * pipelined EXISTS per trial, so that a reconcile pass over a large sweep stays cheap.
   */
  async ensure(trialIds: readonly string[]): Promise<string[]> {
    if (trialIds.length === 0) return [];
    const pipeline = this.connection.pipeline();
    for (const id of trialIds) pipeline.exists(this.queue.toKey(id));
    const replies = (await pipeline.exec()) ?? [];
    const missing = trialIds.filter((_, i) => replies[i]?.[1] !== 1);
    await this.add(missing);
    return missing;
  }

  /** Jobs per state, for /metrics. */
  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
