import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashSeed } from './hash-seed.js';

describe('hashSeed', () => {
  it('is a deterministic non-negative 31-bit integer that separates its parts', () => {
    assert.equal(hashSeed('sweep', 1), hashSeed('sweep', 1));
    assert.notEqual(hashSeed('sweep', 1), hashSeed('sweep', 2));
    assert.notEqual(hashSeed('ab', 'c'), hashSeed('a', 'bc'));
    const seeds = Array.from({ length: 1000 }, (_, i) => hashSeed(7, 'trial', i));
    assert.equal(new Set(seeds).size, 1000);
    assert.ok(seeds.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 31));
  });

  // Fixed values: a change here changes the trials every existing sweep spec expands to.
  it('gives the recorded seeds', () => {
    assert.deepEqual(
      [hashSeed('sweep', 1), hashSeed(7, 'trial', 0), hashSeed(7, 'trial', 1), hashSeed(123, 'param', 4, 'model.lr'), hashSeed('mnist-capacity'), hashSeed()],
      [978382740, 179167347, 1660376771, 1168740906, 490056744, 725515275],
    );
  });
});
