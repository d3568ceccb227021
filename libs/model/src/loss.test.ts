import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Formulation, ModelConfig } from './config.js';
import { PRESETS } from './config.js';
import {
  capacitySign,
  jointLoss,
  klCont,
  klContPerDim,
  klContPerSample,
  klDisc,
  klDiscPerSample,
  reconLoss,
  reconPerSample,
  shardShareLoss,
} from './loss.js';

// Reference implementations in float64 JS loops, written from the formulas of ARCHITECTURE.md, "The model and its loss".

const sigmoid = (l: number) => 1 / (1 + Math.exp(-l));

function jsReconPerSample(formulation: Formulation, logits: number[][], target: number[][]): number[] {
  return logits.map((row, b) => {
    let sum = 0;
    row.forEach((l, p) => {
      const prob = sigmoid(l);
      const x = target[b][p];
      sum += formulation === 'dupont' ? -(x * Math.log(prob) + (1 - x) * Math.log(1 - prob)) : (prob - x) ** 2;
    });
    return formulation === 'dupont' ? sum : sum / row.length;
  });
}

function jsKlContElements(mu: number[][], logvar: number[][]): number[][] {
  return mu.map((row, b) => row.map((m, d) => -0.5 * (1 + logvar[b][d] - m * m - Math.exp(logvar[b][d]))));
}

