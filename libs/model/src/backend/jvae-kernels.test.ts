import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerJvaeKernels } from './index.js';
import { readAll, valuesFor } from './test-support.js';

const replaced = {
  wasm: [tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput, tf.BatchMatMul, tf._FusedMatMul, tf.Sum, tf.Identity],
  cpu: [tf.Conv2DBackpropFilter],
};
type BackendName = keyof typeof replaced;

const kernelsOf = (backend: BackendName) => replaced[backend].map((name) => tf.getKernel(name, backend));

/** Runs every replaced kernel on both of its paths where it has two. */
function runAll(): tf.Tensor[] {
  const t = (shape: number[], seed: number) => tf.tensor(valuesFor(shape, seed), shape);
  const x = t([4, 8, 8, 12], 1) as tf.Tensor4D;
  const w = t([4, 4, 12, 6], 2) as tf.Tensor4D;
  const dy = t([4, 4, 4, 6], 3) as tf.Tensor4D;
  const narrow = t([4, 4, 4, 2], 4) as tf.Tensor4D;
  const a = t([3, 5], 5);
  return [
    ...tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.conv2d(p as tf.Tensor4D, q as tf.Tensor4D, 2, 'same')))([
      x,
      w,
    ]),
    // One input channel: the filter gradient is the patch-matrix product.
    ...tf.grads((q: tf.Tensor) => tf.sum(tf.conv2d(t([4, 8, 8, 1], 12) as tf.Tensor4D, q as tf.Tensor4D, 2, 'same')))([
      t([4, 4, 1, 6], 13),
    ]),
    tf.sum(x, [0, 1, 2]),
    tf.sum(x, [1, 2], true),
    // Few output channels: all phases in one convolution.
    tf.conv2dTranspose(narrow, t([4, 4, 3, 2], 6) as tf.Tensor4D, [4, 8, 8, 3], 2, 'same'),
    tf.conv2dTranspose(dy, w, [4, 8, 8, 12], 2, 'same'),
    tf.matMul(a, t([40, 5], 7), false, true),
    tf.matMul(t([5, 3], 8), t([5, 4], 9), true, false),
    tf.fused.matMul({ a, b: t([4, 5], 10), transposeB: true, bias: t([4], 11), activation: 'relu' }),
    tf.clone(x),
  ];
}

describe('registerJvaeKernels', () => {
  const stock = new Map<BackendName, (tf.KernelConfig | undefined)[]>();
  before(async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    stock.set('wasm', kernelsOf('wasm'));
    stock.set('cpu', kernelsOf('cpu'));
    registerJvaeKernels();
  });

  test('replaces the gradient, matmul, sum and identity kernels, once', () => {
    const first = { wasm: kernelsOf('wasm'), cpu: kernelsOf('cpu') };
    registerJvaeKernels();
    for (const backend of ['wasm', 'cpu'] as const) {
      first[backend].forEach((kernel, i) => {
        const kernelName = replaced[backend][i];
        assert.ok(kernel != null, `${kernelName} registered for ${backend}`);
        assert.notEqual(kernel, stock.get(backend)![i], `${kernelName} on ${backend} is replaced`);
        assert.equal(tf.getKernel(kernelName, backend), kernel, `${kernelName} on ${backend} replaced only once`);
      });
    }
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    test(`${backend}: leaves no tensors or backend data behind`, async () => {
      await tf.setBackend(backend);
      readAll(runAll);
      const tensors = tf.memory().numTensors;
      const dataIds = tf.backend().numDataIds();
      readAll(runAll);
      assert.equal(tf.memory().numTensors, tensors);
      assert.equal(tf.backend().numDataIds(), dataIds);
    });
  }
});

describe('wasm Identity', () => {
  before(async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    registerJvaeKernels();
    await tf.setBackend('wasm');
  });

  test('a clone shares its buffer, outlives its source, and frees it with the last reference', () => {
    const dataIds = tf.backend().numDataIds();
    const source = tf.tensor([1, 2, 3, 4], [2, 2]);
    const clone = tf.clone(source);
    assert.equal(tf.backend().numDataIds(), dataIds + 1, 'no second buffer');
    source.dispose();
    assert.deepEqual(Array.from(clone.dataSync()), [1, 2, 3, 4]);
    const reshaped = tf.reshape(clone, [4]);
    clone.dispose();
    assert.deepEqual(Array.from(reshaped.dataSync()), [1, 2, 3, 4]);
    reshaped.dispose();
    assert.equal(tf.backend().numDataIds(), dataIds);
  });

  test('strings are still copied by the stock kernel', () => {
    const source = tf.tensor(['a', 'b']);
    const clone = tf.clone(source);
    source.dispose();
    assert.deepEqual(clone.arraySync(), ['a', 'b']);
    clone.dispose();
  });
});
