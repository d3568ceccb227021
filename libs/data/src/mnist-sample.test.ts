import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadDataset } from './load-dataset.js';

const SIDE = 32;

test('mnist-sample loads the 10,000 real digits as 32×32 with labels and a fixed split', async () => {
  const dataset = await loadDataset('mnist-sample');
  assert.equal(dataset.ref, 'mnist-sample');
  assert.equal(dataset.imageSize, SIDE);
  assert.equal(dataset.labelCount, 10);
  assert.equal(dataset.train.count, 9000);
  assert.equal(dataset.validation.count, 1000);
  assert.equal(dataset.factorSizes, undefined);

  // Per-digit counts of the package's files (digits/0.json … 9.json).
  const perLabel = new Array(10).fill(0);
  for (const set of [dataset.train, dataset.validation]) {
    assert.equal(set.images.length, set.count * SIDE * SIDE);
    assert.equal(set.labels!.length, set.count);
    for (const label of set.labels!) perLabel[label]++;
    let max = 0;
    for (const value of set.images) {
      assert.ok(value >= 0 && value <= 1, `pixel ${value}`);
      max = Math.max(max, value);
    }
    assert.equal(max, 1);
    for (let i = 0; i < set.count; i++) {
      const image = set.images.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE);
      for (let row = 0; row < SIDE; row++) {
        for (let col = 0; col < SIDE; col++) {
          if (row < 2 || row >= SIDE - 2 || col < 2 || col >= SIDE - 2) assert.equal(image[row * SIDE + col], 0);
        }
      }
      assert.ok(image.some((value) => value > 0.5), `image ${i} is blank`);
    }
  }
  assert.deepEqual(perLabel, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  // The validation set is a shuffled mix of digits, not one class.
  assert.equal(new Set(dataset.validation.labels).size, 10);

  const again = await loadDataset('mnist-sample', { limit: 50 });
  assert.equal(again.train.count, 50);
  assert.equal(again.validation.count, 50);
  assert.deepEqual(again.train.images, dataset.train.images.subarray(0, 50 * SIDE * SIDE));
  assert.deepEqual(again.validation.labels, dataset.validation.labels!.subarray(0, 50));
});

test('mnist-sample honours validationFraction', async () => {
  const dataset = await loadDataset('mnist-sample', { validationFraction: 0.25 });
  assert.equal(dataset.train.count, 7500);
  assert.equal(dataset.validation.count, 2500);
});
