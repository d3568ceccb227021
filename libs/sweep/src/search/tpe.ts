import { createRng, hashSeed } from '@jvae/rng';
import type { ParamValue, ParameterSpec } from '../spec.js';
import { ParzenEstimator } from './parzen-estimator.js';
import { randomDraw } from './random-draw.js';
import { decodeValue, encodeValue, searchDimensions } from './search-dimension.js';

/** A finished trial: its parameters and its value, lower is better (callers negate to maximise). */
export interface Observation {
  params: Record<string, ParamValue>;
  value: number;
}

export interface TpeOptions {
  /** The sweep seed. */
  seed: number;
  /** The 0-based index of the trial being suggested; with the seed, it names its random streams. */
  index: number;
  /** Trials (finished or running) before which suggestions are random draws. */
  startupTrials: number;
  /** Points drawn from l(x) among which the best l(x)/g(x) is chosen; 24 unless set. */
  candidates?: number;
  /** The fraction of finished trials, best first, that l(x) is fitted to; 0.25 unless set. */
  gamma?: number;
}

const DEFAULT_CANDIDATES = 24;
const DEFAULT_GAMMA = 0.25;
/** At most this many trials make up l(x), so that it stays narrow in long sweeps. */
const MAX_GOOD = 25;
const PRIOR_WEIGHT = 1;

/**
 * The next trial's parameters by the Tree-structured Parzen Estimator. While fewer than
 * `startupTrials` trials exist (finished or pending), a random draw identical to random
 * search's for the same seed and index. Then the finished trials are split into the best
 * `gamma` fraction, fitted by l(x), and the rest, fitted by g(x); `candidates` points drawn
 * from l(x) are scored by l(x)/g(x) and the best is returned. Pending trials (running, no
 * value yet) join g(x) as if they had the worst value, so that concurrent suggestions move
 * away from points already being tried. The same inputs always give the same output.
 * A value that is not finite (a diverged loss) ranks worst. Throws RangeError for bad
 * options or a trial whose parameters do not fit the space.
 */
export function suggestTpe(
  space: Record<string, ParameterSpec>,
  observations: readonly Observation[],
  pending: readonly Record<string, ParamValue>[],
  options: TpeOptions,
): Record<string, ParamValue> {
  const { seed, index, startupTrials, candidates = DEFAULT_CANDIDATES, gamma = DEFAULT_GAMMA } = options;
  checkOptions(startupTrials, candidates, gamma);
  if (observations.length + pending.length < startupTrials) return randomDraw(space, seed, index);

  const dims = searchDimensions(space);
  const encode = (params: Record<string, ParamValue>, what: string) =>
    dims.map((dim) => encodeValue(dim, params[dim.path], what));
  const ranked = observations
    .map((o, i) => ({ point: encode(o.params, `observation ${i}`), value: Number.isFinite(o.value) ? o.value : Infinity, i }))
    .sort((a, b) => a.value - b.value || a.i - b.i);
  const good = Math.min(Math.ceil(gamma * ranked.length), MAX_GOOD);
  const below = new ParzenEstimator(dims, ranked.slice(0, good).map((r) => r.point), PRIOR_WEIGHT);
  const above = new ParzenEstimator(
    dims,
    [...ranked.slice(good).map((r) => r.point), ...pending.map((p, i) => encode(p, `pending trial ${i}`))],
    PRIOR_WEIGHT,
  );

  const random = createRng(hashSeed(seed, 'tpe', index));
  let best: number[] = [];
  let bestScore = -Infinity;
  for (const point of below.sample(random, candidates)) {
    const score = below.logDensity(point) - above.logDensity(point);
    if (score > bestScore) [best, bestScore] = [point, score];
  }

  const chosen = new Map(dims.map((dim, d) => [dim.path, decodeValue(dim, best[d]!)]));
  return Object.fromEntries(
    Object.entries(space).map(([path, spec]) => [path, 'distribution' in spec ? chosen.get(path)! : structuredClone(spec.value)]),
  );
}

function checkOptions(startupTrials: number, candidates: number, gamma: number): void {
  if (!Number.isSafeInteger(startupTrials) || startupTrials < 0) {
    throw new RangeError(`suggestTpe: startupTrials must be a non-negative integer, got ${startupTrials}`);
  }
  if (!Number.isSafeInteger(candidates) || candidates < 1) {
    throw new RangeError(`suggestTpe: candidates must be a positive integer, got ${candidates}`);
  }
  if (!(gamma > 0 && gamma <= 1)) throw new RangeError(`suggestTpe: gamma must be in (0, 1], got ${gamma}`);
}
