import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '@jvae/rng';
import { factorVaeScore } from './factor-vae-score.js';
import { mutualInformationGap } from './mutual-information-gap.js';

const SIZES = [3, 4, 6, 5];

/** Every combination of SIZES, `repeats` times: independent, uniformly distributed factors. */
function factorGrid(repeats: number): { factors: Int32Array; count: number } {
  const combinations = SIZES.reduce((product, size) => product * size, 1);
  const count = combinations * repeats;
  const factors = new Int32Array(count * SIZES.length);
  for (let i = 0; i < count; i++) {
    let rest = i % combinations;
    for (let k = SIZES.length - 1; k >= 0; k--) {
      factors[i * SIZES.length + k] = rest % SIZES[k]!;
      rest = Math.floor(rest / SIZES[k]!);
    }
  }
  return { factors, count };
}

/** Codes whose first dims are the factors themselves (in a shuffled order, rescaled), then Gaussian noise dims. */
function factorCodes(factors: Int32Array, count: number, noiseDims: number, seed: number): { codes: Float32Array; dims: number; order: number[] } {
  const order = [2, 0, 3, 1];
  const dims = SIZES.length + noiseDims;
  const rng = new Rng(seed);
  const codes = new Float32Array(count * dims);
  for (let i = 0; i < count; i++) {
    order.forEach((k, d) => (codes[i * dims + d] = factors[i * SIZES.length + k]! * (d + 1) * 0.7 - 1));
    for (let d = SIZES.length; d < dims; d++) codes[i * dims + d] = rng.nextGaussian();
  }
  return { codes, dims, order };
}

function randomCodes(count: number, dims: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: count * dims }, () => rng.nextGaussian());
}

