/**
 * A counter-based random number generator: every draw is a hash of its coordinates
 * (seed, stream, a, b, c), so a value never depends on how many values were drawn
 * before it, nor on which thread or rank draws it.
 */

/** Independent families of draws; a stream tag keeps them from ever sharing coordinates. */
export const Stream = {
  weights: 1,
  gaussian: 2,
  gumbel: 3,
} as const;
export type Stream = (typeof Stream)[keyof typeof Stream];

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixWord(h: number, word: number): number {
  let k = Math.imul(word >>> 0, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** MurmurHash3 (x86, 32-bit) of the four words (stream, a, b, c), seeded with `seed`. */
export function hash32(seed: number, stream: Stream, a: number, b: number, c: number): number {
  let h = seed | 0;
  h = mixWord(h, stream);
  h = mixWord(h, a);
  h = mixWord(h, b);
  h = mixWord(h, c);
  h ^= 16;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform in (0, 1) with 32 bits of resolution (for float64 arithmetic). */
export function uniform(seed: number, stream: Stream, a: number, b: number, c: number): number {
  return (hash32(seed, stream, a, b, c) + 0.5) / 0x100000000;
}

/**
 * A uniform in (0, 1) with 23 bits of resolution, so that it stays strictly inside (0, 1)
 * once stored as float32 (values are (k + 0.5) / 2^23, all exactly representable).
 */
export function uniformFloat32(seed: number, stream: Stream, a: number, b: number, c: number): number {
  return ((hash32(seed, stream, a, b, c) >>> 9) + 0.5) / 0x800000;
}

/** A standard normal by Box–Muller from the draws at c = 2k and 2k + 1. */
export function normal(seed: number, stream: Stream, a: number, b: number, k: number): number {
  const u1 = uniform(seed, stream, a, b, 2 * k);
  const u2 = uniform(seed, stream, a, b, 2 * k + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
