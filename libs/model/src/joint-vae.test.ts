import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { PRESETS, type ModelConfig } from './config.js';
import { JointVae, type KlSums, type ShardPass } from './joint-vae.js';
import { capacitySign } from './loss.js';
import { sampleNoise, type Noise } from './noise.js';
import { continuousCapacity, discreteCapacity, temperatureAt } from './schedule.js';

// The cpu backend's conv filter gradient is slow, so gradients are taken on a few images only.

const NOISE_SEED = 11;

function images(count: number, size: number, seed: number): tf.Tensor4D {
  // Deterministic pixels in [0, 1], about a fifth of them exactly 0 or 1.
  const values = Float32Array.from({ length: count * size * size }, (_, i) => {
    const v = Math.abs(Math.sin((i + 1) * 12.9898 + seed * 78.233) * 43758.5453) % 1;
    return Math.min(1, Math.max(0, 1.4 * v - 0.2));
  });
  return tf.tensor4d(values, [count, size, size, 1]);
}

/** The train-mode loss in float64 from the model's outputs, written from ARCHITECTURE.md, "The model and its loss". */
function float64Loss(vae: JointVae, x: tf.Tensor4D, noise: Noise, step: number): number {
  const config = vae.config;
  const out = vae.forward(x, noise, temperatureAt(config, step), true);
  const p = out.recon.dataSync();
  const target = x.dataSync();
  const mu = out.mu.dataSync();
  const logvar = out.logvar.dataSync();
  const batch = x.shape[0];
  const pixels = p.length / batch;
  let recon = 0;
  for (let i = 0; i < p.length; i++) {
    recon +=
      config.formulation === 'dupont'
        ? -(target[i] * Math.log(p[i]) + (1 - target[i]) * Math.log(1 - p[i]))
        : (p[i] - target[i]) ** 2 / pixels;
  }
  let klCont = 0;
  for (let i = 0; i < mu.length; i++) klCont += -0.5 * (1 + logvar[i] - mu[i] ** 2 - Math.exp(logvar[i]));
  let klDisc = 0;
  for (const logits of out.logits) {
    const values = logits.dataSync();
    const k = logits.shape[1];
    for (let b = 0; b < batch; b++) {
      const row = Array.from(values.subarray(b * k, (b + 1) * k));
      const max = Math.max(...row);
      const e = row.map((v) => Math.exp(v - max));
      const sum = e.reduce((a, c) => a + c, 0);
      for (const ek of e) {
        const q = ek / sum;
        klDisc += q * Math.log(q + 1e-7) - q * Math.log(1 / k + 1e-7);
      }
    }
  }
  tf.dispose([out.recon, out.mu, out.logvar, ...out.logits]);
  const { continuous, discrete } = config.capacity;
  return (
    recon / batch +
    continuous.gamma * Math.abs(continuousCapacity(continuous, step) - klCont / batch) +
    discrete.gamma * Math.abs(discreteCapacity(discrete, step, config.latent.discrete) - klDisc / batch)
  );
}

/** Each trainable weight tensor's name and range in the flat vector. */
function weightRanges(vae: JointVae): { name: string; start: number; end: number }[] {
  let start = 0;
  return [...vae.encoder.trainableWeights, ...vae.decoder.trainableWeights].map((w) => {
    const size = w.shape.reduce((a, b) => (a as number) * (b as number), 1) as number;
    const range = { name: w.name, start, end: start + size };
    start += size;
    return range;
  });
}

/**
 * Central differences of float64Loss at the largest-gradient coordinate of every weight
 * tensor. Tolerances allow for float32 forward passes and the odd ReLU kink within ±h.
 */
