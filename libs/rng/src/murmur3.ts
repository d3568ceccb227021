/** MurmurHash3 (x86, 32-bit) pieces: the finaliser every hash here ends with, and the word hash. */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** MurmurHash3's finaliser (fmix32): every input bit affects every output bit. */
export function fmix32(x: number): number {
  let h = x ^ (x >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixWord(h: number, word: number): number {
  let k = Math.imul(word >>> 0, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** MurmurHash3 of the four little-endian words (stream, a, b, c), seeded with `seed`. */
export function hash32(seed: number, stream: number, a: number, b: number, c: number): number {
  let h = seed | 0;
  h = mixWord(h, stream);
  h = mixWord(h, a);
  h = mixWord(h, b);
  h = mixWord(h, c);
  return fmix32(h ^ 16);
}
