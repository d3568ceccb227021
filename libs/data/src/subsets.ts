/** Fixed train/validation splits and the construction of image sets from chosen samples. */
import type { ImageSet } from './dataset.js';
import { epochPermutation } from './batching.js';

/** Train and validation sample indices, in the order they will appear in each set. */
export interface Split {
  train: Uint32Array;
  validation: Uint32Array;
}

/**
 * Shuffles 0 … count−1 with `seed` and holds out the last round(count · fraction)
 * samples (at least one when fraction > 0); each side is then cut to `limit`.
 */
export function heldOutSplit(count: number, validationFraction: number, seed: number, limit: number): Split {
  const order = epochPermutation(count, seed, 0);
  const held = validationFraction > 0 ? Math.max(1, Math.round(count * validationFraction)) : 0;
  const trainEnd = count - held;
  return {
    train: order.subarray(0, Math.min(trainEnd, limit)),
    validation: order.subarray(trainEnd, trainEnd + Math.min(held, limit)),
  };
}

/** Where a set's pixels, labels and factors come from, addressed by source sample index. */
export interface SampleSource {
  pixelsPerImage: number;
  /** Writes source sample `index` into `target` (pixelsPerImage values in [0, 1]); `target` arrives zeroed. */
  writeImage(index: number, target: Float32Array): void;
  label?(index: number): number;
  factorCount?: number;
  factor?(index: number, column: number): number;
}

export function buildImageSet(source: SampleSource, indices: ArrayLike<number>): ImageSet {
  const count = indices.length;
  const pixels = source.pixelsPerImage;
  const images = new Float32Array(count * pixels);
  const labels = source.label ? new Uint8Array(count) : undefined;
  const width = source.factorCount ?? 0;
  const factors = source.factor && width > 0 ? new Int32Array(count * width) : undefined;
  for (let k = 0; k < count; k++) {
    const index = indices[k]!;
    source.writeImage(index, images.subarray(k * pixels, (k + 1) * pixels));
    if (labels) labels[k] = source.label!(index);
    if (factors) for (let f = 0; f < width; f++) factors[k * width + f] = source.factor!(index, f);
  }
  return { images, count, ...(labels && { labels }), ...(factors && { factors }) };
}

/**
 * Copies a 28×28 image into the centre of a zeroed 32×32 target, leaving a
 * 2-pixel border of zeros on each side, multiplying each pixel by `scale`.
 */
export function padTo32(source: ArrayLike<number>, offset: number, scale: number, target: Float32Array): void {
  for (let row = 0; row < 28; row++) {
    const from = offset + row * 28;
    const to = (row + 2) * 32 + 2;
    for (let col = 0; col < 28; col++) target[to + col] = source[from + col]! * scale;
  }
}
