import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataError } from './data-error.js';
import { SYSTEM_DATASET_COPIES, idxDirectory, loadDataset, parseDatasetRef } from './load-dataset.js';

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

test('a preset folder that is absent is read from its system copy when that is installed', async () => {
  const root = await mkdtemp(join(tmpdir(), 'jvae-copies-'));
  try {
    const copy = join(root, 'system-copy');
    await mkdir(copy);
    const copies = { 'data/missing-set': copy, 'data/absent-copy': join(root, 'nowhere') };
    assert.equal(await idxDirectory('data/missing-set', copies), copy);
    assert.equal(await idxDirectory('./data/missing-set/', copies), copy, 'the same folder however it is written');
    assert.equal(await idxDirectory('data/absent-copy', copies), 'data/absent-copy', 'no copy: the error names the folder asked for');
    assert.equal(await idxDirectory(root, { [root]: copy }), root, 'a folder that exists is read as it is');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('the fashion preset reads Debian’s dataset-fashion-mnist when installed and data/fashion-mnist is absent', { skip: !existsSync(SYSTEM_DATASET_COPIES['data/fashion-mnist']!) }, async () => {
  const dataset = await loadDataset('idx:data/fashion-mnist', { limit: 100 });
  assert.equal(dataset.train.count, 100);
  assert.equal(dataset.validation.count, 100);
});
