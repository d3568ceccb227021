import { ashaRungs } from './asha.js';
import { hyperbandBrackets, hyperbandBracketOf, hyperbandRungs } from './hyperband.js';
import type { EarlyTerminateSpec } from './spec.js';

/** Where a trial is judged: the steps of its rungs, and for Hyperband the bracket it competes in. */
export interface TrialRungs {
  rungs: number[];
  /** Hyperband's bracket (its `s`); absent for ASHA, where every trial of the sweep competes together. */
  bracket?: number;
}

/** The rungs of trial `trialIndex` of `steps` steps under the sweep's early stopping (none without it). */
export function trialRungs(early: EarlyTerminateSpec | undefined, trialIndex: number, steps: number): TrialRungs {
  if (!early) return { rungs: [] };
  if (early.type === 'asha') return { rungs: ashaRungs(early.min_steps, early.eta, steps) };
  return { rungs: hyperbandRungs(early, trialIndex, steps), bracket: hyperbandBracketOf(trialIndex, hyperbandBrackets(early)) };
}
