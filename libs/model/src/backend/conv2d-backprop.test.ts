import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { registerJvaeKernels, selectBackend } from './index.js';
import { StockCpuKernels, assertClose, readAll, valuesFor, valuesOn } from './test-support.js';

interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
}

/** Filter-gradient rows (filter taps x input channels) above 32 take the dilated-convolution form. */
const cases: Case[] = [
  { x: [2, 9, 9, 3], filter: [4, 4, 3, 5], strides: 2, pad: 'same' },
  { x: [2, 9, 9, 4], filter: [3, 3, 4, 5], strides: 2, pad: 'valid' },
  { x: [2, 8, 8, 3], filter: [5, 5, 3, 2], strides: 3, pad: 'valid' },
  // Enough input channels for one convolution per output phase.
  { x: [2, 8, 8, 16], filter: [4, 4, 16, 8], strides: 2, pad: 'same' },
  { x: [2, 9, 7, 12], filter: [3, 3, 12, 5], strides: 2, pad: 'same' },
  { x: [2, 10, 10, 9], filter: [3, 3, 9, 6], strides: [1, 2], pad: 'same' },
  // Rows never read by the filter gradient (cropped), and explicit padding.
  { x: [2, 10, 10, 4], filter: [3, 3, 4, 4], strides: 2, pad: 'valid' },
  { x: [2, 7, 7, 4], filter: [3, 3, 4, 4], strides: 2, pad: 2 },
  // outHeight * outWidth * batch = 256: the wasm filter gradient adds a zero image.
  { x: [16, 8, 8, 4], filter: [4, 4, 4, 6], strides: 2, pad: 'same' },
  // At most 32 rows: the filter gradient is the patch-matrix product.
  { x: [3, 12, 12, 1], filter: [4, 4, 1, 5], strides: 2, pad: 'same' },
  { x: [1, 9, 7, 1], filter: [3, 3, 1, 4], strides: 1, pad: 'valid' },
  { x: [3, 10, 9, 1], filter: [2, 5, 1, 3], strides: 3, pad: 'same' },
  { x: [5, 8, 8, 2], filter: [4, 4, 2, 3], strides: 2, pad: 'same' },
  { x: [3, 8, 8, 2], filter: [4, 4, 2, 4], strides: 2, pad: 'same' },
  { x: [2, 9, 9, 2], filter: [3, 3, 2, 4], strides: [2, 1], pad: 'same' },
  { x: [2, 9, 8, 2], filter: [3, 3, 2, 4], strides: 2, pad: 1 },
  { x: [1, 7, 6, 2], filter: [3, 2, 2, 3], strides: 1, pad: 'same' },
  { x: [2, 6, 5, 4], filter: [2, 3, 4, 3], strides: 1, pad: 'valid' },
  { x: [2, 10, 10, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'valid' },
  // Whole patch rows and columns in the padding.
  { x: [2, 5, 5, 1], filter: [2, 2, 1, 3], strides: 1, pad: 3 },
  // A filter smaller than the stride: some output phases get no taps.
  { x: [3, 6, 6, 8], filter: [1, 1, 8, 4], strides: 2, pad: 'valid' },
];

const name = (c: Case) => `x ${c.x} filter ${c.filter} strides ${c.strides} pad ${c.pad}`;
const stock = new StockCpuKernels([tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput]);

function dyShape(c: Case): [number, number, number, number] {
  return tf.tidy(
    () => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.filter) as tf.Tensor4D, c.strides, c.pad).shape,
  );
}

/** The two gradient kernels run directly, and the gradients of conv2d and conv2dTranspose by tf.grads. */
function computeAll(c: Case): tf.Tensor[] {
  const dy = dyShape(c);
  const x = tf.tensor(valuesFor(c.x, 1), c.x) as tf.Tensor4D;
  const w = tf.tensor(valuesFor(c.filter, 2), c.filter) as tf.Tensor4D;
  const g = tf.tensor(valuesFor(dy, 3), dy) as tf.Tensor4D;
  const convAttrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC' };
  const filterGrad = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: g }, {
    ...convAttrs,
    filterShape: c.filter,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const inputGrad = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: g, filter: w }, {
    ...convAttrs,
    inputShape: c.x,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const r = tf.tensor(valuesFor(dy, 4), dy);
  const convGrads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad), r)),
  )([x, w]);
  const s = tf.tensor(valuesFor(c.x, 5), c.x);
  const transposeGrads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, c.x, c.strides, c.pad), s)),
  )([g, w]);
  return [filterGrad, inputGrad, ...convGrads, ...transposeGrads];
}
const outputs = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'conv2d dx',
  'conv2d dW',
  'conv2dTranspose ddy',
  'conv2dTranspose dW',
];

describe('convolution gradient kernels match the stock cpu kernels', () => {
  const expected = new Map<Case, Float32Array[]>();
  before(async () => {
    for (const c of cases) expected.set(c, await stock.run(() => readAll(() => computeAll(c))));
    await selectBackend('wasm');
    registerJvaeKernels();
  });

  for (const backend of ['wasm', 'cpu']) {
    for (const c of cases) {
      test(`${backend}: ${name(c)}`, async () => {
        const actual = await valuesOn(backend, () => computeAll(c));
        actual.forEach((values, i) => assertClose(values, expected.get(c)![i], outputs[i]));
      });
    }
  }
});

describe('NCHW filter gradients', () => {
  const x = [2, 3, 8, 8];
  const dy = [2, 4, 4, 4];
  const attrs = { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] } as unknown as tf.NamedAttrMap;
  const filterGradient = () => [
    tf.engine().runKernel(
      tf.Conv2DBackpropFilter,
      { x: tf.tensor(valuesFor(x, 1), x), dy: tf.tensor(valuesFor(dy, 2), dy) },
      attrs,
    ) as tf.Tensor,
  ];

  test('cpu runs the stock kernel', async () => {
    const [expected] = await stock.run(() => readAll(filterGradient));
    await selectBackend('cpu');
    const [actual] = await valuesOn('cpu', filterGradient);
    assertClose(actual, expected, 'NCHW filter gradient');
  });

  test('wasm refuses with a clear error', async () => {
    await selectBackend('wasm');
    assert.throws(() => readAll(filterGradient), /Conv2DBackpropFilter on 'wasm' supports only dataFormat 'NHWC'/);
  });
});
