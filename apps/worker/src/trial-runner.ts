import { RingError, type GradSyncServer } from '@jvae/gradsync';
import { REQUEUE_REASONS, type GangPriority, type Rendezvous, type Seat, type TrialGangs, type TrialPatch, type TrialRecord } from '@jvae/store';
import { isTerminalTrialState, type TrialState } from '@jvae/sweep';
import { evalValues } from './eval-values.js';
import type { GangLeader } from './gang-leader.js';
import { RankReducer } from './rank-reducer.js';
import { TrialAttempt, type TrialAttemptDeps } from './trial-attempt.js';
import { TrialInterrupt } from './trial-interrupt.js';

type FinalState = 'completed' | 'stopped' | 'cancelled' | 'failed';

/** How a trial's job ended for this worker. */
export type TrialOutcome =
  /** The trial reached a final state here. */
  | { trialId: string; state: FinalState; step: number; metric?: number; error?: string }
  /** Nothing to do: unknown, already final, or changed by someone else meanwhile. */
  | { trialId: string; state: 'skipped'; reason: string }
  /**
   * Interrupted by shutdown (or sent back by PBT, or retried): the trial is queued again and its
   * job must go back to the queue; with `delayMs`, to its back after that long.
   */
  | { trialId: string; state: 'released'; step: number; delayMs?: number };

/** What training data-parallel trials takes: seats, the gang's leader logic, this worker's ring server. */
export interface GangSupport {
  gangs: TrialGangs;
  leader: GangLeader;
  server: GradSyncServer;
  /** Silence after which a ring peer counts as gone. */
  ringTimeoutMs: number;
}

export interface TrialRunnerOptions extends TrialAttemptDeps {
  /** Without it, only trials of one replica can be trained. */
  gang?: GangSupport;
  /** How long a retried trial waits in the queue (default 0). */
  retryDelayMs?: number;
}

const EXPLOITED = 'PBT: continues from another trial’s checkpoint';
const STOPPED_STATE = { asha: 'stopped', cancel: 'cancelled' } as const satisfies Record<string, FinalState>;

/**
 * Takes a trial from its record to a final state: skips it when it is already final,
 * honours a stop request made while it was queued, moves it to `running` (counting the
 * attempt), trains it with a TrialAttempt and records the end: `completed` (with the
 * reason in `error` when its last checkpoint could not be uploaded), `stopped`
 * (ASHA), `cancelled`, `failed` with the reason (bad config or dataset, NaN loss, a
 * checkpoint that fails verification, ...), or back to `queued` when the worker shuts
 * down. Every transition is conditional on the state this worker left the trial in, so
 * a trial changed by someone else meanwhile is never overwritten.
 *
 * With gang support the worker first takes its seat (a leader that claimed it meanwhile wins:
 * the job goes back). A data-parallel trial is then led from here as rank 0: its gang is formed
 * (GangLeader), trained generation by generation, and re-formed from the latest checkpoint
 * when a ring breaks; with fewer than `replicas.min` live members it goes back to the queue.
 */
export class TrialRunner {
  constructor(private readonly options: TrialRunnerOptions) {}

  async run(trialId: string, signal: AbortSignal): Promise<TrialOutcome> {
    const { store, workerId } = this.options;
    const trial = await store.getTrial(trialId);
    if (!trial) return { trialId, state: 'skipped', reason: 'no such trial' };
    if (isTerminalTrialState(trial.state)) return { trialId, state: 'skipped', reason: `already ${trial.state}` };
    if (signal.aborted) return { trialId, state: 'released', step: trial.step };
    const stop = await store.stopRequest(trialId);
    // A PBT requeue request was served by the queue; the attempt starting now clears it.
    if (stop && !REQUEUE_REASONS.includes(stop)) return this.settle(trial, ['queued', 'running'], STOPPED_STATE[stop as keyof typeof STOPPED_STATE], trial.step);
    const { gang } = this.options;
    const parallel = trial.replicas.max > 1;
    if (!gang) {
      if (parallel) return this.settle(trial, ['queued', 'running'], 'failed', trial.step, { error: 'this worker cannot train data-parallel trials' });
      return this.runAlone(trial, signal);
    }
    const priority = parallel ? await gang.leader.priority(trial) : undefined;
    const seat: Seat = priority ? { trialId, role: 'forming', priority } : { trialId, role: 'solo' };
    // Claimed by a gang's leader meanwhile: this worker follows it, and the job waits for another.
    if (!(await gang.gangs.takeSeat(workerId, seat))) return { trialId, state: 'released', step: trial.step };
    try {
      return priority ? await this.lead(trial, priority, gang, signal) : await this.runAlone(trial, signal);
    } finally {
      await gang.gangs.releaseSeat(workerId, trialId);
    }
  }

