import { Rng } from '@jvae/rng';
import { checkFactorCodes, type FactorCodes } from './factor-codes.js';

export interface FactorVaeOptions extends FactorCodes {
  seed: number;
  /** Votes the majority-vote classifier is fitted on. */
  trainVotes?: number;
  /** Votes the classifier is scored on. */
  evalVotes?: number;
  /** Samples L per vote that share the fixed factor value. */
  batchSize?: number;
  /** Dimensions judged active otherwise (e.g. by KL, see activeDimensions); others are pruned. */
  activeDims?: number[];
  /** Dimensions whose standard deviation over the data is below this are pruned as collapsed. */
  minStd?: number;
}

export interface FactorVaeScore {
  /** Accuracy of the majority-vote classifier on the evaluation votes: the metric. */
  score: number;
  trainAccuracy: number;
  /** Dimensions that took part after pruning. */
  activeDims: number[];
  /** Factor each code dimension votes for, −1 where it is pruned or never won a training vote. */
  classifier: number[];
}

/** Collapsed dimensions of a VAE's means vary by far less than this; informative ones by about 1. */
export const FACTOR_VAE_MIN_STD = 0.05;

/**
 * The factor metric of Kim & Mnih (2018, "Disentangling by Factorising"). Codes
 * are scaled by each dimension's standard deviation over the data. A vote picks a
 * factor k (uniformly among those that vary) and a value of it (that of a random
 * sample), draws L samples with that value (with replacement), and pairs k with
 * the dimension of least scaled variance over them. A majority-vote classifier
 * dimension → factor is fitted on the training votes and its accuracy on the
 * evaluation votes is the score. Collapsed dimensions (std < minStd, or outside
 * activeDims) are pruned first; with none left the score is 0.
 */
export function factorVaeScore(options: FactorVaeOptions): FactorVaeScore {
  const { codes, dims, factors, factorSizes, seed, trainVotes = 800, evalVotes = 400, batchSize = 64 } = options;
  const count = checkFactorCodes('factorVaeScore', options);
  for (const [name, value, min] of [['trainVotes', trainVotes, 1], ['evalVotes', evalVotes, 1], ['batchSize', batchSize, 2]] as const) {
    if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`factorVaeScore: ${name} must be an integer ≥ ${min}, got ${value}`);
  }
  const width = factorSizes.length;
  const std = standardDeviations(codes, dims, count);
  const allowed = options.activeDims ? new Set(options.activeDims) : undefined;
  const active = std.flatMap((s, d) => (s >= (options.minStd ?? FACTOR_VAE_MIN_STD) && (!allowed || allowed.has(d)) ? [d] : []));
  const classifier = new Array<number>(dims).fill(-1);
  if (active.length === 0) return { score: 0, trainAccuracy: 0, activeDims: [], classifier };

  // Sample indices grouped by (factor, value).
  const groups = factorSizes.map((size) => Array.from({ length: size }, () => [] as number[]));
  for (let i = 0; i < count; i++) for (let k = 0; k < width; k++) groups[k]![factors[i * width + k]!]!.push(i);
  const varying = factorSizes.flatMap((_, k) => (groups[k]!.filter((members) => members.length > 0).length > 1 ? [k] : []));
  if (varying.length === 0) throw new RangeError('factorVaeScore: no factor takes more than one value in the data');

  const rng = new Rng(seed);
  const sums = new Float64Array(active.length);
  const squares = new Float64Array(active.length);
  const vote = (): { dim: number; factor: number } => {
    const factor = varying[rng.nextInt(varying.length)]!;
    const members = groups[factor]![factors[rng.nextInt(count) * width + factor]!]!;
    sums.fill(0);
    squares.fill(0);
    for (let l = 0; l < batchSize; l++) {
      const row = members[rng.nextInt(members.length)]! * dims;
      active.forEach((d, a) => {
        const value = codes[row + d]! / std[d]!;
        sums[a]! += value;
        squares[a]! += value * value;
      });
    }
    let best = 0;
    let bestVariance = Infinity;
    for (let a = 0; a < active.length; a++) {
      const variance = (squares[a]! - (sums[a]! * sums[a]!) / batchSize) / (batchSize - 1);
      if (variance < bestVariance) {
        bestVariance = variance;
        best = a;
      }
    }
    return { dim: active[best]!, factor };
  };

  const votes = new Float64Array(dims * width);
  for (let v = 0; v < trainVotes; v++) {
    const { dim, factor } = vote();
    votes[dim * width + factor]!++;
  }
  let trainCorrect = 0;
  for (const d of active) {
    let bestVotes = 0;
    for (let k = 0; k < width; k++) {
      if (votes[d * width + k]! > bestVotes) {
        bestVotes = votes[d * width + k]!;
        classifier[d] = k;
      }
    }
    trainCorrect += bestVotes;
  }
  let evalCorrect = 0;
  for (let v = 0; v < evalVotes; v++) {
    const { dim, factor } = vote();
    if (classifier[dim] === factor) evalCorrect++;
  }
  return { score: evalCorrect / evalVotes, trainAccuracy: trainCorrect / trainVotes, activeDims: active, classifier };
}

function standardDeviations(codes: Float32Array, dims: number, count: number): number[] {
  const mean = new Float64Array(dims);
  for (let i = 0; i < count; i++) for (let d = 0; d < dims; d++) mean[d]! += codes[i * dims + d]! / count;
  const variance = new Float64Array(dims);
  for (let i = 0; i < count; i++) {
    for (let d = 0; d < dims; d++) {
      const deviation = codes[i * dims + d]! - mean[d]!;
      variance[d]! += deviation * deviation;
    }
  }
  return Array.from(variance, (v) => Math.sqrt(v / count));
}
