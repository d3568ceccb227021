import { compareMetric, type MetricGoal } from './metrics.js';

/**
 * Asynchronous successive halving (Li et al. 2018, "A System for Massively Parallel
 * Hyperparameter Tuning"), in its stopping form: when a trial reaches a rung it is compared
 * with the trials already recorded there, and only the top 1/eta go on.
 */

export type AshaDecision = 'continue' | 'stop';

/** The steps at which trials are compared: `minSteps * eta^k` for k = 0, 1, … while below `maxSteps`. */
export function ashaRungs(minSteps: number, eta: number, maxSteps: number): number[] {
  requireInteger('minSteps', minSteps, 1);
  requireInteger('eta', eta, 2);
  requireInteger('maxSteps', maxSteps, 1);
  const rungs: number[] = [];
  for (let step = minSteps; step < maxSteps; step *= eta) rungs.push(step);
  return rungs;
}

export interface AshaDecisionInput {
  /** The rung's step; the values compared must all have been recorded at this rung. */
  rung: number;
  /** This trial's metric at the rung. */
  value: number;
  goal: MetricGoal;
  /** Values of the other trials already recorded at this rung (not including this one). */
  recorded: readonly number[];
  eta: number;
}

/**
 * With n results at the rung (this trial's included), the trial continues if its rank
 * (the number of recorded values strictly better than it: ties favour the trial) is below
 * `max(1, floor(n / eta))`. While n < eta there are too few results to halve, and the
 * trial continues. A value that is not finite ranks below every finite one.
 */
export function ashaDecision({ rung, value, goal, recorded, eta }: AshaDecisionInput): AshaDecision {
  requireInteger('rung', rung, 1);
  requireInteger('eta', eta, 2);
  const n = recorded.length + 1;
  if (n < eta) return 'continue';
  const rank = recorded.filter((other) => compareMetric(other, value, goal) < 0).length;
  return rank < Math.max(1, Math.floor(n / eta)) ? 'continue' : 'stop';
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer ≥ ${min} (got ${value})`);
  }
}
