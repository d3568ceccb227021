import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataError } from './data-error.js';
import { loadDataset, parseDatasetRef } from './load-dataset.js';

test('an unknown reference is a DataError listing the valid forms', async () => {
  await assert.rejects(loadDataset('cifar10'), (error: unknown) => {
    assert.ok(error instanceof DataError);
    assert.equal(error.source, 'cifar10');
    assert.match(error.message, /^cifar10: unknown dataset reference; expected one of mnist-sample, shapes, idx:DIR, dsprites:FILE\.npz$/);
    return true;
  });
  await assert.rejects(loadDataset('idx:'), /unknown dataset reference/);
});

test('parseDatasetRef says what a reference names without reading anything', () => {
  assert.deepEqual(parseDatasetRef('mnist-sample'), { kind: 'mnist-sample' });
  assert.deepEqual(parseDatasetRef('shapes'), { kind: 'shapes' });
  assert.deepEqual(parseDatasetRef('idx:data/no-such-dir'), { kind: 'idx', path: 'data/no-such-dir' });
  assert.deepEqual(parseDatasetRef('dsprites:/no/such.npz'), { kind: 'dsprites', path: '/no/such.npz' });
  for (const ref of ['nosuch', 'idx:', 'dsprites:', 'Shapes', '', ' shapes']) {
    assert.throws(() => parseDatasetRef(ref), (error: unknown) => {
      assert.ok(error instanceof DataError);
      assert.equal(error.message, `${ref}: unknown dataset reference; expected one of mnist-sample, shapes, idx:DIR, dsprites:FILE.npz`);
      return true;
    });
  }
});

test('bad load options are DataErrors naming the option', async () => {
  await assert.rejects(loadDataset('shapes', { validationFraction: 1 }), /^DataError: shapes: validationFraction must be in \[0, 1\), got 1$/);
  await assert.rejects(loadDataset('shapes', { validationFraction: Number.NaN }), /validationFraction/);
  await assert.rejects(loadDataset('shapes', { limit: 0 }), /shapes: limit must be a positive integer, got 0/);
  await assert.rejects(loadDataset('shapes', { limit: 2.5 }), /limit must be a positive integer/);
});
