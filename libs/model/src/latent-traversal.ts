/**
 * Latent traversals: what the decoder draws as one latent changes while the others are held,
 * the Joint VAE paper's picture of what each latent has learned.
 */
import * as tf from '@tensorflow/tfjs-core';
import { latentLayout } from './architecture.js';
import type { JointVae } from './joint-vae.js';

export interface TraversalOptions {
  /** Values each continuous dimension is swept over (default 10). */
  columns?: number;
  /** The probability below the first swept value and above the last (default 0.05). */
  tailProbability?: number;
  /** The category each categorical latent is held at in the continuous rows (default 0 for each). */
  fixedCategories?: readonly number[];
}

export interface TraversalRow {
  /** `z<d>` for continuous dimension d, `c<i>` for categorical latent i (both from 0). */
  label: string;
  kind: 'continuous' | 'categorical';
  /** The swept value in each column: a z value, or a category index. */
  values: number[];
  /** One image per column: imageSize × imageSize grey levels 0–255, row-major. */
  images: Uint8Array[];
}

export interface TraversalGrid {
  imageSize: number;
  /** Columns of the continuous rows; a categorical row has one column per category. */
  columns: number;
  fixedCategories: number[];
  rows: TraversalRow[];
}

const DEFAULT_COLUMNS = 10;
const DEFAULT_TAIL_PROBABILITY = 0.05;

/**
 * The decoder's images (eval mode, no noise) over a grid of latents: one row per continuous
 * dimension d, z_d at the standard normal's quantiles of evenly spaced probabilities from
 * `tailProbability` to 1 − `tailProbability`, every other z 0 and each categorical latent at its
 * fixed category; then one row per categorical latent i, c_i at each of its categories, z = 0
 * and the other categoricals at their fixed categories.
 */
export function latentTraversal(model: JointVae, options: TraversalOptions = {}): TraversalGrid {
  const layout = latentLayout(model.config);
  const { continuous, discrete, categoryInputOffsets: categoryStarts } = layout;
  const columns = checkColumns(options.columns ?? DEFAULT_COLUMNS);
  const tail = checkTailProbability(options.tailProbability ?? DEFAULT_TAIL_PROBABILITY);
  const fixedCategories = checkFixedCategories(options.fixedCategories ?? discrete.map(() => 0), discrete);
  const sweep = Array.from({ length: columns }, (_, j) => standardNormalQuantile(tail + ((1 - 2 * tail) * j) / (columns - 1)));

  // Each row's decoder inputs concat(z, c_1..c_m): the base with the row's latent changed.
  const base = new Float32Array(layout.decoderInputs);
  fixedCategories.forEach((category, i) => (base[categoryStarts[i] + category] = 1));
  const rows: { label: string; kind: TraversalRow['kind']; values: number[]; latents: Float32Array[] }[] = [];
  for (let d = 0; d < continuous; d++) {
    const latents = sweep.map((value) => {
      const latent = base.slice();
      latent[d] = value;
      return latent;
    });
    rows.push({ label: `z${d}`, kind: 'continuous', values: [...sweep], latents });
  }
  discrete.forEach((k, i) => {
    const categories = Array.from({ length: k }, (_, category) => category);
    const latents = categories.map((category) => {
      const latent = base.slice();
      latent.fill(0, categoryStarts[i], categoryStarts[i] + k);
      latent[categoryStarts[i] + category] = 1;
      return latent;
    });
    rows.push({ label: `c${i}`, kind: 'categorical', values: categories, latents });
  });

  const pixels = decodeGrey(model, rows.flatMap((row) => row.latents), layout.decoderInputs);
  const imagePixels = model.config.imageSize ** 2;
  let offset = 0;
  const nextImage = () => pixels.slice(offset, (offset += imagePixels));
  return {
    imageSize: model.config.imageSize,
    columns,
    fixedCategories,
    rows: rows.map(({ label, kind, values, latents }) => ({ label, kind, values, images: latents.map(nextImage) })),
  };
}

/** The decoder's images of `latents` in one batch, as grey levels 0–255. */
function decodeGrey(model: JointVae, latents: Float32Array[], width: number): Uint8Array {
  const flat = new Float32Array(latents.length * width);
  latents.forEach((latent, n) => flat.set(latent, n * width));
  const images = tf.tidy(() => model.decode(tf.tensor2d(flat, [latents.length, width])));
  try {
    return Uint8Array.from(images.dataSync(), (value) => Math.round(value * 255));
  } finally {
    images.dispose();
  }
}

function checkColumns(columns: number): number {
  if (!Number.isInteger(columns) || columns < 2) {
    throw new RangeError(`latentTraversal: columns must be an integer ≥ 2, got ${columns}`);
  }
  return columns;
}

function checkTailProbability(tail: number): number {
  if (!(tail > 0 && tail < 0.5)) {
    throw new RangeError(`latentTraversal: tailProbability must be in (0, 0.5), got ${tail}`);
  }
  return tail;
}

function checkFixedCategories(fixed: readonly number[], discrete: readonly number[]): number[] {
  if (fixed.length !== discrete.length) {
    throw new RangeError(
      `latentTraversal: fixedCategories needs one category per categorical latent (${discrete.length}), got ${fixed.length}`,
    );
  }
  fixed.forEach((category, i) => {
    if (!Number.isInteger(category) || category < 0 || category >= discrete[i]) {
      throw new RangeError(`latentTraversal: fixedCategories[${i}] must be an integer from 0 to ${discrete[i] - 1}, got ${category}`);
    }
  });
  return [...fixed];
}

/** Σ coefficients[i]·x^i, by Horner's rule. */
function polynomial(coefficients: readonly number[], x: number): number {
  return coefficients.reduceRight((sum, c) => sum * x + c, 0);
}

// Wichura's AS 241 (PPND16) rational approximations: in q = p − 1/2 for |q| ≤ 0.425, else in
// r = sqrt(−log(min(p, 1 − p))) up to 5 and beyond.
const CENTRAL = {
  numerator: [
    3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125,
    45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727,
  ],
  denominator: [
    1, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077,
    21213.794301586595867, 39307.89580009271061, 28729.085735721942674, 5226.495278852545925,
  ],
};
const NEAR_TAIL = {
  numerator: [
    1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504,
    1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4,
  ],
  denominator: [
    1, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455,
    0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9,
  ],
};
const FAR_TAIL = {
  numerator: [
    6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123,
    0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7,
  ],
  denominator: [
    1, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525,
    7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15,
  ],
};

function rational({ numerator, denominator }: { numerator: readonly number[]; denominator: readonly number[] }, x: number): number {
  return polynomial(numerator, x) / polynomial(denominator, x);
}

/** The standard normal's inverse CDF at p in (0, 1), to about 1e-16 relative error. */
function standardNormalQuantile(p: number): number {
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) return q * rational(CENTRAL, 0.180625 - q * q);
  const r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  const value = r <= 5 ? rational(NEAR_TAIL, r - 1.6) : rational(FAR_TAIL, r - 5);
  return q < 0 ? -value : value;
}
