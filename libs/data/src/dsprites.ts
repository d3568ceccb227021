/**
 * `dsprites:FILE.npz`: the public dSprites archive (`imgs` uint8 N×64×64 with
 * 0/1 pixels, `latents_classes` integer N×6: colour, shape, scale, orientation,
 * posX, posY). The constant colour column is dropped. The images (3 GB
 * uncompressed for the full set) are streamed and only the chosen samples are
 * kept, so `limit` bounds memory.
 */
import type { Dataset, ImageSet } from './dataset.js';
import { DataError } from './data-error.js';
import { parseNpyHeader, readIntegerArray, type NpyHeader } from './npy.js';
import { heldOutSplit } from './subsets.js';
import { ZipArchive } from './zip-archive.js';

/** Samples are shuffled with this seed; the last validationFraction of them are held out. */
export const DSPRITES_SPLIT_SEED = 737_280;
/** Default cap on each split: 50,000 float 64×64 images take 800 MB. */
export const DSPRITES_DEFAULT_LIMIT = 50_000;
export const DSPRITES_FACTOR_NAMES = ['shape', 'scale', 'orientation', 'posX', 'posY'];

const SIDE = 64;
const PIXELS = SIDE * SIDE;

export async function loadDsprites(ref: string, path: string, validationFraction: number, limit: number): Promise<Dataset> {
  const archive = await ZipArchive.open(path);
  const { count, factors, factorSizes } = await readLatents(archive);
  const split = heldOutSplit(count, validationFraction, DSPRITES_SPLIT_SEED, limit);

  // Where each kept sample goes: slot k of the train set is k, slot k of validation is −(k + 1).
  const slotOf = new Int32Array(count);
  split.train.forEach((sample, k) => (slotOf[sample] = k + 1));
  split.validation.forEach((sample, k) => (slotOf[sample] = -(k + 1)));
  const train = new Float32Array(split.train.length * PIXELS);
  const validation = new Float32Array(split.validation.length * PIXELS);
  await streamImages(archive, count, (sample, pixels) => {
    const slot = slotOf[sample]!;
    if (slot === 0) return;
    const target = slot > 0 ? train : validation;
    const at = (Math.abs(slot) - 1) * PIXELS;
    for (let i = 0; i < PIXELS; i++) {
      const value = pixels[i]!;
      if (value > 1) throw new DataError(`${path}: imgs.npy`, `sample ${sample} has pixel value ${value}; dSprites pixels are 0 or 1`);
      target[at + i] = value;
    }
  });

  const width = factorSizes.length;
  const setFor = (indices: Uint32Array, images: Float32Array): ImageSet => {
    const rows = new Int32Array(indices.length * width);
    indices.forEach((sample, k) => rows.set(factors.subarray(sample * width, (sample + 1) * width), k * width));
    const labels = Uint8Array.from(indices, (sample) => factors[sample * width]!);
    return { images, count: indices.length, labels, factors: rows };
  };
  return {
    ref,
    imageSize: 64,
    train: setFor(split.train, train),
    validation: setFor(split.validation, validation),
    labelCount: factorSizes[0],
    factorNames: [...DSPRITES_FACTOR_NAMES],
    factorSizes,
  };
}

async function readLatents(archive: ZipArchive): Promise<{ count: number; factors: Int32Array; factorSizes: number[] }> {
  const source = `${archive.path}: latents_classes.npy`;
  const { shape, values } = readIntegerArray(await archive.read('latents_classes.npy'), source);
  const columns = DSPRITES_FACTOR_NAMES.length + 1;
  if (shape.length !== 2 || shape[1] !== columns || shape[0]! < 2) {
    throw new DataError(source, `wrong shape (${shape.join(', ')}): expected (N, ${columns}) with N ≥ 2`);
  }
  const count = shape[0]!;
  const factors = new Int32Array(count * (columns - 1));
  const factorSizes = new Array<number>(columns - 1).fill(0);
  for (let i = 0; i < count; i++) {
    if (values[i * columns] !== values[0]) throw new DataError(source, `colour column is not constant (row ${i})`);
    for (let f = 1; f < columns; f++) {
      const value = values[i * columns + f]!;
      if (value < 0) throw new DataError(source, `negative class index ${value} (row ${i}, column ${f})`);
      factors[i * (columns - 1) + f - 1] = value;
      factorSizes[f - 1] = Math.max(factorSizes[f - 1]!, value + 1);
    }
  }
  return { count, factors, factorSizes };
}

/** Calls `onImage(sample, pixels)` for every image of imgs.npy, in order; `pixels` is only valid during the call. */
async function streamImages(archive: ZipArchive, count: number, onImage: (sample: number, pixels: Uint8Array) => void): Promise<void> {
  const source = `${archive.path}: imgs.npy`;
  let header: NpyHeader | undefined;
  let pending = Buffer.alloc(0); // bytes not yet forming a whole header or image
  let sample = 0;
  await archive.forEachChunk('imgs.npy', (chunk) => {
    let bytes: Buffer = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    if (!header) {
      header = parseNpyHeader(bytes, source);
      if (!header) {
        pending = Buffer.from(bytes);
        return;
      }
      checkImagesHeader(header, count, source);
      bytes = bytes.subarray(header.dataOffset);
    }
    let at = 0;
    for (; at + PIXELS <= bytes.length; at += PIXELS) {
      if (sample >= count) throw new DataError(source, `holds more than the declared ${count} images`);
      onImage(sample++, bytes.subarray(at, at + PIXELS));
    }
    pending = Buffer.from(bytes.subarray(at));
  });
  if (!header) throw new DataError(source, 'truncated .npy header');
  if (sample !== count || pending.length > 0) {
    throw new DataError(source, `truncated: ${sample} whole images of the declared ${count}`);
  }
}

function checkImagesHeader(header: NpyHeader, count: number, source: string): void {
  if (!/^[|<=]?u1$/.test(header.descr)) throw new DataError(source, `dtype ${header.descr}: expected uint8`);
  const [n, rows, cols] = header.shape;
  if (header.shape.length !== 3 || rows !== SIDE || cols !== SIDE) {
    throw new DataError(source, `wrong shape (${header.shape.join(', ')}): expected (N, ${SIDE}, ${SIDE})`);
  }
  if (n !== count) throw new DataError(source, `holds ${n} images but latents_classes.npy has ${count} rows`);
}
