import { ashaRungs } from './asha.js';
import { hyperbandBrackets, hyperbandBracketOf, hyperbandRungs } from './hyperband.js';
import { pbtIntervals } from './pbt-schedule.js';
import type { SweepSpec } from './spec.js';

/**
 * Where a trial is judged: the steps of its rungs (ASHA, Hyperband) or of its PBT intervals, and
 * for Hyperband the bracket it competes in. Workers evaluate at these steps.
 */
export interface TrialRungs {
  rungs: number[];
  /** Hyperband's bracket (its `s`); absent for ASHA, where every trial of the sweep competes together. */
  bracket?: number;
}

/** The rungs of trial `trialIndex` of `steps` steps under the sweep's early stopping or PBT (none without either). */
export function trialRungs(spec: Pick<SweepSpec, 'early_terminate' | 'scheduler'>, trialIndex: number, steps: number): TrialRungs {
  const early = spec.early_terminate;
  if (spec.scheduler) return { rungs: pbtIntervals(spec.scheduler.interval, steps) };
  if (!early) return { rungs: [] };
  if (early.type === 'asha') return { rungs: ashaRungs(early.min_steps, early.eta, steps) };
  return { rungs: hyperbandRungs(early, trialIndex, steps), bracket: hyperbandBracketOf(trialIndex, hyperbandBrackets(early)) };
}
