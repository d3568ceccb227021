import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from './index.js';
import { assertClose, valuesFor, valuesOn } from './test-support.js';

interface Case {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
  /** Only the product: tfjs has no gradient for broadcast batch dims, nor a fused kernel for them. */
  broadcast?: boolean;
}

/**
 * The stock wasm _FusedMatMul adds the bias wrongly when the batch is more
 * than one (its scalar loop indexes the bias by row * n + column), so the
 * fused product is compared on unbatched cases only.
 */
function fusedIsCorrectOnWasm(c: Case): boolean {
  return tf.util.sizeFromShape(c.a.slice(0, -2)) === 1 && tf.util.sizeFromShape(c.b.slice(0, -2)) === 1;
}

/** [m, k] x [k, n] with optional leading batch dims, stored as each transpose flag asks. */
function caseOf(
  batchA: number[],
  batchB: number[],
  [m, k, n]: number[],
  transposeA: boolean,
  transposeB: boolean,
): Case {
  return {
    a: [...batchA, ...(transposeA ? [k, m] : [m, k])],
    b: [...batchB, ...(transposeB ? [n, k] : [k, n])],
    transposeA,
    transposeB,
  };
}

const flags = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;
const sizes = [
  [5, 7, 3],
  [64, 33, 17],
  [1, 9, 4],
  [16, 1, 8],
  [40, 24, 96],
  // Few rows, many columns: the result is computed transposed.
  [4, 8, 64],
];
const cases: Case[] = [
  ...sizes.flatMap((mkn) => flags.map(([ta, tb]) => caseOf([], [], mkn, ta, tb))),
  ...flags.map(([ta, tb]) => caseOf([1], [1], [6, 5, 4], ta, tb)),
  // Batched products (the stock kernel), with and without broadcasting.
  ...flags.map(([ta, tb]) => caseOf([3], [3], [6, 5, 4], ta, tb)),
  ...flags.map(([ta, tb]) => ({ ...caseOf([2, 1], [3], [4, 5, 6], ta, tb), broadcast: true })),
  ...flags.map(([ta, tb]) => ({ ...caseOf([1], [2], [4, 5, 6], ta, tb), broadcast: true })),
];

const name = (c: Case) => `a ${c.a} b ${c.b} transposeA ${c.transposeA} transposeB ${c.transposeB}`;

/** The product, its gradients, and the fused product with bias and relu and its gradients. */
function computeAll(c: Case): tf.Tensor[] {
  const a = tf.tensor(valuesFor(c.a, 1), c.a);
  const b = tf.tensor(valuesFor(c.b, 2), c.b);
  const multiply = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, c.transposeA, c.transposeB);
  const product = multiply(a, b);
  if (c.broadcast) return [product];
  const r = tf.tensor(valuesFor(product.shape, 3), product.shape);
  const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(multiply(x, y), r)))([a, b]);
  if (!fusedIsCorrectOnWasm(c)) return [product, ...grads];
  const n = product.shape[product.shape.length - 1];
  const bias = tf.tensor(valuesFor([n], 4), [n]);
  const fused = (x: tf.Tensor, y: tf.Tensor) =>
    tf.fused.matMul({ a: x, b: y, transposeA: c.transposeA, transposeB: c.transposeB, bias, activation: 'relu' });
  const fusedGrads = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(fused(x, y), r)))([a, b]);
  return [product, ...grads, fused(a, b), ...fusedGrads];
}
const outputs = ['product', 'da', 'db', 'fused product', 'fused da', 'fused db'];

describe('wasm matmul with explicit transposes matches the cpu kernels', () => {
  const expected = new Map<Case, Float32Array[]>();
  before(async () => {
    await selectBackend('cpu');
    for (const c of cases) expected.set(c, await valuesOn('cpu', () => computeAll(c)));
    await selectBackend('wasm');
  });

  for (const c of cases) {
    test(name(c), async () => {
      const actual = await valuesOn('wasm', () => computeAll(c));
      actual.forEach((values, i) => assertClose(values, expected.get(c)![i], outputs[i]));
    });
  }
});