function jsSoftmax(row: number[]): number[] {
  const max = Math.max(...row);
  const e = row.map((v) => Math.exp(v - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function jsKlDiscPerSample(logits: number[][][]): number[] {
  const batch = logits[0].length;
  return Array.from({ length: batch }, (_, b) =>
    logits.reduce((sum, latent) => {
      const q = jsSoftmax(latent[b]);
      const k = q.length;
      return sum + q.reduce((s, qk) => s + qk * Math.log(qk + 1e-7) - qk * Math.log(1 / k + 1e-7), 0);
    }, 0),
  );
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

function capacities(config: ModelConfig, t: number): [number, number] {
  const c = config.capacity.continuous;
  const d = config.capacity.discrete;
  const maxDisc = config.latent.discrete.reduce((s, k) => s + Math.log(k), 0);
  return [
    Math.min(c.max, c.min + ((c.max - c.min) * t) / c.iters),
    Math.min(d.min + ((d.max - d.min) * t) / d.iters, d.max, maxDisc),
  ];
}

interface Inputs {
  reconLogits: number[][];
  target: number[][];
  mu: number[][];
  logvar: number[][];
  logits: number[][][];
}

function jsJointLoss(formulation: Formulation, config: ModelConfig, t: number, v: Inputs): number {
  const [cc, cd] = capacities(config, t);
  const recon = mean(jsReconPerSample(formulation, v.reconLogits, v.target));
  const kc = mean(jsKlContElements(v.mu, v.logvar).map((row) => row.reduce((a, b) => a + b, 0)));
  const kd = mean(jsKlDiscPerSample(v.logits));
  const { continuous, discrete } = config.capacity;
  return recon + continuous.gamma * Math.abs(cc - kc) + discrete.gamma * Math.abs(cd - kd);
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol * scale,
      `${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`,
    );
  }
}

const values = (t: tf.Tensor) => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

// Two samples of four pixels; targets include exact 0 and 1.
const inputs: Inputs = {
  reconLogits: [
    [0.3, -1.2, 2.0, 0],
    [-3.5, 4.1, 0.7, -0.2],
  ],
  target: [
    [0, 1, 0.25, 0.5],
    [1, 0.9, 0, 0.75],
  ],
  mu: [
    [0.5, -1, 0.2],
    [0, 2, -0.4],
  ],
  logvar: [
    [0.1, -0.3, 0.8],
    [1, 0, -1.5],
  ],
  logits: [
    [
      [0.2, -0.5, 1.3],
      [2.0, 0.1, -0.7],
    ],
    [
      [0.4, -0.4],
      [-1.1, 0.9],
    ],
  ],
};

function tensors(v: Inputs) {
  return {
    reconLogits: tf.tensor4d(v.reconLogits.flat(), [2, 2, 2, 1]),
    target: tf.tensor4d(v.target.flat(), [2, 2, 2, 1]),
    mu: tf.tensor2d(v.mu),
    logvar: tf.tensor2d(v.logvar),
    logits: v.logits.map((l) => tf.tensor2d(l)),
  };
}

const config: ModelConfig = {
  ...PRESETS.mnist,
  latent: { continuous: 3, discrete: [3, 2] },
  capacity: {
    continuous: { min: 0.5, max: 4, iters: 1000, gamma: 30 },
    discrete: { min: 0, max: 3, iters: 1000, gamma: 20 },
  },
};

before(async () => {
  await tf.setBackend('cpu');
});

describe('loss terms match hand-computed values', () => {
  for (const formulation of ['dupont', 'pytorch-vae'] as const) {
    test(`recon (${formulation})`, () => {
      const t = tensors(inputs);
      const expected = jsReconPerSample(formulation, inputs.reconLogits, inputs.target);
      assertClose(values(reconPerSample(formulation, t.reconLogits, t.target)), expected, 1e-6, 'per sample');
      assertClose(values(reconLoss(formulation, t.reconLogits, t.target)), [mean(expected)], 1e-6, 'mean');
      tf.dispose(t);
    });
  }

  test('BCE from logits stays finite and exact for saturated logits', () => {
    const logits = tf.tensor4d([40, -40, 40, -40], [1, 2, 2, 1]);
    const target = tf.tensor4d([1, 0, 0, 1], [1, 2, 2, 1]);
    // -log(sigmoid(40)) ~ 4e-18 twice, -log(1 - sigmoid(40)) = 40 twice.
    assertClose(values(reconPerSample('dupont', logits, target)), [80], 1e-6, 'saturated');
    tf.dispose([logits, target]);
  });

  test('KL_cont, per sample and per dimension', () => {
    const t = tensors(inputs);
    const elements = jsKlContElements(inputs.mu, inputs.logvar);
    const perSample = elements.map((row) => row.reduce((a, b) => a + b, 0));
    const perDim = elements[0].map((_, d) => mean(elements.map((row) => row[d])));
    assertClose(values(klContPerSample(t.mu, t.logvar)), perSample, 1e-6, 'per sample');
    assertClose(values(klCont(t.mu, t.logvar)), [mean(perSample)], 1e-6, 'mean');
    assertClose(values(klContPerDim(t.mu, t.logvar)), perDim, 1e-6, 'per dim');
    tf.dispose(t);
  });

  test('KL_cont equals KL(N(mu, s^2) || N(0, 1)) integrated numerically', () => {
    const m = 0.7;
    const s = 0.6;
    const q = (z: number) => Math.exp(-((z - m) ** 2) / (2 * s * s)) / (s * Math.sqrt(2 * Math.PI));
    const p = (z: number) => Math.exp(-(z * z) / 2) / Math.sqrt(2 * Math.PI);
    let integral = 0;
    const h = 1e-3;
    for (let z = -10; z <= 10; z += h) integral += q(z) * Math.log(q(z) / p(z)) * h;
    const mu = tf.tensor2d([[m]]);
    const logvar = tf.tensor2d([[Math.log(s * s)]]);
    assertClose(values(klCont(mu, logvar)), [integral], 1e-5, 'KL_cont');
    tf.dispose([mu, logvar]);
  });

  test('KL_disc', () => {
    const t = tensors(inputs);
    const perSample = jsKlDiscPerSample(inputs.logits);
    assertClose(values(klDiscPerSample(t.logits)), perSample, 1e-6, 'per sample');
    assertClose(values(klDisc(t.logits)), [mean(perSample)], 1e-6, 'mean');
    tf.dispose(t);
  });

  test('KL_disc is 0 for uniform logits and sum log K_i for one-hot logits', () => {
    const uniform = [tf.zeros([3, 4]) as tf.Tensor2D, tf.fill([3, 3], 2.5) as tf.Tensor2D];
    assertClose(values(klDisc(uniform)), [0], 1e-6, 'uniform');
    const oneHot = [
      tf.tensor2d([[40, 0, 0, 0], [0, 0, 40, 0], [0, 0, 0, 40]]),
      tf.tensor2d([[0, 40, 0], [40, 0, 0], [0, 40, 0]]),
    ];
    assertClose(values(klDisc(oneHot)), [Math.log(4) + Math.log(3)], 1e-5, 'one-hot');
    tf.dispose([...uniform, ...oneHot]);
  });

  for (const formulation of ['dupont', 'pytorch-vae'] as const) {
    test(`jointLoss adds gamma-weighted capacity gaps (${formulation})`, () => {
      const t = tensors(inputs);
      for (const step of [0, 300, 5000]) {
        const loss = tf.tidy(() =>
          jointLoss(
            {
              recon: reconLoss(formulation, t.reconLogits, t.target),
              klCont: klCont(t.mu, t.logvar),
              klDisc: klDisc(t.logits),
            },
            config,
            step,
          ),
        );
        assertClose(values(loss), [jsJointLoss(formulation, config, step, inputs)], 1e-6, `step ${step}`);
      }
      tf.dispose(t);
    });
  }

  test('jointLoss on round numbers', () => {
    // C_cont(500) = 0.5 + 3.5 / 2 = 2.25, C_disc(500) = min(1.5, 3, log 6) = 1.5.
    const loss = tf.tidy(() =>
      jointLoss({ recon: tf.scalar(100), klCont: tf.scalar(3), klDisc: tf.scalar(1) }, config, 500),
    );
    assertClose(values(loss), [100 + 30 * 0.75 + 20 * 0.5], 1e-6, 'loss');
  });

  test('shardShareLoss is the linearised per-sample loss over the global batch size', () => {
    const perSample = {
      recon: tf.tensor1d([10, 20]),
      klCont: tf.tensor1d([1, 3]),
      klDisc: tf.tensor1d([0.5, 0.25]),
    };
    // At step 500 C_cont = 2.25 > 2 (sign -1) and C_disc = 1.5 <= 1.5 (sign +1).
    const ctx = { step: 500, globalBatchSize: 5, klCont: 2, klDisc: 1.5 };
    const expected = (10 + 20 - 30 * (1 + 3) + 20 * (0.5 + 0.25)) / 5;
    assertClose(values(shardShareLoss(perSample, config, ctx)), [expected], 1e-6, 'share');
    tf.dispose(perSample);
  });

  test('capacitySign follows the slope tf.abs gives |C - KL|', () => {
    assert.equal(capacitySign(3, 2), 1);
    assert.equal(capacitySign(1, 2), -1);
    assert.equal(capacitySign(2, 2), 1);
    const kl = tf.scalar(2);
    const slope = tf.grad((x: tf.Tensor) => tf.abs(tf.sub(2, x)))(kl);
    assert.equal(slope.dataSync()[0], capacitySign(2, 2));
    tf.dispose([kl, slope]);
  });
});

describe('loss gradients match float64 central differences', () => {
  for (const formulation of ['dupont', 'pytorch-vae'] as const) {
    for (const step of [0, 300]) {
      test(`d loss / d (recon logits, mu, logvar, logits) (${formulation}, step ${step})`, () => {
        const t = tensors(inputs);
        const xs = [t.reconLogits, t.mu, t.logvar, ...t.logits];
        const grads = tf.grads((reconLogits, mu, logvar, logitsA, logitsB) =>
          jointLoss(
            {
              recon: reconLoss(formulation, reconLogits, t.target),
              klCont: klCont(mu as tf.Tensor2D, logvar as tf.Tensor2D),
              klDisc: klDisc([logitsA as tf.Tensor2D, logitsB as tf.Tensor2D]),
            },
            config,
            step,
          ),
        )(xs);
        // Perturb each scalar of each input in turn.
        const fields: ((v: Inputs) => number[][])[] = [
          (v) => v.reconLogits,
          (v) => v.mu,
          (v) => v.logvar,
          (v) => v.logits[0],
          (v) => v.logits[1],
        ];
        fields.forEach((field, f) => {
          const analytic = grads[f].dataSync();
          const rows = field(inputs);
          const numeric: number[] = [];
          rows.forEach((row, r) =>
            row.forEach((_, c) => {
              const h = 1e-6;
              const shifted = (delta: number) => {
                const copy = structuredClone(inputs);
                field(copy)[r][c] += delta;
                return jsJointLoss(formulation, config, step, copy);
              };
              numeric.push((shifted(h) - shifted(-h)) / (2 * h));
            }),
          );
          assertClose(analytic, numeric, 1e-4, `input ${f}`);
        });
        tf.dispose([...xs, ...grads, t.target]);
      });
    }
  }
});
