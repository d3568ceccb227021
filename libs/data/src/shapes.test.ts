import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageSet } from './dataset.js';
import { loadDataset } from './load-dataset.js';

const PIXELS = 64 * 64;

test('shapes holds every factor combination once, binary 64×64, deterministically', async () => {
  const dataset = await loadDataset('shapes', { validationFraction: 0 });
  assert.equal(dataset.imageSize, 64);
  assert.deepEqual(dataset.factorNames, ['shape', 'scale', 'orientation', 'posX', 'posY']);
  assert.deepEqual(dataset.factorSizes, [3, 4, 8, 8, 8]);
  assert.equal(dataset.labelCount, 3);
  const { train } = dataset;
  assert.equal(train.count, 3 * 4 * 8 * 8 * 8);
  assert.equal(dataset.validation.count, 0);
  assert.equal(train.images.length, train.count * PIXELS);

  const combinations = new Set<string>();
  for (let i = 0; i < train.count; i++) {
    const row = [...train.factors!.subarray(i * 5, i * 5 + 5)];
    row.forEach((value, f) => assert.ok(value >= 0 && value < dataset.factorSizes![f]!, `factor ${f} = ${value}`));
    assert.equal(train.labels![i], row[0]);
    combinations.add(row.join(','));
  }
  assert.equal(combinations.size, train.count);
  assert.ok(train.images.every((value) => value === 0 || value === 1));

  const again = await loadDataset('shapes', { validationFraction: 0 });
  assert.deepEqual(again.train.factors, train.factors);
  assert.ok(bytesOf(again.train.images).equals(bytesOf(train.images)));
});

const bytesOf = (array: Float32Array) => Buffer.from(array.buffer, array.byteOffset, array.byteLength);

function imageWith(set: ImageSet, factors: number[]): Float32Array {
  for (let i = 0; i < set.count; i++) {
    if (factors.every((value, f) => set.factors![i * 5 + f] === value)) return set.images.subarray(i * PIXELS, (i + 1) * PIXELS);
  }
  throw new Error(`no image with factors ${factors}`);
}

const litPixels = (image: Float32Array) => image.reduce((sum, value) => sum + value, 0);

test('changing any one factor changes the image; scale grows the sprite, position moves it', async () => {
  const { train, factorSizes } = await loadDataset('shapes', { validationFraction: 0 });
  const base = [2, 1, 1, 3, 4]; // a heart, which has no rotational symmetry
  const reference = imageWith(train, base);
  for (let f = 0; f < 5; f++) {
    const changed = [...base];
    changed[f] = (base[f]! + 1) % factorSizes![f]!;
    assert.notDeepEqual(imageWith(train, changed), reference, `factor ${f}`);
  }
  for (let shape = 0; shape < 3; shape++) {
    const sizes = [0, 1, 2, 3].map((scale) => litPixels(imageWith(train, [shape, scale, 0, 4, 4])));
    for (let s = 1; s < 4; s++) assert.ok(sizes[s]! > sizes[s - 1]!, `shape ${shape}: ${sizes}`);
  }
  // Moving along posX shifts the same sprite 5 pixels right.
  const left = imageWith(train, [0, 2, 1, 2, 5]);
  const right = imageWith(train, [0, 2, 1, 3, 5]);
  for (let row = 0; row < 64; row++) {
    for (let col = 0; col < 59; col++) assert.equal(right[row * 64 + col + 5], left[row * 64 + col]);
  }
  // Every sprite stays clear of the border.
  for (let i = 0; i < train.count; i++) {
    const image = train.images.subarray(i * PIXELS, (i + 1) * PIXELS);
    for (let k = 0; k < 64; k++) {
      assert.equal(image[k]! + image[63 * 64 + k]! + image[k * 64]! + image[k * 64 + 63]!, 0);
    }
  }
});

test('shapes has a fixed held-out split', async () => {
  const dataset = await loadDataset('shapes');
  assert.equal(dataset.train.count, 5530);
  assert.equal(dataset.validation.count, 614);
  const key = (set: ImageSet, i: number) => set.factors!.subarray(i * 5, i * 5 + 5).join(',');
  const trainKeys = new Set(Array.from({ length: dataset.train.count }, (_, i) => key(dataset.train, i)));
  for (let i = 0; i < dataset.validation.count; i++) assert.ok(!trainKeys.has(key(dataset.validation, i)));
  const limited = await loadDataset('shapes', { limit: 100 });
  assert.deepEqual(limited.validation.factors, dataset.validation.factors!.subarray(0, 500));
});
