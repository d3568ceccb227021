/** Latent codes of N samples next to their ground-truth generative factors. */
export interface FactorCodes {
  /** N × dims codes, row-major (typically the encoder means). */
  codes: Float32Array;
  dims: number;
  /** N × F factor indices, row-major; F = factorSizes.length. */
  factors: Int32Array;
  /** Number of values of each factor; factor k takes values 0 … factorSizes[k] − 1. */
  factorSizes: number[];
}

/** Checks shapes and ranges; returns the sample count N. */
export function checkFactorCodes(metric: string, input: FactorCodes): number {
  const { codes, dims, factors, factorSizes } = input;
  if (!Number.isSafeInteger(dims) || dims < 1) throw new RangeError(`${metric}: dims must be a positive integer, got ${dims}`);
  if (factorSizes.length === 0) throw new RangeError(`${metric}: no factors`);
  factorSizes.forEach((size, k) => {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`${metric}: factorSizes[${k}] must be a positive integer, got ${size}`);
  });
  if (codes.length === 0 || codes.length % dims !== 0) {
    throw new RangeError(`${metric}: ${codes.length} code values is not a positive multiple of dims (${dims})`);
  }
  const count = codes.length / dims;
  const width = factorSizes.length;
  if (factors.length !== count * width) {
    throw new RangeError(`${metric}: ${factors.length} factor values, expected ${count} samples × ${width} factors`);
  }
  for (let i = 0; i < codes.length; i++) {
    if (!Number.isFinite(codes[i]!)) throw new RangeError(`${metric}: code value ${codes[i]} at sample ${Math.floor(i / dims)}, dim ${i % dims}`);
  }
  for (let i = 0; i < factors.length; i++) {
    const value = factors[i]!;
    const size = factorSizes[i % width]!;
    if (value < 0 || value >= size) {
      throw new RangeError(`${metric}: factor ${i % width} of sample ${Math.floor(i / width)} is ${value}, outside [0, ${size})`);
    }
  }
  return count;
}
