import assert from 'node:assert/strict';
import { test } from 'node:test';
import { epochPermutation, gatherImages, globalBatch, shardBatch, shardRange, stepsPerEpoch } from './batching.js';

test('epochPermutation is a deterministic permutation that changes with seed and epoch', () => {
  const perm = epochPermutation(1000, 42, 3);
  assert.deepEqual([...perm].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  assert.deepEqual(epochPermutation(1000, 42, 3), perm);
  assert.notDeepEqual(epochPermutation(1000, 42, 4), perm);
  assert.notDeepEqual(epochPermutation(1000, 43, 3), perm);
  assert.deepEqual([...epochPermutation(1, 0, 0)], [0]);
});

test('an epoch of global batches covers every index once, minus the drop-last remainder', () => {
  const count = 103;
  const batchSize = 10;
  const steps = stepsPerEpoch(count, batchSize);
  assert.equal(steps, 10);
  for (const epoch of [0, 1, 5]) {
    const seen = new Set<number>();
    for (let i = 0; i < steps; i++) {
      const batch = globalBatch(count, batchSize, 9, epoch * steps + i);
      assert.equal(batch.length, batchSize);
      for (const index of batch) {
        assert.ok(!seen.has(index), `index ${index} repeated in epoch ${epoch}`);
        seen.add(index);
      }
    }
    assert.equal(seen.size, steps * batchSize);
    const perm = epochPermutation(count, 9, epoch);
    assert.deepEqual(new Set(perm.subarray(0, steps * batchSize)), seen);
  }
  assert.notDeepEqual(globalBatch(count, batchSize, 9, 0), globalBatch(count, batchSize, 9, steps));
  assert.notDeepEqual(globalBatch(count, batchSize, 9, 0), globalBatch(count, batchSize, 10, 0));
  assert.deepEqual(globalBatch(count, batchSize, 9, 17), globalBatch(count, batchSize, 9, 17));
});

test('shard ranges are contiguous, near-equal, disjoint and cover the batch', () => {
  for (const batchSize of [1, 7, 8, 64, 65, 100]) {
    for (const world of [1, 2, 3, 4, 7]) {
      if (world > batchSize) continue;
      let expectedStart = 0;
      const sizes: number[] = [];
      for (let rank = 0; rank < world; rank++) {
        const { start, end } = shardRange(batchSize, rank, world);
        assert.equal(start, expectedStart, `B=${batchSize} world=${world} rank=${rank}`);
        sizes.push(end - start);
        expectedStart = end;
      }
      assert.equal(expectedStart, batchSize);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `sizes ${sizes}`);
    }
  }
});

test('shardBatch splits the global batch into disjoint shards that reassemble it', () => {
  for (const [batchSize, world] of [[64, 1], [64, 4], [30, 7], [9, 9]] as const) {
    for (const step of [0, 3, 250]) {
      const global = globalBatch(500, batchSize, 1234, step);
      const joined: number[] = [];
      for (let rank = 0; rank < world; rank++) {
        const { indices, globalOffset } = shardBatch(500, batchSize, 1234, step, rank, world);
        assert.equal(globalOffset, joined.length);
        joined.push(...indices);
      }
      assert.deepEqual(joined, [...global]);
      assert.equal(new Set(joined).size, batchSize);
    }
  }
});

test('batching arguments are validated with clear errors', () => {
  assert.throws(() => shardRange(8, 0, 0), /world must be an integer ≥ 1/);
  assert.throws(() => shardRange(8, 2, 2), /rank \(2\) must be below world \(2\)/);
  assert.throws(() => shardRange(8, -1, 2), /rank must be an integer ≥ 0/);
  assert.throws(() => shardRange(3, 0, 4), /batchSize \(3\) must be at least world \(4\)/);
  assert.throws(() => stepsPerEpoch(10, 11), /batchSize \(11\) must not exceed the sample count \(10\)/);
  assert.throws(() => globalBatch(10, 2, 1, -1), /step must be an integer/);
  assert.throws(() => globalBatch(10, 2, 1.5, 0), /seed must be a safe integer/);
  assert.throws(() => epochPermutation(0, 1, 0), /count must be an integer ≥ 1/);
});

test('gatherImages copies the chosen images in order, into a given buffer when asked', () => {
  const set = { images: Float32Array.from({ length: 3 * 4 }, (_, i) => i), count: 3 };
  assert.deepEqual([...gatherImages(set, [2, 0])], [8, 9, 10, 11, 0, 1, 2, 3]);
  const out = new Float32Array(4);
  assert.equal(gatherImages(set, Uint32Array.of(1), out), out);
  assert.deepEqual([...out], [4, 5, 6, 7]);
  assert.throws(() => gatherImages(set, [3]), /index 3 is outside the image set \(count 3\)/);
  assert.throws(() => gatherImages(set, [0], new Float32Array(5)), /output holds 5 values/);
});
