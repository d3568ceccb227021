import type { HyperbandSpec } from './spec.js';

/**
 * Hyperband (Li et al. 2017) in the asynchronous stopping form: the sweep's trials are spread
 * over brackets of successive halving that differ in how early they make their first cut, so
 * that a sweep hedges between stopping early (many trials, little budget each) and training
 * every trial to the end. Within a bracket each rung is decided by ashaDecision, among the
 * values recorded at that rung by trials of the same bracket.
 */

export type HyperbandSettings = Pick<HyperbandSpec, 'min_steps' | 'max_steps' | 'eta'>;

export interface HyperbandBracket {
  /** How many halvings the bracket makes: 0 trains to the end, s_max cuts first at min_steps. */
  s: number;
  /** Steps at which its trials are compared, ascending: `min_steps * eta^(s_max - s + i)`, i < s. */
  rungs: number[];
  /** Trials it starts with in one synchronous Hyperband round: `ceil((s_max + 1) / (s + 1) * eta^s)`. */
  trials: number;
  /** `trials` over the sum for all brackets: the part of the sweep's trials assigned to it. */
  share: number;
}

/**
 * The brackets s = 0..s_max, where s_max is the largest s with `min_steps * eta^s ≤ max_steps`.
 * Each bracket spends about the same budget in the synchronous algorithm, which is why the
 * brackets that cut early hold more trials.
 */
export function hyperbandBrackets({ min_steps: minSteps, max_steps: maxSteps, eta }: HyperbandSettings): HyperbandBracket[] {
  if (!Number.isSafeInteger(minSteps) || minSteps < 1) throw new RangeError(`min_steps must be an integer ≥ 1 (got ${minSteps})`);
  if (!Number.isSafeInteger(maxSteps) || maxSteps <= minSteps) {
    throw new RangeError(`max_steps must be an integer above min_steps ${minSteps} (got ${maxSteps})`);
  }
  if (!Number.isSafeInteger(eta) || eta < 2) throw new RangeError(`eta must be an integer ≥ 2 (got ${eta})`);
  let sMax = 0;
  while (minSteps * eta ** (sMax + 1) <= maxSteps) sMax++;
  const brackets = Array.from({ length: sMax + 1 }, (_, s) => ({
    s,
    rungs: Array.from({ length: s }, (_, i) => minSteps * eta ** (sMax - s + i)),
    trials: Math.ceil(((sMax + 1) * eta ** s) / (s + 1)),
  }));
  const total = brackets.reduce((sum, b) => sum + b.trials, 0);
  return brackets.map((b) => ({ ...b, share: b.trials / total }));
}

/** The golden ratio's fractional part: its multiples spread over [0, 1) as evenly as any sequence can. */
const GOLDEN_FRACTION = (Math.sqrt(5) - 1) / 2;

/**
 * The bracket (its s) of the trial at `trialIndex`. Trials are dealt by the low-discrepancy
 * sequence `frac(index * golden ratio)` over the brackets' shares laid end to end, so any run of
 * consecutive trials splits close to the shares, and the assignment needs no state and no seed.
 */
export function hyperbandBracketOf(trialIndex: number, brackets: readonly HyperbandBracket[]): number {
  if (!Number.isSafeInteger(trialIndex) || trialIndex < 0) throw new RangeError(`trialIndex must be an integer ≥ 0 (got ${trialIndex})`);
  if (brackets.length === 0) throw new RangeError('there are no brackets to assign the trial to');
  const u = (trialIndex * GOLDEN_FRACTION) % 1;
  let end = 0;
  for (const bracket of brackets) {
    end += bracket.share;
    if (u < end) return bracket.s;
  }
  // The shares sum to 1 up to rounding; a point in that last sliver belongs to the last bracket.
  return brackets[brackets.length - 1]!.s;
}

/**
 * The rungs of the trial's bracket that it reaches before the end of its own `trialSteps`
 * (a rung at its last step would decide nothing, as with ashaRungs).
 */
export function hyperbandRungs(spec: HyperbandSettings, trialIndex: number, trialSteps: number): number[] {
  const brackets = hyperbandBrackets(spec);
  const s = hyperbandBracketOf(trialIndex, brackets);
  return brackets[s]!.rungs.filter((rung) => rung < trialSteps);
}
