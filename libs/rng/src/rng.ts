import { fmix32 } from './murmur3.js';

/**
 * A small deterministic random source: a Weyl sequence passed through the
 * MurmurHash3 finaliser. Every draw depends only on the seed words and
 * how many draws came before, so any process can replay the same stream.
 */
export class Rng {
  private state: number;

  /** `seed` words are mixed together; each must be a safe integer (negative allowed). */
  constructor(...seed: number[]) {
    this.state = mixSeed(seed);
  }

  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    return fmix32(this.state);
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** Uniform integer in [0, n), unbiased (rejection of the short last block). */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x1_0000_0000) {
      throw new RangeError(`Rng.nextInt: n must be an integer in [1, 2^32], got ${n}`);
    }
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % n;
    }
  }

  /** Standard normal draw (Box–Muller). */
  nextGaussian(): number {
    const u = 1 - this.nextFloat(); // (0, 1] so the log is finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.nextFloat());
  }
}

function mixSeed(words: number[]): number {
  let h = 0x2545f491;
  for (const word of words) {
    if (!Number.isSafeInteger(word)) throw new RangeError(`Rng seed words must be safe integers, got ${word}`);
    // Both 32-bit halves take part, so seeds above 2^32 stay distinct.
    const low = word >>> 0;
    const high = Math.floor(word / 0x1_0000_0000) >>> 0;
    h = fmix32((h ^ low) + 0x9e3779b9);
    h = fmix32((h ^ high) + 0x7f4a7c15);
  }
  return h;
}
