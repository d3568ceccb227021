import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hash32 } from './murmur3.js';

test('hash32 is MurmurHash3 of the four little-endian words', () => {
  // Reference MurmurHash3_x86_32 over bytes, independent of the word-wise implementation.
  function murmur3(bytes: Uint8Array, seed: number): number {
    let h = seed >>> 0;
    for (let i = 0; i < bytes.length; i += 4) {
      let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h ^= k;
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
    h ^= bytes.length;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  }
  const words = new Uint32Array([3, 12345, 67, 0xfffffff0]);
  assert.equal(hash32(99, 3, 12345, 67, 0xfffffff0), murmur3(new Uint8Array(words.buffer), 99));
  // The published test vector for the empty key with seed 1.
  assert.equal(murmur3(new Uint8Array(0), 1), 0x514e28b7);
});
