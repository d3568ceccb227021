/**
 * Deterministic epoch order, global batches and their split across data-parallel
 * ranks. Everything is a pure function of (count, batchSize, seed, step, rank,
 * world), so a resumed or re-sharded trial sees exactly the same samples.
 */
import type { ImageSet } from './dataset.js';
import { Rng } from '@jvae/rng';

/** A seeded Fisher–Yates shuffle of 0 … count−1 for one epoch. */
export function epochPermutation(count: number, seed: number, epoch: number): Uint32Array {
  requireInteger('count', count, 1);
  requireInteger('epoch', epoch, 0);
  requireSeed(seed);
  const perm = new Uint32Array(count);
  for (let i = 0; i < count; i++) perm[i] = i;
  const rng = new Rng(seed, epoch);
  for (let i = count - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
}

/** Full batches per epoch; the last count mod batchSize samples of each permutation are dropped. */
export function stepsPerEpoch(count: number, batchSize: number): number {
  requireInteger('count', count, 1);
  requireInteger('batchSize', batchSize, 1);
  if (batchSize > count) throw new RangeError(`batchSize (${batchSize}) must not exceed the sample count (${count})`);
  return Math.floor(count / batchSize);
}

// Consecutive steps share an epoch, so the last permutation is kept (dSprites-sized ones take milliseconds).
let lastPermutation: { count: number; seed: number; epoch: number; perm: Uint32Array } | undefined;

function cachedPermutation(count: number, seed: number, epoch: number): Uint32Array {
  const hit = lastPermutation;
  if (hit && hit.count === count && hit.seed === seed && hit.epoch === epoch) return hit.perm;
  const perm = epochPermutation(count, seed, epoch);
  lastPermutation = { count, seed, epoch, perm };
  return perm;
}

/**
 * Sample indices of the global batch at global step `step`:
 * epoch e = floor(step / stepsPerEpoch), i = step mod stepsPerEpoch, perm_e[i·B … (i+1)·B).
 */
export function globalBatch(count: number, batchSize: number, seed: number, step: number): Uint32Array {
  const steps = stepsPerEpoch(count, batchSize);
  requireInteger('step', step, 0);
  requireSeed(seed);
  const epoch = Math.floor(step / steps);
  const start = (step % steps) * batchSize;
  return cachedPermutation(count, seed, epoch).slice(start, start + batchSize);
}

/**
 * The contiguous slice [start, end) of a global batch that rank `rank` of `world`
 * trains on. Slices are disjoint, cover the batch, and differ in size by at most one
 * (the first batchSize mod world ranks take one extra sample).
 */
export function shardRange(batchSize: number, rank: number, world: number): { start: number; end: number } {
  requireInteger('batchSize', batchSize, 1);
  requireInteger('world', world, 1);
  requireInteger('rank', rank, 0);
  if (rank >= world) throw new RangeError(`rank (${rank}) must be below world (${world})`);
  if (batchSize < world) {
    throw new RangeError(`batchSize (${batchSize}) must be at least world (${world}) so that every rank gets a sample`);
  }
  const base = Math.floor(batchSize / world);
  const extra = batchSize % world;
  const start = rank * base + Math.min(rank, extra);
  return { start, end: start + base + (rank < extra ? 1 : 0) };
}

/** This rank's sample indices at `step`, and where they sit in the global batch. */
export function shardBatch(
  count: number,
  batchSize: number,
  seed: number,
  step: number,
  rank: number,
  world: number,
): { indices: Uint32Array; globalOffset: number } {
  const { start, end } = shardRange(batchSize, rank, world);
  return { indices: globalBatch(count, batchSize, seed, step).subarray(start, end), globalOffset: start };
}

/** Copies the images at `indices` into `out` (or a new array), in index order. */
export function gatherImages(set: ImageSet, indices: ArrayLike<number>, out?: Float32Array): Float32Array {
  if (set.count < 1 || set.images.length % set.count !== 0) {
    throw new RangeError(`image set is inconsistent: ${set.images.length} pixels for ${set.count} images`);
  }
  const pixels = set.images.length / set.count;
  const needed = indices.length * pixels;
  if (out !== undefined && out.length !== needed) {
    throw new RangeError(`output holds ${out.length} values, ${indices.length} images need ${needed}`);
  }
  const target = out ?? new Float32Array(needed);
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k]!;
    if (!Number.isInteger(index) || index < 0 || index >= set.count) {
      throw new RangeError(`index ${index} is outside the image set (count ${set.count})`);
    }
    target.set(set.images.subarray(index * pixels, (index + 1) * pixels), k * pixels);
  }
  return target;
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer ≥ ${min}, got ${value}`);
  }
}

function requireSeed(seed: number): void {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
}
