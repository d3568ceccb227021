import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from './index.js';
import { assertClose, valuesFor, valuesOn } from './test-support.js';

interface Case {
  shape: number[];
  axis: number | number[] | null;
  dtype?: 'float32' | 'int32';
}

const shapes = [
  [6, 5, 4, 3],
  [3, 7, 8, 1],
];
const axes: Case['axis'][] = [
  // Leading axes: summed without a transpose.
  [0, 1, 2],
  [0, 1],
  0,
  [1, 0],
  -4,
  // Any other reduction: the stock kernel.
  [1, 2],
  [0, 2],
  3,
  [2, 3],
  null,
];
const cases: Case[] = [
  ...shapes.flatMap((shape) => axes.map((axis) => ({ shape, axis }))),
  { shape: [64, 40], axis: 0 },
  // One row to sum: the stock kernel.
  { shape: [1, 7], axis: 0 },
  { shape: [6, 5, 3], axis: [0, 1], dtype: 'int32' },
  { shape: [6, 5, 3], axis: [1, 2], dtype: 'int32' },
];

const name = (c: Case, keepDims: boolean) =>
  `${c.dtype ?? 'float32'} ${c.shape} axis ${JSON.stringify(c.axis)} keepDims ${keepDims}`;

function input(c: Case): tf.Tensor {
  const values = valuesFor(c.shape, 1);
  if (c.dtype === 'int32') return tf.tensor(values.map((v) => Math.round(v * 100)), c.shape, 'int32');
  return tf.tensor(values, c.shape);
}

/** The sum, its shape and dtype as values (compared too), and the gradient of a bias added to x. */
function computeAll(c: Case, keepDims: boolean): tf.Tensor[] {
  const x = input(c);
  const sum = tf.sum(x, c.axis ?? undefined, keepDims);
  const described = tf.tensor([...sum.shape, sum.dtype === 'int32' ? 1 : 0]);
  if (c.dtype === 'int32') return [tf.cast(sum, 'float32'), described];
  const bias = tf.tensor(valuesFor([c.shape[c.shape.length - 1]], 2));
  const r = tf.tensor(valuesFor(c.shape, 3), c.shape);
  const [biasGrad] = tf.grads((b: tf.Tensor) => tf.sum(tf.mul(tf.add(x, b), r)))([bias]);
  return [sum, described, biasGrad];
}
const outputs = ['sum', 'shape and dtype', 'bias gradient'];

describe('wasm Sum over leading axes matches the cpu kernel', () => {
  const expected = new Map<string, Float32Array[]>();
  before(async () => {
    await selectBackend('cpu');
    for (const c of cases) {
      for (const keepDims of [false, true]) {
        expected.set(name(c, keepDims), await valuesOn('cpu', () => computeAll(c, keepDims)));
      }
    }
    await selectBackend('wasm');
  });

  for (const c of cases) {
    for (const keepDims of [false, true]) {
      test(name(c, keepDims), async () => {
        const actual = await valuesOn('wasm', () => computeAll(c, keepDims));
        actual.forEach((values, i) => assertClose(values, expected.get(name(c, keepDims))![i], outputs[i]));
      });
    }
  }
});
