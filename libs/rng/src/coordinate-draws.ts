/**
 * Counter-based draws: every value is a hash of its coordinates (seed, stream, a, b, c), so it
 * never depends on how many values were drawn before it, nor on which thread or rank draws it.
 * A stream tag keeps independent families of draws from ever sharing coordinates.
 */
import { hash32 } from './murmur3.js';

/** A uniform in (0, 1) with 32 bits of resolution (for float64 arithmetic). */
export function uniform(seed: number, stream: number, a: number, b: number, c: number): number {
  return (hash32(seed, stream, a, b, c) + 0.5) / 0x100000000;
}

/**
 * A uniform in (0, 1) with 23 bits of resolution, so that it stays strictly inside (0, 1)
 * once stored as float32 (values are (k + 0.5) / 2^23, all exactly representable).
 */
export function uniformFloat32(seed: number, stream: number, a: number, b: number, c: number): number {
  return ((hash32(seed, stream, a, b, c) >>> 9) + 0.5) / 0x800000;
}

/** A standard normal by Box–Muller from the draws at c = 2k and 2k + 1. */
export function normal(seed: number, stream: number, a: number, b: number, k: number): number {
  const u1 = uniform(seed, stream, a, b, 2 * k);
  const u2 = uniform(seed, stream, a, b, 2 * k + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