  private async runAlone(trial: TrialRecord, signal: AbortSignal): Promise<TrialOutcome> {
    const { store, workerId, log } = this.options;
    const trialId = trial.id;
    const started = await store.transitionTrial(trialId, ['queued', 'running'], 'running', { workers: [workerId] });
    if (!started.applied) return { trialId, state: 'skipped', reason: `became ${started.previous} meanwhile` };
    // Read again once running: a PBT exploit of the queued trial may have changed its checkpoint and config.
    const current = await store.requireTrial(trialId);
    log(`trial ${trialId}: running (attempt ${current.attempts})`);
    return this.conclude(current, new TrialAttempt(current, signal, this.options));
  }

  /** Leads a data-parallel trial as rank 0, generation after generation; see the class comment. */
  private async lead(trial: TrialRecord, priority: GangPriority, gang: GangSupport, signal: AbortSignal): Promise<TrialOutcome> {
    const { store, log } = this.options;
    const trialId = trial.id;
    try {
      const formed = await gang.leader.form(trial, priority, signal).catch((err: unknown) => {
        if (signal.aborted) return null;
        throw err;
      });
      if (!formed) return { trialId, state: 'released', step: trial.step };
      let rendezvous: Rendezvous = formed;
      const started = await store.transitionTrial(trialId, ['queued', 'running'], 'running', { workers: rendezvous.members });
      if (!started.applied) return { trialId, state: 'skipped', reason: `became ${started.previous} meanwhile` };
      let current = await store.requireTrial(trialId);
      // A PBT exploit of the queued trial while its gang formed: the gang's checkpoint is gone; form it again.
      if ((current.checkpointId ?? null) !== rendezvous.checkpointId) return this.requeue(current, 'PBT gave it another checkpoint while its gang formed');
      for (;;) {
        log(`trial ${trialId}: running generation ${rendezvous.generation} on ${rendezvous.members.join(', ')} (attempt ${current.attempts + 1})`);
        let grow = false;
        try {
          return await this.trainGeneration(current, rendezvous, gang, signal);
        } catch (err) {
          if (!reformsGang(err)) throw err;
          grow = err instanceof TrialInterrupt;
          log(`trial ${trialId}: generation ${rendezvous.generation} ${grow ? 'ends for free workers to join' : `failed: ${(err as Error).message}`}`);
        }
        current = await store.requireTrial(trialId);
        const reform = gang.leader.reform(current, rendezvous, priority, signal, { waitForLost: !grow });
        const next: Rendezvous | null = signal.aborted ? null : await reform.catch(() => null);
        if (!next) return this.requeue(current, `fewer than ${trial.replicas.min} rank(s) left`);
        const moved = await store.transitionTrial(trialId, ['running'], 'running', { workers: next.members });
        if (!moved.applied) return { trialId, state: 'skipped', reason: `became ${moved.previous} meanwhile` };
        rendezvous = next;
      }
    } finally {
      await gang.gangs.endRendezvous(trialId);
    }
  }

  private async trainGeneration(trial: TrialRecord, rendezvous: Rendezvous, gang: GangSupport, signal: AbortSignal): Promise<TrialOutcome> {
    const world = rendezvous.members.length;
    const ring = gang.server.joinRing({
      groupId: trial.id,
      generation: rendezvous.generation,
      rank: 0,
      world,
      predecessor: rendezvous.addresses[world - 1],
      timeoutMs: gang.ringTimeoutMs,
    });
    try {
      const place = {
        rank: 0,
        world,
        reducer: new RankReducer(ring),
        checkpointId: rendezvous.checkpointId,
        canGrow: () => gang.leader.canGrow(trial, rendezvous),
      };
      return await this.conclude(trial, new TrialAttempt(trial, signal, this.options, place), reformsGang);
    } finally {
      await ring.close();
    }
  }

  /** Back to the queue from its latest checkpoint, for the workers free later; `behind` puts its job at the back. */
  private async requeue(trial: TrialRecord, why: string, behind = false): Promise<TrialOutcome> {
    const step = trial.checkpointStep ?? 0;
    const requeued = await this.options.store.transitionTrial(trial.id, ['running'], 'queued', { step, workers: [] });
    if (!requeued.applied) return { trialId: trial.id, state: 'skipped', reason: `became ${requeued.previous} meanwhile` };
    this.options.log(`trial ${trial.id}: back to the queue at step ${step}: ${why}`);
    return { trialId: trial.id, state: 'released', step, ...(behind ? { delayMs: 0 } : {}) };
  }

