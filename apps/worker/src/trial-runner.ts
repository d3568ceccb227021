import type { StopReason, TrialPatch, TrialRecord } from '@jvae/store';
import { isTerminalTrialState, type TrialState } from '@jvae/sweep';
import { evalValues } from './eval-values.js';
import { TrialAttempt, type TrialAttemptDeps } from './trial-attempt.js';
import { TrialInterrupt } from './trial-interrupt.js';

type FinalState = 'completed' | 'stopped' | 'cancelled' | 'failed';

/** How a trial's job ended for this worker. */
export type TrialOutcome =
  /** The trial reached a final state here. */
  | { trialId: string; state: FinalState; step: number; metric?: number; error?: string }
  /** Nothing to do: unknown, already final, or changed by someone else meanwhile. */
  | { trialId: string; state: 'skipped'; reason: string }
  /** Interrupted by shutdown: the trial is queued again and its job must go back to the queue. */
  | { trialId: string; state: 'released'; step: number };

export type TrialRunnerOptions = TrialAttemptDeps;

const STOPPED_STATE: Record<StopReason, FinalState> = { asha: 'stopped', cancel: 'cancelled' };

/**
 * Takes a trial from its record to a final state: skips it when it is already final,
 * honours a stop request made while it was queued, moves it to `running` (counting the
 * attempt), trains it with a TrialAttempt and records the end: `completed` (with the
 * reason in `error` when its last checkpoint could not be uploaded), `stopped`
 * (ASHA), `cancelled`, `failed` with the reason (bad config or dataset, NaN loss, a
 * checkpoint that fails verification, ...), or back to `queued` when the worker shuts
 * down. Every transition is conditional on the state this worker left the trial in, so
 * a trial changed by someone else meanwhile is never overwritten.
 */
export class TrialRunner {
  constructor(private readonly options: TrialRunnerOptions) {}

  async run(trialId: string, signal: AbortSignal): Promise<TrialOutcome> {
    const { store, workerId, log } = this.options;
    const trial = await store.getTrial(trialId);
    if (!trial) return { trialId, state: 'skipped', reason: 'no such trial' };
    if (isTerminalTrialState(trial.state)) return { trialId, state: 'skipped', reason: `already ${trial.state}` };
    if (signal.aborted) return { trialId, state: 'released', step: trial.step };
    const stop = await store.stopRequest(trialId);
    if (stop) return this.settle(trial, ['queued', 'running'], STOPPED_STATE[stop], trial.step);

    const started = await store.transitionTrial(trialId, ['queued', 'running'], 'running', { workers: [workerId] });
    if (!started.applied) return { trialId, state: 'skipped', reason: `became ${started.previous} meanwhile` };
    log(`trial ${trialId}: running (attempt ${trial.attempts + 1})`);

    const attempt = new TrialAttempt(trial, signal, this.options);
    try {
      const { step, metrics, uploadProblem } = await attempt.train();
      // Trained to the end, the trial completes even without its last checkpoint; the record says why it lacks it.
      const patch = uploadProblem ? { error: uploadProblem } : {};
      return await this.settle(trial, ['running'], 'completed', step, patch, evalValues(metrics)[trial.metricName]);
    } catch (err) {
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
            return { trialId, state: 'skipped', reason: 'no longer running under this worker' };
          default:
            return this.settle(trial, ['running'], STOPPED_STATE[err.reason], attempt.step);
        }
      }
      const error = err instanceof Error ? err.message : String(err);
      return this.settle(trial, ['running'], 'failed', attempt.step, { error });
    }
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
