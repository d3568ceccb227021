/**
 * `idx:DIR`: a directory of IDX files in the MNIST layout (also Fashion-MNIST,
 * KMNIST): train-images-idx3-ubyte, train-labels-idx1-ubyte and the t10k-*
 * pair, each raw or gzipped, with `-` or `.` before `idx`. 28×28 images are
 * padded to 32×32; the t10k files are the validation set.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Dataset, ImageSet } from './dataset.js';
import { DataError } from './data-error.js';
import { buildImageSet, padTo32 } from './subsets.js';

const UNSIGNED_BYTE = 0x08;
const SIDE = 28;

export function loadIdxDirectory(ref: string, dir: string, limit: number): Dataset {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DataError(dir, 'is not a directory');
  const train = readPair(dir, 'train', limit);
  const validation = readPair(dir, 't10k', limit);
  let maxLabel = 0;
  for (const set of [train, validation]) for (const label of set.labels!) maxLabel = Math.max(maxLabel, label);
  return { ref, imageSize: 32, train, validation, labelCount: maxLabel + 1 };
}

function readPair(dir: string, prefix: 'train' | 't10k', limit: number): ImageSet {
  const imagesPath = findFile(dir, `${prefix}-images`, 'idx3-ubyte');
  const labelsPath = findFile(dir, `${prefix}-labels`, 'idx1-ubyte');
  const images = parseIdx(readMaybeGzipped(imagesPath), imagesPath, 3);
  const labels = parseIdx(readMaybeGzipped(labelsPath), labelsPath, 1);
  const [count, rows, cols] = images.dims as [number, number, number];
  if (rows !== SIDE || cols !== SIDE) {
    throw new DataError(imagesPath, `wrong shape: expected ${SIDE}×${SIDE} images, found ${rows}×${cols}`);
  }
  if (labels.dims[0] !== count) {
    throw new DataError(labelsPath, `label count mismatch: ${labels.dims[0]} labels for ${count} images in ${imagesPath}`);
  }
  const taken = Math.min(count, limit);
  const indices = Array.from({ length: taken }, (_, i) => i);
  return buildImageSet(
    {
      pixelsPerImage: 32 * 32,
      writeImage: (i, target) => padTo32(images.data, i * SIDE * SIDE, 1 / 255, target),
      label: (i) => labels.data[i]!,
    },
    indices,
  );
}

function findFile(dir: string, stem: string, suffix: string): string {
  for (const separator of ['-', '.']) {
    for (const extension of ['', '.gz']) {
      const path = join(dir, `${stem}${separator}${suffix}${extension}`);
      if (existsSync(path)) return path;
    }
  }
  throw new DataError(dir, `missing ${stem}-${suffix} (raw or .gz)`);
}

function readMaybeGzipped(path: string): Uint8Array {
  const bytes = readFileSync(path);
  if (!path.endsWith('.gz')) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (error) {
    throw new DataError(path, `is not a valid gzip file (${(error as Error).message})`);
  }
}

/** An unsigned-byte IDX file: its dimensions and its data (a view past the header). */
interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

function parseIdx(bytes: Uint8Array, path: string, rank: number): IdxArray {
  const expectedMagic = hex((UNSIGNED_BYTE << 8) | rank);
  if (bytes.length < 4) throw new DataError(path, `truncated: ${bytes.length} bytes, too short for an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== UNSIGNED_BYTE || bytes[3] !== rank) {
    throw new DataError(
      path,
      `wrong magic number ${hex(magic)}: expected ${expectedMagic} (unsigned bytes, ${rank} dimension${rank > 1 ? 's' : ''})`,
    );
  }
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) {
    throw new DataError(path, `truncated: ${bytes.length} bytes, the header alone needs ${headerLength}`);
  }
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const expected = dims.reduce((product, dim) => product * dim, 1);
  const actual = bytes.length - headerLength;
  const shape = dims.join('×');
  if (actual < expected) {
    throw new DataError(path, `truncated: ${shape} needs ${expected} data bytes, found ${actual}`);
  }
  if (actual > expected) {
    throw new DataError(path, `wrong length: ${actual - expected} bytes follow the declared ${shape} data`);
  }
  return { dims, data: bytes.subarray(headerLength) };
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
