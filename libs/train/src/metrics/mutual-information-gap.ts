import { checkFactorCodes, type FactorCodes } from './factor-codes.js';

export interface MigOptions extends FactorCodes {
  /** Equal-width histogram bins per code dimension. */
  bins?: number;
}

export interface MutualInformationGap {
  /** Mean over the varying factors of the normalised gap: the metric. */
  score: number;
  /** Per factor: (top MI − second MI) / H(factor); 0 for a factor constant in the data (left out of the mean). */
  perFactor: number[];
  /** mutualInformation[dim][factor], in nats, between the discretised code and the factor. */
  mutualInformation: number[][];
  /** Entropy of each factor in the data, in nats. */
  factorEntropy: number[];
}

/**
 * The Mutual Information Gap of Chen et al. (2018, "Isolating Sources of
 * Disentanglement in VAEs"), estimated as in disentanglement_lib: each code
 * dimension is discretised into `bins` equal-width bins between its minimum and
 * maximum, and the discrete mutual information with each factor is taken from
 * the joint histogram.
 */
export function mutualInformationGap(options: MigOptions): MutualInformationGap {
  const { codes, dims, factors, factorSizes, bins = 20 } = options;
  const count = checkFactorCodes('mutualInformationGap', options);
  if (!Number.isSafeInteger(bins) || bins < 1) throw new RangeError(`mutualInformationGap: bins must be a positive integer, got ${bins}`);
  const width = factorSizes.length;

  const factorColumns = factorSizes.map((_, k) => Int32Array.from({ length: count }, (_, i) => factors[i * width + k]!));
  const factorEntropy = factorColumns.map((column, k) => entropy(histogram(column, factorSizes[k]!), count));
  const mutualInformation = Array.from({ length: dims }, (_, d) => {
    const binned = discretise(codes, dims, d, count, bins);
    return factorColumns.map((column, k) => discreteMutualInformation(binned, bins, column, factorSizes[k]!));
  });

  const perFactor = factorSizes.map((_, k) => {
    if (factorEntropy[k]! <= 0) return 0;
    const sorted = mutualInformation.map((row) => row[k]!).sort((a, b) => b - a);
    return (sorted[0]! - (sorted[1] ?? 0)) / factorEntropy[k]!;
  });
  const varying = factorSizes.flatMap((_, k) => (factorEntropy[k]! > 0 ? [k] : []));
  if (varying.length === 0) throw new RangeError('mutualInformationGap: every factor is constant in the data');
  const score = varying.reduce((sum, k) => sum + perFactor[k]!, 0) / varying.length;
  return { score, perFactor, mutualInformation, factorEntropy };
}

/** Bin index of each sample's value in dimension d; a constant dimension falls in one bin. */
function discretise(codes: Float32Array, dims: number, d: number, count: number, bins: number): Int32Array {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < count; i++) {
    min = Math.min(min, codes[i * dims + d]!);
    max = Math.max(max, codes[i * dims + d]!);
  }
  const scale = max > min ? bins / (max - min) : 0;
  // The maximum lands in the last bin, which is closed on the right as in numpy.histogram.
  return Int32Array.from({ length: count }, (_, i) => Math.min(bins - 1, Math.floor((codes[i * dims + d]! - min) * scale)));
}

function histogram(values: Int32Array, size: number): Float64Array {
  const counts = new Float64Array(size);
  for (const value of values) counts[value]!++;
  return counts;
}

function entropy(counts: Float64Array, total: number): number {
  let h = 0;
  for (const count of counts) if (count > 0) h -= (count / total) * Math.log(count / total);
  return h;
}

/** I(A; B) in nats from the empirical joint distribution of two discrete variables. */
function discreteMutualInformation(a: Int32Array, aSize: number, b: Int32Array, bSize: number): number {
  const total = a.length;
  const joint = new Float64Array(aSize * bSize);
  for (let i = 0; i < total; i++) joint[a[i]! * bSize + b[i]!]!++;
  const aCounts = histogram(a, aSize);
  const bCounts = histogram(b, bSize);
  let mi = 0;
  for (let x = 0; x < aSize; x++) {
    for (let y = 0; y < bSize; y++) {
      const n = joint[x * bSize + y]!;
      if (n > 0) mi += (n / total) * Math.log((n * total) / (aCounts[x]! * bCounts[y]!));
    }
  }
  return Math.max(0, mi);
}
