import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '@jvae/rng';
import { activeDimensions } from './active-dimensions.js';
import { discreteAccuracy } from './discrete-accuracy.js';

test('a permuted perfect clustering scores 1 and recovers the permutation', () => {
  const permutation = [3, 0, 4, 1, 2];
  const labels = Uint8Array.from({ length: 500 }, (_, i) => (i * 7) % 5);
  const categories = Int32Array.from(labels, (label) => permutation.indexOf(label));
  const result = discreteAccuracy(categories, labels, 5, 5);
  assert.equal(result.accuracy, 1);
  assert.deepEqual(result.mapping, permutation);
});

test('majority mapping on a hand-made contingency table', () => {
  // Category 0: labels 1,1,2 → 1; category 1: labels 0,2,2,2 → 2; category 2 unused → −1; category 3: tie 0/1 → 0.
  const categories = Uint8Array.of(0, 0, 0, 1, 1, 1, 1, 3, 3);
  const labels = Uint8Array.of(1, 1, 2, 0, 2, 2, 2, 1, 0);
  const result = discreteAccuracy(categories, labels, 4, 3);
  assert.deepEqual(result.mapping, [1, 2, -1, 0]);
  assert.equal(result.accuracy, (2 + 3 + 1) / 9);
  assert.deepEqual(result.counts, [
    [0, 2, 1],
    [1, 0, 3],
    [0, 0, 0],
    [1, 1, 0],
  ]);
});

test('random categories score near chance', () => {
  const rng = new Rng(5);
  const labels = Uint8Array.from({ length: 5000 }, () => rng.nextInt(10));
  const categories = Int32Array.from({ length: 5000 }, () => rng.nextInt(10));
  const { accuracy } = discreteAccuracy(categories, labels, 10, 10);
  assert.ok(accuracy > 0.1 && accuracy < 0.16, `accuracy ${accuracy}`);
});

test('discreteAccuracy rejects inconsistent input', () => {
  assert.throws(() => discreteAccuracy(Uint8Array.of(0), Uint8Array.of(0, 1), 2, 2), /1 categories but 2 labels/);
  assert.throws(() => discreteAccuracy(Uint8Array.of(2), Uint8Array.of(0), 2, 2), /category 2 at sample 0 is outside \[0, 2\)/);
  assert.throws(() => discreteAccuracy(Uint8Array.of(0), Uint8Array.of(5), 2, 2), /label 5 at sample 0/);
  assert.throws(() => discreteAccuracy(new Uint8Array(0), new Uint8Array(0), 2, 2), /no samples/);
  assert.throws(() => discreteAccuracy(Uint8Array.of(0), Uint8Array.of(0), 0, 2), /categoryCount must be a positive integer/);
});

test('activeDimensions keeps the dimensions whose KL exceeds the threshold', () => {
  assert.deepEqual(activeDimensions([0.5, 0.001, 0.0100001, 0.01, 2]), [0, 2, 4]);
  assert.deepEqual(activeDimensions([0.5, 0.2, 1], 0.3), [0, 2]);
  assert.deepEqual(activeDimensions([]), []);
});
