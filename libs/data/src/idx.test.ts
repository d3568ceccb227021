import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DataError } from './data-error.js';
import { loadDataset } from './load-dataset.js';

const root = mkdtempSync(join(tmpdir(), 'jvae-idx-'));
after(() => rmSync(root, { recursive: true, force: true }));

function idxImages(count: number, rows = 28, cols = 28, seed = 0): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x00000803, 0);
  header.writeUInt32BE(count, 4);
  header.writeUInt32BE(rows, 8);
  header.writeUInt32BE(cols, 12);
  const data = Buffer.from(Array.from({ length: count * rows * cols }, (_, i) => (i * 31 + seed) % 256));
  return Buffer.concat([header, data]);
}

function idxLabels(labels: number[]): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0x00000801, 0);
  header.writeUInt32BE(labels.length, 4);
  return Buffer.concat([header, Buffer.from(labels)]);
}

let dirs = 0;
/** A directory with a valid 5-train / 3-test set; `files` replaces or adds files by name. */
function makeDir(files: Record<string, Buffer> = {}, gzipTrain = false): string {
  const dir = join(root, `set${dirs++}`);
  const all: Record<string, Buffer> = gzipTrain
    ? {
        'train-images-idx3-ubyte.gz': gzipSync(idxImages(5)),
        'train-labels-idx1-ubyte.gz': gzipSync(idxLabels([0, 1, 2, 3, 4])),
      }
    : { 'train-images-idx3-ubyte': idxImages(5), 'train-labels-idx1-ubyte': idxLabels([0, 1, 2, 3, 4]) };
  Object.assign(all, { 't10k-images.idx3-ubyte': idxImages(3, 28, 28, 7), 't10k-labels.idx1-ubyte': idxLabels([9, 8, 7]) }, files);
  mkdirSync(dir);
  for (const [name, bytes] of Object.entries(all)) writeFileSync(join(dir, name), bytes);
  return dir;
}

test('IDX files round-trip, raw and gzipped, padded to 32×32 and scaled to [0, 1]', async () => {
  for (const gzipTrain of [false, true]) {
    const dir = makeDir({}, gzipTrain);
    const dataset = await loadDataset(`idx:${dir}`);
    assert.equal(dataset.ref, `idx:${dir}`);
    assert.equal(dataset.imageSize, 32);
    assert.equal(dataset.labelCount, 10);
    assert.equal(dataset.train.count, 5);
    assert.equal(dataset.validation.count, 3);
    assert.deepEqual([...dataset.train.labels!], [0, 1, 2, 3, 4]);
    assert.deepEqual([...dataset.validation.labels!], [9, 8, 7]);
    for (const [set, seed] of [[dataset.train, 0], [dataset.validation, 7]] as const) {
      for (let n = 0; n < set.count; n++) {
        for (let row = 0; row < 32; row++) {
          for (let col = 0; col < 32; col++) {
            const inside = row >= 2 && row < 30 && col >= 2 && col < 30;
            const raw = inside ? ((n * 784 + (row - 2) * 28 + (col - 2)) * 31 + seed) % 256 : 0;
            assert.equal(set.images[n * 1024 + row * 32 + col], Math.fround(raw / 255));
          }
        }
      }
    }
    const limited = await loadDataset(`idx:${dir}`, { limit: 2 });
    assert.equal(limited.train.count, 2);
    assert.equal(limited.validation.count, 2);
  }
});

async function rejects(files: Record<string, Buffer>, file: string, pattern: RegExp): Promise<void> {
  const dir = makeDir(files);
  await assert.rejects(loadDataset(`idx:${dir}`), (error: unknown) => {
    assert.ok(error instanceof DataError, String(error));
    assert.ok(error.message.startsWith(join(dir, file)), error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

test('a wrong magic number is a DataError naming the file', async () => {
  const bad = idxImages(5);
  bad.writeUInt32BE(0x00000801, 0);
  await rejects({ 'train-images-idx3-ubyte': bad }, 'train-images-idx3-ubyte', /wrong magic number 0x00000801: expected 0x00000803/);
});

test('a truncated file is a DataError naming the file', async () => {
  await rejects({ 't10k-images.idx3-ubyte': idxImages(3).subarray(0, 16 + 784 * 2 + 10) }, 't10k-images.idx3-ubyte', /truncated: 3×28×28 needs 2352 data bytes, found 1578/);
  await rejects({ 'train-labels-idx1-ubyte': Buffer.from([0, 0, 8, 1, 0]) }, 'train-labels-idx1-ubyte', /truncated/);
  await rejects({ 'train-images-idx3-ubyte': Buffer.concat([idxImages(5), Buffer.alloc(3)]) }, 'train-images-idx3-ubyte', /3 bytes follow/);
});

test('a wrong image shape is a DataError naming the file', async () => {
  await rejects({ 'train-images-idx3-ubyte': idxImages(5, 27, 28) }, 'train-images-idx3-ubyte', /wrong shape: expected 28×28 images, found 27×28/);
});

test('a label count mismatch is a DataError naming the labels file', async () => {
  await rejects({ 't10k-labels.idx1-ubyte': idxLabels([1, 2]) }, 't10k-labels.idx1-ubyte', /label count mismatch: 2 labels for 3 images/);
});

test('a corrupt gzip file is a DataError naming the file', async () => {
  const dir = makeDir({}, true);
  const gz = gzipSync(idxImages(5));
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gz.subarray(0, gz.length / 2));
  await assert.rejects(loadDataset(`idx:${dir}`), (error: unknown) => {
    assert.ok(error instanceof DataError);
    assert.match(error.message, /train-images-idx3-ubyte\.gz: is not a valid gzip file/);
    return true;
  });
});

test('a missing file or directory is a DataError naming it', async () => {
  const dir = makeDir();
  rmSync(join(dir, 't10k-labels.idx1-ubyte'));
  await assert.rejects(loadDataset(`idx:${dir}`), new RegExp(`${dir}: missing t10k-labels-idx1-ubyte \\(raw or \\.gz\\)`));
  await assert.rejects(loadDataset(`idx:${join(root, 'nowhere')}`), /nowhere: is not a directory/);
});