function checkGradient(vae: JointVae, x: tf.Tensor4D, noise: Noise, step: number, gradient: Float32Array): void {
  const w0 = vae.getWeights();
  const h = 1e-3;
  try {
    for (const { name, start, end } of weightRanges(vae)) {
      let i = start;
      for (let j = start; j < end; j++) if (Math.abs(gradient[j]) > Math.abs(gradient[i])) i = j;
      const w = w0.slice();
      w[i] = w0[i] + h;
      const up = w[i];
      vae.setWeights(w);
      const lossUp = float64Loss(vae, x, noise, step);
      w[i] = w0[i] - h;
      const down = w[i];
      vae.setWeights(w);
      const lossDown = float64Loss(vae, x, noise, step);
      const numeric = (lossUp - lossDown) / (up - down);
      assert.ok(
        Math.abs(numeric - gradient[i]) <= 0.05 * Math.abs(gradient[i]) + 1e-6,
        `${name}[${i - start}]: backprop ${gradient[i]}, central difference ${numeric}`,
      );
    }
  } finally {
    vae.setWeights(w0);
  }
}

function relativeError(actual: Float32Array, expected: Float32Array): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    diff += (actual[i] - expected[i]) ** 2;
    norm += expected[i] ** 2;
  }
  return Math.sqrt(diff / norm);
}

function pixelsOf(images: tf.Tensor4D): Float32Array {
  return images.dataSync() as Float32Array;
}

/** Sums of KL_cont and KL_disc over `x` (the encoder's, so the same in eval mode). */
function klSums(vae: JointVae, x: tf.Tensor4D): KlSums {
  const { klCont, klDisc, count } = vae.evaluate(pixelsOf(x), 0);
  return { klCont: klCont * count, klDisc: klDisc * count, count };
}

function mnist(formulation: ModelConfig['formulation']): ModelConfig {
  return { ...PRESETS.mnist, formulation, temperature: formulation === 'dupont' ? 0.67 : 1 };
}

before(async () => {
  await tf.setBackend('cpu');
});