test('factor score is 1 when each factor has its own code dimension, even next to noise dims', () => {
  const { factors, count } = factorGrid(5);
  const { codes, dims, order } = factorCodes(factors, count, 3, 1);
  const result = factorVaeScore({ codes, dims, factors, factorSizes: SIZES, seed: 7 });
  assert.equal(result.score, 1);
  assert.equal(result.trainAccuracy, 1);
  assert.deepEqual(result.activeDims, [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(result.classifier, [...order, -1, -1, -1]);
  assert.deepEqual(factorVaeScore({ codes, dims, factors, factorSizes: SIZES, seed: 7 }), result);
});

test('factor score is near chance (1/F) for random codes', () => {
  const { factors, count } = factorGrid(5);
  const result = factorVaeScore({ codes: randomCodes(count, 6, 2), dims: 6, factors, factorSizes: SIZES, seed: 3 });
  assert.ok(result.score < 0.4, `score ${result.score}`);
});

test('factor score prunes collapsed and inactive dimensions', () => {
  const { factors, count } = factorGrid(5);
  const { codes, dims } = factorCodes(factors, count, 1, 4);
  const collapsed = new Float32Array(count * (dims + 1));
  for (let i = 0; i < count; i++) {
    collapsed.set(codes.subarray(i * dims, (i + 1) * dims), i * (dims + 1));
    collapsed[i * (dims + 1) + dims] = 1e-4 * (i % 3); // nearly constant: would otherwise win every vote
  }
  const result = factorVaeScore({ codes: collapsed, dims: dims + 1, factors, factorSizes: SIZES, seed: 5 });
  assert.deepEqual(result.activeDims, [0, 1, 2, 3, 4]);
  assert.equal(result.score, 1);

  const noFirst = factorVaeScore({ codes, dims, factors, factorSizes: SIZES, seed: 5, activeDims: [1, 2, 3, 4] });
  assert.deepEqual(noFirst.activeDims, [1, 2, 3, 4]);
  assert.equal(noFirst.classifier[0], -1);
  assert.ok(noFirst.score < 0.9, `score ${noFirst.score}`);

  const none = factorVaeScore({ codes, dims, factors, factorSizes: SIZES, seed: 5, activeDims: [] });
  assert.deepEqual(none, { score: 0, trainAccuracy: 0, activeDims: [], classifier: [-1, -1, -1, -1, -1] });
});

test('MIG is about 1 when codes are the factors, about 0 for random codes', () => {
  const { factors, count } = factorGrid(5);
  const { codes, dims } = factorCodes(factors, count, 2, 6);
  const aligned = mutualInformationGap({ codes, dims, factors, factorSizes: SIZES });
  assert.ok(aligned.score > 0.9 && aligned.score <= 1, `score ${aligned.score}`);
  SIZES.forEach((size, k) => assert.ok(Math.abs(aligned.factorEntropy[k]! - Math.log(size)) < 1e-12));

  const random = mutualInformationGap({ codes: randomCodes(count, 6, 8), dims: 6, factors, factorSizes: SIZES });
  assert.ok(random.score < 0.1, `score ${random.score}`);
});

test('MIG matches hand-computed mutual information on a tiny example', () => {
  // Dim 0 = [0, 0, 0, 1] against factor [0, 0, 1, 1]: p(z,v) = ½ at (0,0), ¼ at (0,1), ¼ at (1,1).
  // Dim 1 = [0, 1, 0, 1] is independent of the factor.
  const codes = Float32Array.of(0, 0, 0, 1, 0, 0, 1, 1);
  const factors = Int32Array.of(0, 0, 1, 1);
  const result = mutualInformationGap({ codes, dims: 2, factors, factorSizes: [2], bins: 2 });
  const mi = 0.5 * Math.log(0.5 / (0.75 * 0.5)) + 0.25 * Math.log(0.25 / (0.75 * 0.5)) + 0.25 * Math.log(0.25 / (0.25 * 0.5));
  assert.ok(Math.abs(result.mutualInformation[0]![0]! - mi) < 1e-12);
  assert.ok(Math.abs(result.mutualInformation[1]![0]!) < 1e-12);
  assert.ok(Math.abs(result.factorEntropy[0]! - Math.log(2)) < 1e-12);
  assert.ok(Math.abs(result.score - mi / Math.log(2)) < 1e-12);
  assert.ok(Math.abs(mi - 0.2158) < 1e-4); // 3/4·ln(4/3)… ≈ 0.2158 nats
});

test('MIG ignores factors that are constant in the data', () => {
  const codes = Float32Array.of(0, 1, 2, 3);
  const factors = Int32Array.of(0, 2, 1, 2, 2, 2, 3, 2);
  const result = mutualInformationGap({ codes, dims: 1, factors, factorSizes: [4, 3], bins: 4 });
  assert.deepEqual(result.perFactor, [1, 0]);
  assert.equal(result.score, 1);
});

test('metric inputs are validated', () => {
  const base = { codes: new Float32Array(6), dims: 2, factors: Int32Array.of(0, 1, 0), factorSizes: [2] };
  assert.throws(() => mutualInformationGap({ ...base, dims: 4 }), /6 code values is not a positive multiple of dims \(4\)/);
  assert.throws(() => mutualInformationGap({ ...base, factors: Int32Array.of(0, 1) }), /2 factor values, expected 3 samples × 1 factors/);
  assert.throws(() => mutualInformationGap({ ...base, factors: Int32Array.of(0, 2, 0) }), /factor 0 of sample 1 is 2, outside \[0, 2\)/);
  assert.throws(() => mutualInformationGap({ ...base, codes: Float32Array.of(0, 0, Number.NaN, 0, 0, 0) }), /code value NaN at sample 1, dim 0/);
  assert.throws(() => factorVaeScore({ ...base, codes: Float32Array.of(0, 1, 2, 3, 4, 5), seed: 1, batchSize: 1 }), /batchSize must be an integer ≥ 2/);
  assert.throws(
    () => factorVaeScore({ ...base, codes: Float32Array.of(0, 1, 2, 3, 4, 5), factors: Int32Array.of(1, 1, 1), seed: 1 }),
    /no factor takes more than one value/,
  );
});
