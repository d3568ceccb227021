import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDataset } from './load-dataset.js';
import { writeIdxDataset } from './squares-idx.js';

test('writeIdxDataset writes an idx: dataset whose square moves with the label', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'jvae-squares-'));
  try {
    await writeIdxDataset(join(dir, 'data'), 20, 10);
    const dataset = await loadDataset(`idx:${join(dir, 'data')}`);
    assert.deepEqual([dataset.train.count, dataset.validation.count, dataset.labelCount], [20, 10, 10]);
    assert.deepEqual([...dataset.train.labels!.subarray(0, 12)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    // Padded to 32×32 (2 pixels each side): image 0's square starts at column 2, image 1's at column 4.
    const pixel = (image: number, y: number, x: number) => dataset.train.images[image * 32 * 32 + y * 32 + x]!;
    assert.ok(pixel(0, 6, 2) > 0.8 && pixel(0, 6, 12) === 0);
    assert.ok(pixel(1, 6, 4) > 0.8 && pixel(1, 6, 3) === 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
