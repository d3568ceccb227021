import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng, hashSeed } from './rng.js';

describe('hashSeed', () => {
  it('is a deterministic non-negative 31-bit integer that separates its parts', () => {
    assert.equal(hashSeed('sweep', 1), hashSeed('sweep', 1));
    assert.notEqual(hashSeed('sweep', 1), hashSeed('sweep', 2));
    assert.notEqual(hashSeed('ab', 'c'), hashSeed('a', 'bc'));
    const seeds = Array.from({ length: 1000 }, (_, i) => hashSeed(7, 'trial', i));
    assert.equal(new Set(seeds).size, 1000);
    assert.ok(seeds.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 31));
  });
});

describe('createRng', () => {
  it('repeats for a seed, differs across seeds, and stays in [0, 1) with a uniform mean', () => {
    const draw = (seed: number) => Array.from({ length: 10_000 }, createRng(seed));
    assert.deepEqual(draw(3), draw(3));
    assert.notDeepEqual(draw(3).slice(0, 10), draw(4).slice(0, 10));
    const values = draw(5);
    assert.ok(values.every((v) => v >= 0 && v < 1));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
  });
});
