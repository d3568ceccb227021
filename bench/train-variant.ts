// One measurement of bench/train.bench.ts, run in a process of its own so each backend
// starts from a fresh TensorFlow.js engine. Prints one JSON line: { samplesPerSecond, ... }.
//
//   tsx bench/train-variant.ts --variant stock-cpu|cpu|wasm|tensorflow --threads N --batch N --steps N
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { gatherImages, globalBatch, loadDataset, type Dataset } from '@jvae/data';
import { Adam, JointVae, sampleNoise } from '@jvae/model';
import { resolveTrainConfig, type TrainConfig } from '@jvae/model/config';
import { Trainer } from '@jvae/train';

const { values } = parseArgs({
  options: {
    variant: { type: 'string' },
    threads: { type: 'string', default: '1' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '10' },
  },
});
const variant = values.variant ?? '';
const threads = Number(values.threads);
const batch = Number(values.batch);
const steps = Number(values.steps);
/** Steps run before timing starts: kernel set-up, XNNPACK caches, thread start. */
const WARMUP = 2;

/**
 * The stock-kernel baseline: the same model, loss and Adam step on TensorFlow.js's own `cpu`
 * kernels in one thread, none of the project's kernels registered.
 */
async function stockStepsPerSecond(config: TrainConfig, dataset: Dataset): Promise<number> {
  await tf.setBackend('cpu');
  const model = JointVae.create(config, config.seed);
  const adam = new Adam(model.size, { lr: config.lr });
  const weights = model.getWeights();
  const grads = new Float32Array(model.size);
  const times: number[] = [];
  for (let t = 0; t < WARMUP + steps; t++) {
    const indices = globalBatch(dataset.train.count, batch, config.seed, t);
    const images = tf.tensor4d(gatherImages(dataset.train, indices), [batch, config.imageSize, config.imageSize, 1]);
    const noise = sampleNoise(config, config.seed, t, 0, batch);
    const started = performance.now();
    model.lossAndGradients(images, noise, t, grads);
    adam.step(weights, grads);
    model.setWeights(weights);
    if (t >= WARMUP) times.push(performance.now() - started);
    images.dispose();
  }
  model.dispose();
  return (steps * batch) / (times.reduce((a, b) => a + b, 0) / 1000);
}

/** The project's training path: Trainer with its kernels and compute threads. */
async function trainerStepsPerSecond(config: TrainConfig, dataset: Dataset): Promise<{ rate: number; engine: string; threads: number }> {
  const stepTimes: number[] = [];
  let last = performance.now();
  const trainer = await Trainer.open({ ...config, steps: WARMUP + steps, evalEvery: 0, checkpointEvery: 0 }, dataset, {
    backend: variant,
    threads,
    onProgress: (p) => {
      const now = performance.now();
      if (p.step > WARMUP) stepTimes.push(now - last);
      last = now;
    },
  });
  try {
    await trainer.run();
  } finally {
    await trainer.close();
  }
  const seconds = stepTimes.reduce((a, b) => a + b, 0) / 1000;
  return { rate: (stepTimes.length * batch) / seconds, engine: trainer.backend.engine, threads: trainer.threads };
}

const dataset = await loadDataset('mnist-sample');
const config = resolveTrainConfig({ preset: 'mnist' }, { batchSize: batch });
if (variant === 'stock-cpu') {
  const rate = await stockStepsPerSecond(config, dataset);
  console.log(JSON.stringify({ variant, samplesPerSecond: rate, engine: 'tfjs-backend-cpu, stock kernels', threads: 1, batch, steps }));
} else {
  const { rate, engine, threads: used } = await trainerStepsPerSecond(config, dataset);
  console.log(JSON.stringify({ variant, samplesPerSecond: rate, engine, threads: used, batch, steps }));
}