describe('JointVae (dupont, 32×32)', () => {
  const batch = 3;
  const step = 0;
  // An uneven split of the global batch: samples 0-1 and sample 2.
  const shardRanges = [
    { offset: 0, count: 2 },
    { offset: 2, count: 1 },
  ];
  let config: ModelConfig;
  let vae: JointVae;
  let x: tf.Tensor4D;
  let noise: Noise;
  let gradient: Float32Array;
  let stepLoss: ReturnType<JointVae['lossAndGradients']>;

  before(() => {
    x = images(batch, 32, 1);
    const initial = JointVae.create(mnist('dupont'), 5);
    // Start each capacity between the global KL and the last shard's own KL, so that shard
    // alone would take the other slope of |C - KL|: only the global KL gives the right gradient.
    const last = tf.slice(x, [2, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
    const lastKl = klSums(initial, last);
    const globalKl = klSums(initial, x);
    last.dispose();
    const between = (shard: number, global: number) => (shard + global / batch) / 2;
    const preset = PRESETS.mnist.capacity;
    config = {
      ...mnist('dupont'),
      capacity: {
        continuous: { ...preset.continuous, min: between(lastKl.klCont, globalKl.klCont) },
        discrete: { ...preset.discrete, min: between(lastKl.klDisc, globalKl.klDisc) },
      },
    };
    vae = JointVae.fromModels(config, initial.encoder, initial.decoder);
    noise = sampleNoise(config, NOISE_SEED, step, 0, batch);
    gradient = new Float32Array(vae.size);
    stepLoss = vae.lossAndGradients(x, noise, step, gradient);
  });
  after(() => {
    vae.dispose();
    x.dispose();
  });

  test('has the paper architecture and torch-style initial weights from the seed', () => {
    const encoder = [16 * 1 * 32 + 32, 16 * 32 * 64 + 64, 16 * 64 * 64 + 64, 1024 * 256 + 256, 256 * 30 + 30];
    const decoder = [20 * 256 + 256, 256 * 1024 + 1024, 16 * 64 * 32 + 32, 16 * 32 * 32 + 32, 16 * 32 * 1 + 1];
    assert.equal(vae.size, [...encoder, ...decoder].reduce((a, b) => a + b, 0));
    assert.deepEqual(vae.encoder.outputs[0].shape, [null, 30]);
    assert.deepEqual(vae.decoder.outputs[0].shape, [null, 32, 32, 1]);

    const weights = vae.getWeights();
    const ranges = Object.fromEntries(weightRanges(vae).map((r) => [r.name.replace(/_\d+$/, ''), r]));
    const maxAbs = (name: string) => {
      const { start, end } = ranges[name];
      return weights.subarray(start, end).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    };
    // Bounds 1/sqrt(fan_in): conv 4·4·1, dense 1024, transposed conv counted over its 1 output channel.
    for (const [name, bound] of [
      ['enc_conv1/kernel', 1 / 4],
      ['enc_fc/kernel', 1 / 32],
      ['enc_fc/bias', 1 / 32],
      ['dec_logits/kernel', 1 / 4],
    ] as const) {
      const m = maxAbs(name);
      assert.ok(m <= bound && m > 0.9 * bound, `${name}: max |w| ${m}, bound ${bound}`);
    }

    const same = JointVae.create(config, 5);
    const other = JointVae.create(config, 6);
    assert.deepEqual(same.getWeights(), weights);
    assert.notDeepEqual(other.getWeights().subarray(0, 100), weights.subarray(0, 100));
    same.dispose();
    other.dispose();
  });

  test('getWeights / setWeights round trip, copying in and out', () => {
    const w0 = vae.getWeights();
    const changed = w0.map((v, i) => v * 0.5 + i * 1e-7);
    vae.setWeights(changed);
    const read = vae.getWeights();
    assert.deepEqual(read, changed);
    changed.fill(0);
    read.fill(0);
    assert.notDeepEqual(vae.getWeights().subarray(0, 10), changed.subarray(0, 10));
    vae.setWeights(w0);
    assert.deepEqual(vae.getWeights(), w0);
    assert.throws(() => vae.setWeights(new Float32Array(5)), /weights has 5 values, the model has \d+ parameters/);
  });

  test('train mode reparameterises z and Gumbel-softmaxes c from the given noise', () => {
    const tau = 0.67;
    const out = vae.forward(x, noise, tau, true);
    assert.deepEqual(out.recon.shape, [batch, 32, 32, 1]);
    assert.deepEqual(out.mu.shape, [batch, 10]);
    assert.deepEqual(out.logvar.shape, [batch, 10]);
    assert.deepEqual(out.logits.map((l) => l.shape), [[batch, 10]]);
    // Rebuild the decoder input in JS from the formulas, then decode it.
    const mu = out.mu.dataSync();
    const logvar = out.logvar.dataSync();
    const logits = out.logits[0].dataSync();
    const latent: number[][] = [];
    for (let b = 0; b < batch; b++) {
      const z = Array.from({ length: 10 }, (_, d) => {
        const i = b * 10 + d;
        return mu[i] + noise.eps[i] * Math.exp(0.5 * logvar[i]);
      });
      const y = Array.from({ length: 10 }, (_, k) => {
        const g = -Math.log(-Math.log(noise.uniforms[b * 10 + k] + 1e-7) + 1e-7);
        return (logits[b * 10 + k] + g) / tau;
      });
      const max = Math.max(...y);
      const e = y.map((v) => Math.exp(v - max));
      const sum = e.reduce((a, c) => a + c, 0);
      latent.push([...z, ...e.map((v) => v / sum)]);
    }
    const latentTensor = tf.tensor2d(latent);
    const expected = vae.decode(latentTensor);
    const actual = out.recon.dataSync();
    const want = expected.dataSync();
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(actual[i] - want[i]) < 1e-5, `pixel ${i}`);
    tf.dispose([out.recon, out.mu, out.logvar, ...out.logits, latentTensor, expected]);
  });

  test('eval mode uses z = mu and one-hot argmax, ignoring noise', () => {
    const other = sampleNoise(config, NOISE_SEED + 1, step, 0, batch);
    const a = vae.forward(x, noise, 0.67, false);
    const b = vae.forward(x, other, 0.5, false);
    const c = vae.forward(x, null, 0.67, false);
    assert.deepEqual(a.recon.dataSync(), b.recon.dataSync());
    assert.deepEqual(a.recon.dataSync(), c.recon.dataSync());
    const train = vae.forward(x, noise, 0.67, true);
    assert.notDeepEqual(train.recon.dataSync(), a.recon.dataSync());
    const latent = tf.tidy(() =>
      tf.concat([a.mu, tf.cast(tf.oneHot(tf.argMax(a.logits[0], 1), 10), 'float32')], 1),
    ) as tf.Tensor2D;
    const decoded = vae.decode(latent);
    assert.deepEqual(decoded.dataSync(), a.recon.dataSync());
    for (const out of [a, b, c, train]) tf.dispose([out.recon, out.mu, out.logvar, ...out.logits]);
    tf.dispose([latent, decoded]);
    assert.throws(() => vae.forward(x, null, 0.67, true), /train mode needs noise/);
    assert.throws(
      () => vae.forward(x, sampleNoise(config, 1, 0, 0, batch + 1), 0.67, true),
      /noise does not fit a batch of 3: eps has 40 values \(needs 3×10\)/,
    );
  });

  test('lossAndGradients: loss matches a float64 recomputation, and loss() agrees', () => {
    const reference = float64Loss(vae, x, noise, step);
    assert.ok(Math.abs(stepLoss.loss - reference) < 1e-5 * reference, `${stepLoss.loss} vs ${reference}`);
    const forwardOnly = vae.loss(x, noise, step);
    assert.deepEqual(forwardOnly, stepLoss);
    const { continuous, discrete } = config.capacity;
    const expected =
      stepLoss.recon +
      continuous.gamma * Math.abs(continuous.min - stepLoss.klCont) +
      discrete.gamma * Math.abs(discrete.min - stepLoss.klDisc);
    assert.ok(Math.abs(stepLoss.loss - expected) < 1e-4, 'loss = recon + gamma |C(0) - KL|');
  });

  test('the gradient of the output bias is mean_b sum_p (sigmoid(l) - x), exactly', () => {
    const out = vae.forward(x, noise, temperatureAt(config, step), true);
    const p = out.recon.dataSync();
    const target = x.dataSync();
    let expected = 0;
    for (let i = 0; i < p.length; i++) expected += (p[i] - target[i]) / batch;
    tf.dispose([out.recon, out.mu, out.logvar, ...out.logits]);
    const bias = weightRanges(vae).find((r) => r.name.startsWith('dec_logits/bias'));
    assert.ok(bias);
    const actual = gradient[bias.start];
    assert.ok(Math.abs(actual - expected) < 1e-4 * Math.abs(expected), `${actual} vs ${expected}`);
  });

  test('lossAndGradients matches central differences', () => {
    checkGradient(vae, x, noise, step, gradient);
  });

  /** A pass of this step that reports the shard's KL sums and answers `global`. */
  const passWith = (report: (local: KlSums) => void, global: { klCont: number; klDisc: number }): ShardPass => ({
    step,
    globalBatchSize: batch,
    globalKl: (sums) => {
      report(sums);
      return global;
    },
  });

  test('shard gradients with the global KL sum exactly to the whole-batch gradient', () => {
    const tensorsBefore = tf.memory().numTensors;
    const shards = shardRanges.map(({ offset, count }) => ({
      images: tf.slice(x, [offset, 0, 0, 0], [count, -1, -1, -1]) as tf.Tensor4D,
      // Each shard draws its own noise by global sample index.
      noise: sampleNoise(config, NOISE_SEED, step, offset, count),
    }));
    // Each shard's pass reports its KL sums; their sum over the global batch is the global KL.
    const out = new Float32Array(vae.size);
    const local = shards.map((shard) => {
      let reported: KlSums | undefined;
      vae.shardGradients(shard.images, shard.noise, passWith((sums) => (reported = sums), { klCont: 0, klDisc: 0 }), out);
      assert.ok(reported, 'the pass reported its KL sums');
      return reported;
    });
    const global = {
      klCont: local.reduce((a, s) => a + s.klCont, 0) / batch,
      klDisc: local.reduce((a, s) => a + s.klDisc, 0) / batch,
    };
    assert.ok(Math.abs(global.klCont - stepLoss.klCont) < 1e-6 * Math.max(1, stepLoss.klCont) + 1e-9);
    assert.ok(Math.abs(global.klDisc - stepLoss.klDisc) < 1e-6 * Math.max(1, stepLoss.klDisc) + 1e-9);
    // The last shard's own KL is on the other side of the capacity from the global KL.
    const { continuous, discrete } = config.capacity;
    const last = local[1];
    assert.notEqual(capacitySign(last.klCont, continuous.min), capacitySign(global.klCont, continuous.min));
    assert.notEqual(capacitySign(last.klDisc, discrete.min), capacitySign(global.klDisc, discrete.min));

    const summed = new Float32Array(vae.size);
    let reconSum = 0;
    let count = 0;
    for (const shard of shards) {
      const sums = vae.shardGradients(shard.images, shard.noise, passWith(() => {}, global), out);
      out.forEach((g, i) => (summed[i] += g));
      reconSum += sums.reconSum;
      count += sums.count;
    }
    assert.equal(count, batch);
    assert.ok(Math.abs(reconSum / batch - stepLoss.recon) < 1e-5 * stepLoss.recon);
    const error = relativeError(summed, gradient);
    assert.ok(error < 1e-5, `relative error ${error}`);

    tf.dispose(shards.map((s) => s.images));
    assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensors leaked');
  });

  test('repeated steps leak no tensors', () => {
    const tensorsBefore = tf.memory().numTensors;
    const out = new Float32Array(vae.size);
    const small = tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
    const smallNoise = sampleNoise(config, NOISE_SEED, 1, 0, 1);
    for (let i = 0; i < 2; i++) {
      vae.shardGradients(small, smallNoise, { step: 1, globalBatchSize: 1, globalKl: () => ({ klCont: 1, klDisc: 1 }) }, out);
      vae.loss(small, smallNoise, 1);
      vae.evaluate(pixelsOf(small), 1);
      vae.setWeights(vae.getWeights());
    }
    small.dispose();
    assert.equal(tf.memory().numTensors, tensorsBefore);
    assert.throws(() => vae.lossAndGradients(x, noise, 0, new Float32Array(3)), /gradient buffer has 3 values/);
  });

  test('evaluate: eval-mode outputs in chunks, with mean loss terms at the step', () => {
    const n = 5;
    const data = images(n, 32, 2);
    const evalStep = 12500;
    const whole = vae.evaluate(pixelsOf(data), evalStep);
    const chunked = vae.evaluate(pixelsOf(data), evalStep, 2);
    assert.equal(whole.count, n);
    assert.deepEqual(chunked.mu, whole.mu);
    assert.deepEqual(chunked.logvar, whole.logvar);
    assert.deepEqual(chunked.categories, whole.categories);
    for (const key of ['recon', 'klCont', 'klDisc', 'loss'] as const) {
      assert.ok(Math.abs(chunked[key] - whole[key]) <= 1e-5 * Math.max(1, Math.abs(whole[key])), key);
    }

    const out = vae.forward(data, null, 1, false);
    assert.deepEqual(whole.mu, out.mu.dataSync());
    assert.deepEqual(whole.logvar, out.logvar.dataSync());
    const argmax = tf.argMax(out.logits[0], 1);
    assert.deepEqual(whole.categories[0], argmax.dataSync());
    const p = out.recon.dataSync();
    const target = data.dataSync();
    let recon = 0;
    for (let i = 0; i < p.length; i++) recon -= target[i] * Math.log(p[i]) + (1 - target[i]) * Math.log(1 - p[i]);
    assert.ok(Math.abs(whole.recon - recon / n) < 1e-4 * whole.recon, `${whole.recon} vs ${recon / n}`);
    tf.dispose([out.recon, out.mu, out.logvar, ...out.logits, data, argmax]);

    assert.throws(() => vae.evaluate(pixelsOf(x), 0, 0), /chunkSize must be a positive integer, got 0/);
    assert.throws(() => vae.evaluate(new Float32Array(1000), 0), /at least one 32×32 image, got 1000 values/);

    const perDimTotal = whole.klPerDim.reduce((a, b) => a + b, 0);
    assert.equal(whole.klPerDim.length, 10);
    assert.ok(Math.abs(perDimTotal - whole.klCont) < 1e-5 * Math.max(1, whole.klCont));
    const cCont = continuousCapacity(config.capacity.continuous, evalStep);
    const cDisc = discreteCapacity(config.capacity.discrete, evalStep, [10]);
    assert.ok(cCont > 2.5 && cCont < 2.6 && cDisc === Math.log(10), 'mid-schedule capacities');
    assert.equal(whole.capacityCont, cCont);
    assert.equal(whole.capacityDisc, cDisc);
    assert.equal(whole.tau, 0.67);
    const expectedLoss =
      whole.recon + 30 * Math.abs(cCont - whole.klCont) + 30 * Math.abs(cDisc - whole.klDisc);
    assert.ok(Math.abs(whole.loss - expectedLoss) < 1e-4 * expectedLoss);
  });

  test('save and tf.loadLayersModel round trip through fromModels', async () => {
    const saved: tf.io.ModelArtifacts[] = [];
    for (const model of [vae.encoder, vae.decoder]) {
      await model.save(tf.io.withSaveHandler(async (artifacts) => {
        saved.push(artifacts);
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }));
    }
    const [encoder, decoder] = await Promise.all(saved.map((a) => tfl.loadLayersModel(tf.io.fromMemory(a))));
    const reloaded = JointVae.fromModels(config, encoder, decoder);
    assert.deepEqual(reloaded.getWeights(), vae.getWeights());
    const a = vae.forward(x, null, 1, false);
    const b = reloaded.forward(x, null, 1, false);
    assert.deepEqual(b.recon.dataSync(), a.recon.dataSync());
    for (const out of [a, b]) tf.dispose([out.recon, out.mu, out.logvar, ...out.logits]);

    const wider: ModelConfig = { ...config, latent: { continuous: 10, discrete: [10, 3] } };
    assert.throws(
      () => JointVae.fromModels(wider, encoder, decoder),
      /encoder: weight shapes .* do not fit this config/,
    );
    reloaded.dispose();
  });
});

describe('JointVae (pytorch-vae, 32×32)', () => {
  test('lossAndGradients matches central differences, capacity slopes -1', () => {
    const config = mnist('pytorch-vae');
    const vae = JointVae.create(config, 7);
    const x = images(2, 32, 3);
    // Mid-schedule: C_cont = 2.5 and C_disc = log 10 exceed the initial KLs.
    const step = 12500;
    const noise = sampleNoise(config, NOISE_SEED, step, 0, 2);
    const gradient = new Float32Array(vae.size);
    const stepLoss = vae.lossAndGradients(x, noise, step, gradient);
    const reference = float64Loss(vae, x, noise, step);
    assert.ok(Math.abs(stepLoss.loss - reference) < 1e-5 * reference, `${stepLoss.loss} vs ${reference}`);
    assert.ok(stepLoss.recon < 1, 'recon is a mean over pixels');
    checkGradient(vae, x, noise, step, gradient);
    vae.dispose();
    x.dispose();
  });
});

describe('JointVae (64×64)', () => {
  test('adds one conv level each way', () => {
    const config: ModelConfig = { ...PRESETS.dsprites };
    const vae = JointVae.create(config, 1);
    const encoder = [
      ...[16 * 1 * 32 + 32, 16 * 32 * 32 + 32, 16 * 32 * 64 + 64, 16 * 64 * 64 + 64],
      ...[1024 * 256 + 256, 256 * 15 + 15],
    ];
    const decoder = [
      ...[9 * 256 + 256, 256 * 1024 + 1024],
      ...[16 * 64 * 64 + 64, 16 * 64 * 32 + 32, 16 * 32 * 32 + 32, 16 * 32 + 1],
    ];
    assert.equal(vae.size, [...encoder, ...decoder].reduce((a, b) => a + b, 0));
    const x = images(1, 64, 4);
    const out = vae.forward(x, sampleNoise(config, 1, 0, 0, 1), 0.67, true);
    assert.deepEqual(out.recon.shape, [1, 64, 64, 1]);
    assert.deepEqual(out.logits.map((l) => l.shape), [[1, 3]]);
    tf.dispose([out.recon, out.mu, out.logvar, ...out.logits, x]);
    vae.dispose();
  });
});
