import { fmix32 } from './murmur3.js';

/**
 * Hashes the parts (FNV-1a over their text, then the MurmurHash3 finaliser) into a
 * non-negative 31-bit integer: a seed named by what it is for, the same on any machine.
 */
export function hashSeed(...parts: ReadonlyArray<string | number>): number {
  let h = 0x811c9dc5;
  const text = parts.map(String).join('\u0000');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h) & 0x7fffffff;
}
