import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Adam } from './adam.js';

before(async () => {
  await tf.setBackend('cpu');
});

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `[${i}]: got ${actual[i]}, expected ${expected[i]}`);
  }
}

test('two steps match the update worked out by hand', () => {
  const adam = new Adam(2, { lr: 0.1 });
  const w = new Float32Array([1, -2]);
  adam.step(w, new Float32Array([0.5, -1]));
  // Step 1: m_hat = g and v_hat = g^2, so each weight moves by lr * sign(g).
  assertClose(w, [0.9, -1.9], 1e-6);
  adam.step(w, new Float32Array([-0.25, 2]));
  // Step 2, weight 0: m = 0.9*0.05 + 0.1*(-0.25) = 0.02, v = 0.999*0.00025 + 0.001*0.0625 = 0.00031225;
  // m_hat = 0.02 / 0.19, v_hat = 0.00031225 / 0.001999.
  const w0 = 0.9 - (0.1 * (0.02 / 0.19)) / (Math.sqrt(0.00031225 / 0.001999) + 1e-8);
  // Weight 1: m = 0.9*(-0.1) + 0.1*2 = 0.11, v = 0.999*0.001 + 0.001*4 = 0.004999.
  const w1 = -1.9 - (0.1 * (0.11 / 0.19)) / (Math.sqrt(0.004999 / 0.001999) + 1e-8);
  assertClose(w, [w0, w1], 1e-6);
  assert.equal(adam.state().t, 2);
});

test('matches tf.train.adam', () => {
  const grads = [
    [0.3, -0.2, 1e-4, 5],
    [-0.1, 0.4, 0, -5],
    [0.2, 0.2, -1e-3, 1],
  ];
  const opts = { lr: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 };
  const ours = new Float32Array([0.5, -0.5, 0, 2]);
  const adam = new Adam(4, opts);
  // A copy: on the cpu backend a tensor made from a typed array shares its memory.
  const variable = tf.variable(tf.tensor1d(ours.slice()));
  const reference = tf.train.adam(opts.lr, opts.beta1, opts.beta2, opts.epsilon);
  for (const g of grads) {
    adam.step(ours, Float32Array.from(g));
    const gradient = tf.tensor1d(g);
    reference.applyGradients([{ name: variable.name, tensor: gradient }]);
    gradient.dispose();
  }
  assertClose(ours, variable.dataSync(), 1e-6);
  reference.dispose();
  variable.dispose();
});

test('restore continues exactly where the state was taken', () => {
  const grads = [0.5, -1, 2, 0.25, -0.75, 1.5].map((g, i) => Float32Array.from([g, -g * i, 1 - g]));
  const straight = new Adam(3, { lr: 0.05 });
  const w = new Float32Array([0.1, 0.2, 0.3]);
  grads.forEach((g) => straight.step(w, g));

  const first = new Adam(3, { lr: 0.05 });
  const w2 = new Float32Array([0.1, 0.2, 0.3]);
  grads.slice(0, 3).forEach((g) => first.step(w2, g));
  const state = first.state();
  first.step(w2.slice(), grads[3]); // state() was a copy: later steps do not change it
  const resumed = Adam.restore(state, { lr: 0.05 });
  grads.slice(3).forEach((g) => resumed.step(w2, g));
  assert.deepEqual(w2, w);
  assert.deepEqual(resumed.state(), straight.state());
});

test('rejects mismatched sizes and bad options', () => {
  const adam = new Adam(3, { lr: 0.1 });
  assert.throws(() => adam.step(new Float32Array(3), new Float32Array(2)), /expected 3 weights and gradients/);
  assert.throws(() => new Adam(3, { lr: 0 }), /lr must be positive/);
  assert.throws(() => new Adam(0, { lr: 0.1 }), /size must be a positive integer/);
  assert.throws(
    () => Adam.restore({ t: 1, m: new Float32Array(2), v: new Float32Array(3) }, { lr: 0.1 }),
    /m has 2 values but v has 3/,
  );
});