  /**
   * Trains the attempt and records how it ended. Errors `rethrow` accepts (a broken ring, free
   * workers to take in) are thrown on, for the caller to re-form the gang.
   */
  private async conclude(trial: TrialRecord, attempt: TrialAttempt, rethrow: (err: unknown) => boolean = () => false): Promise<TrialOutcome> {
    const { store, log } = this.options;
    const trialId = trial.id;
    try {
      const { step, metrics, uploadProblem } = await attempt.train();
      // Trained to the end, the trial completes even without its last checkpoint; the record says why it lacks it.
      const patch = uploadProblem ? { error: uploadProblem } : {};
      return await this.settle(trial, ['running'], 'completed', step, patch, evalValues(metrics)[trial.metricName]);
    } catch (err) {
      if (rethrow(err)) throw err;
      if (err instanceof TrialInterrupt) {
        switch (err.reason) {
          case 'shutdown': {
            const patch = { step: attempt.step, workers: [] };
            const requeued = await store.transitionTrial(trialId, ['running'], 'queued', patch);
            if (!requeued.applied) return { trialId, state: 'skipped', reason: `became ${requeued.previous} meanwhile` };
            log(`trial ${trialId}: released at step ${attempt.step} for another worker`);
            return { trialId, state: 'released', step: attempt.step };
          }
          case 'lost':
          case 'gang':
          case 'grow':
            return { trialId, state: 'skipped', reason: 'no longer running under this worker' };
          case 'exploit':
            return this.requeue(await store.requireTrial(trialId), EXPLOITED, true);
          case 'pause':
            return this.requeue(await store.requireTrial(trialId), 'PBT: population members behind it go first', true);
          default:
            return this.settle(trial, ['running'], STOPPED_STATE[err.reason], attempt.step);
        }
      }
      const error = err instanceof Error ? err.message : String(err);
      if (trial.failures.length < trial.maxFailures) return this.retry(trial, attempt.step, error);
      return this.settle(trial, ['running'], 'failed', attempt.step, { error });
    }
  }

  /** A failed attempt within the spec's `max_failures`: back to the queue from the latest checkpoint, the failure recorded. */
  private async retry(trial: TrialRecord, step: number, error: string): Promise<TrialOutcome> {
    const current = await this.options.store.requireTrial(trial.id);
    const failure = { attempt: current.attempts, step, error, time: Date.now() };
    const resumeStep = current.checkpointStep ?? 0;
    const patch = { step: resumeStep, workers: [], failures: [...current.failures, failure] };
    const requeued = await this.options.store.transitionTrial(trial.id, ['running'], 'queued', patch);
    if (!requeued.applied) return { trialId: trial.id, state: 'skipped', reason: `became ${requeued.previous} meanwhile` };
    this.options.log(
      `trial ${trial.id}: attempt ${failure.attempt} failed at step ${step}: ${error}; ` +
        `retrying from step ${resumeStep} (${patch.failures.length} of ${trial.maxFailures} retries)`,
    );
    return { trialId: trial.id, state: 'released', step: resumeStep, delayMs: this.options.retryDelayMs ?? 0 };
  }

  private async settle(
    trial: TrialRecord,
    from: TrialState[],
    to: FinalState,
    step: number,
    patch: TrialPatch = {},
    metric?: number,
  ): Promise<TrialOutcome> {
    const result = await this.options.store.transitionTrial(trial.id, from, to, { ...patch, step });
    // Trained to the end while PBT gave it another trial's checkpoint: it continues from that one.
    if (result.exploited) return this.requeue(await this.options.store.requireTrial(trial.id), EXPLOITED, true);
    if (!result.applied) return { trialId: trial.id, state: 'skipped', reason: `became ${result.previous} meanwhile` };
    this.options.log(`trial ${trial.id}: ${to} at step ${step}${patch.error ? `: ${patch.error}` : ''}`);
    return {
      trialId: trial.id,
      state: to,
      step,
      ...(metric === undefined ? {} : { metric }),
      ...(patch.error === undefined ? {} : { error: patch.error }),
    };
  }
}

/** What makes a leader re-form its gang rather than end the trial: a broken ring, or free workers to take in. */
function reformsGang(err: unknown): boolean {
  return err instanceof RingError || (err instanceof TrialInterrupt && err.reason === 'grow');
}
