import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@jvae/model';
import { readCheckpoint } from './checkpoint/checkpoint.js';
import type { EvalMetrics } from './evaluation.js';
import { smallConfig, syntheticDataset } from './test-fixtures.js';
import { Trainer, type TrainerOptions, type TrainProgress } from './trainer.js';
import { TrainingError } from './training-error.js';

const dataset = syntheticDataset();
let root: string;

before(async () => {
  await selectBackend('wasm');
  root = await mkdtemp(join(tmpdir(), 'jvae-trainer-'));
});

after(() => rm(root, { recursive: true, force: true }));

async function train(configOverrides: Record<string, unknown>, options: TrainerOptions = {}) {
  const progress: TrainProgress[] = [];
  const trainer = await Trainer.open(smallConfig(configOverrides), dataset, {
    backend: 'wasm',
    ...options,
    onProgress: (p) => {
      progress.push(p);
      return options.onProgress?.(p);
    },
  });
  try {
    const result = await trainer.run();
    return { result, progress, state: trainer.state() };
  } finally {
    await trainer.close();
  }
}

test('training 2N steps equals training N, checkpointing, resuming and training N more, bit for bit', async () => {
  const straight = await train({ steps: 4 });
  const dir = join(root, 'half');
  const first = await train({ steps: 2 }, { checkpointDir: dir });
  const resumed = await train({ steps: 4 }, { resume: await readCheckpoint(dir) });

  assert.deepEqual(first.progress.map((p) => p.step), [1, 2]);
  assert.deepEqual(resumed.progress.map((p) => p.step), [3, 4]);
  assert.deepEqual(
    [...first.progress, ...resumed.progress].map((p) => p.loss),
    straight.progress.map((p) => p.loss),
  );
  assert.equal(resumed.state.trial.step, 4);
  assert.deepEqual(resumed.state.weights, straight.state.weights);
  assert.deepEqual(resumed.state.optimizer, straight.state.optimizer);
  assert.notDeepEqual(straight.state.weights, first.state.weights);
});

test('resumed with a changed capacity schedule (a PBT exploit), C(t) continues from the step reached: the ramp does not restart', async () => {
  const ramp = { min: 0, max: 5, iters: 100, gamma: 30 };
  const dir = join(root, 'exploit');
  await train({ steps: 40, capacity: { continuous: ramp, discrete: ramp } }, { checkpointDir: dir });
  const trainer = await Trainer.open(smallConfig({ steps: 44, capacity: { continuous: { ...ramp, max: 20 }, discrete: { ...ramp, iters: 200 } } }), dataset, {
    backend: 'wasm',
    resume: await readCheckpoint(dir),
  });
  try {
    await trainer.run();
    const metrics = await trainer.evaluate();
    assert.equal(metrics.step, 44);
    // C(t) = min + (max − min) · t / iters at the global step, with the new settings.
    assert.ok(Math.abs(metrics.capacityCont - (20 * 44) / 100) < 1e-6, `continuous ${metrics.capacityCont}`);
    assert.ok(Math.abs(metrics.capacityDisc - (5 * 44) / 200) < 1e-6, `discrete ${metrics.capacityDisc}`);
  } finally {
    await trainer.close();
  }
});

test('progress reports the loss from its terms and the schedules', async () => {
  const { progress } = await train({ steps: 2, 'capacity.continuous.iters': 10, 'capacity.continuous.max': 5 });
  const [p1, p2] = progress;
  assert.equal(p1.steps, 2);
  // Step t uses the capacities at t: 0 for the first step, 0.5 for the second.
  assert.equal(p1.capacities.cont, 0);
  assert.equal(p2.capacities.cont, 0.5);
  assert.equal(p1.tau, 0.67);
  const { recon, klCont, klDisc } = p2.terms;
  assert.ok(Math.abs(p2.loss - (recon + 30 * Math.abs(0.5 - klCont) + 30 * Math.abs(p2.capacities.disc - klDisc))) < 1e-9);
  assert.ok(p2.samplesPerSecond > 0);
});

test('evaluations and checkpoints happen on schedule, the checkpoint carrying the last metrics', async () => {
  const evals: EvalMetrics[] = [];
  const checkpoints: number[] = [];
  const dir = join(root, 'scheduled');
  const { result } = await train(
    { steps: 3, evalEvery: 2, checkpointEvery: 2 },
    { checkpointDir: dir, trialId: 'trial-7', onEval: (m) => void evals.push(m), onCheckpoint: (e) => void checkpoints.push(e.step) },
  );
  assert.deepEqual(evals.map((m) => m.step), [2, 3]);
  assert.deepEqual(checkpoints, [2, 3]);
  assert.deepEqual(result.metrics, evals[1]);
  const saved = await readCheckpoint(dir);
  assert.equal(saved.trial.step, 3);
  assert.equal(saved.trial.trialId, 'trial-7');
  assert.deepEqual(saved.trial.metrics, evals[1]);
  // 32 training images make 4 batches of 8 per epoch.
  assert.deepEqual(saved.trial.dataCursor, { epoch: 0, index: 24 });
});

test('a NaN in the data fails the step with a TrainingError naming it', async () => {
  const images = dataset.train.images.slice();
  images.fill(Number.NaN, 0, 32 * 32 * dataset.train.count);
  const poisoned = { ...dataset, train: { ...dataset.train, images } };
  const trainer = await Trainer.open(smallConfig({ steps: 3 }), poisoned, { backend: 'wasm' });
  try {
    await assert.rejects(trainer.run(), (err: unknown) => {
      assert.ok(err instanceof TrainingError);
      assert.equal(err.step, 1);
      assert.match(err.message, /step 1: loss is NaN/);
      return true;
    });
    assert.equal(trainer.completedSteps, 0);
  } finally {
    await trainer.close();
  }
});

test('steps leak no tensors, and closing frees the model', async () => {
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  const trainer = await Trainer.open(smallConfig({ steps: 3 }), dataset, {
    backend: 'wasm',
    onProgress: () => void counts.push(tf.memory().numTensors),
  });
  await trainer.run();
  // run() has ended the compute threads (here the in-process one and its model).
  const afterRun = tf.memory().numTensors;
  await trainer.evaluate();
  const afterEval = tf.memory().numTensors;
  await trainer.close();
  assert.equal(counts.length, 3);
  assert.ok(counts.every((c) => c === counts[0]), `tensor counts per step: ${counts.join(', ')}`);
  assert.ok(afterRun < counts[0]);
  assert.equal(afterEval, afterRun);
  assert.equal(tf.memory().numTensors, before);
});

test('aborting stops at the next step boundary with the abort reason', async () => {
  const stop = new AbortController();
  const trainer = await Trainer.open(smallConfig({ steps: 10 }), dataset, {
    backend: 'wasm',
    signal: stop.signal,
    onProgress: () => stop.abort(new Error('stop requested')),
  });
  try {
    await assert.rejects(trainer.run(), /stop requested/);
    assert.equal(trainer.completedSteps, 1);
  } finally {
    await trainer.close();
  }
});

test('bad setups are refused with a clear error', async () => {
  await assert.rejects(
    Trainer.open(smallConfig(), dataset, { backend: 'wasm', world: 2, rank: 0 }),
    /world 2 needs a gradient reducer/,
  );
  const dir = join(root, 'other-seed');
  await train({ steps: 1, seed: 5 }, { checkpointDir: dir });
  await assert.rejects(
    Trainer.open(smallConfig({ seed: 6 }), dataset, { backend: 'wasm', resume: await readCheckpoint(dir) }),
    /cannot resume: the checkpoint has seed 5, the config has 6/,
  );
});
