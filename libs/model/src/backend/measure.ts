/**
 * Training throughput of the paper's MNIST conv model on each backend, and
 * where the time goes. Not a test: timings are noisy on a shared machine.
 *
 *   npx tsx libs/model/src/backend/measure.ts [backend...] [--steps N] [--batch N] [--profile]
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend } from './index.js';

const LATENT_CONT = 10;
const LATENT_DISC = 10;

function buildModels(): { encoder: tfl.LayersModel; decoder: tfl.LayersModel } {
  const conv = (filters: number) =>
    tfl.layers.conv2d({ filters, kernelSize: 4, strides: 2, padding: 'same', activation: 'relu' });
  const deconv = (filters: number, activation: 'relu' | 'linear') =>
    tfl.layers.conv2dTranspose({ filters, kernelSize: 4, strides: 2, padding: 'same', activation });
  const encoder = tfl.sequential({
    layers: [
      tfl.layers.inputLayer({ inputShape: [32, 32, 1] }),
      conv(32),
      conv(64),
      conv(64),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 256, activation: 'relu' }),
      tfl.layers.dense({ units: 2 * LATENT_CONT + LATENT_DISC }),
    ],
  });
  const decoder = tfl.sequential({
    layers: [
      tfl.layers.inputLayer({ inputShape: [LATENT_CONT + LATENT_DISC] }),
      tfl.layers.dense({ units: 256, activation: 'relu' }),
      tfl.layers.dense({ units: 1024, activation: 'relu' }),
      tfl.layers.reshape({ targetShape: [4, 4, 64] }),
      deconv(32, 'relu'),
      deconv(32, 'relu'),
      deconv(1, 'linear'),
    ],
  });
  return { encoder, decoder };
}

/** A Joint-VAE-shaped loss: Bernoulli reconstruction + Gaussian KL + relaxed categorical. */
function loss(encoder: tfl.LayersModel, decoder: tfl.LayersModel, x: tf.Tensor4D): tf.Scalar {
  const h = encoder.apply(x) as tf.Tensor2D;
  const [mu, logVar, alpha] = tf.split(h, [LATENT_CONT, LATENT_CONT, LATENT_DISC], 1);
  const z = tf.add(mu, tf.mul(tf.randomNormal(mu.shape), tf.exp(tf.mul(logVar, 0.5))));
  const c = tf.softmax(alpha);
  const logits = decoder.apply(tf.concat([z, c], 1)) as tf.Tensor4D;
  const recon = tf.losses.sigmoidCrossEntropy(x, logits);
  const kl = tf.mean(tf.sum(tf.sub(tf.add(tf.square(mu), tf.exp(logVar)), tf.add(logVar, 1)), 1));
  return tf.add(recon, tf.mul(kl, 0.01)) as tf.Scalar;
}

interface Rate {
  /** Samples per second over all timed steps. */
  mean: number;
  /** From the fastest step: the least disturbed by other work on the machine. */
  best: number;
  /** Samples per second of this process's CPU time: what one free core would give. */
  perCpuSecond: number;
}

async function timeSteps(steps: number, batch: number, profileSteps: number): Promise<Rate> {
  const { encoder, decoder } = buildModels();
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomUniform([batch, 32, 32, 1]) as tf.Tensor4D;
  const step = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => loss(encoder, decoder, x));
      optimizer.applyGradients(grads as tf.NamedTensorMap as Record<string, tf.Variable>);
      return value.dataSync()[0];
    });
  for (let i = 0; i < 3; i++) step();
  const times: number[] = [];
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    step();
    times.push(performance.now() - start);
  }
  const cpu = process.cpuUsage(cpuStart);
  if (profileSteps > 0) await printProfile(step, profileSteps);
  x.dispose();
  encoder.dispose();
  decoder.dispose();
  optimizer.dispose();
  const total = times.reduce((a, b) => a + b, 0);
  return {
    mean: (steps * batch * 1000) / total,
    best: (batch * 1000) / Math.min(...times),
    perCpuSecond: (steps * batch * 1e6) / (cpu.user + cpu.system),
  };
}

/** Kernel time per kernel name: the least over several profiled steps. */
async function printProfile(step: () => number, steps: number): Promise<void> {
  const best = new Map<string, { ms: number; calls: number }>();
  for (let i = 0; i < steps; i++) {
    const info = await tf.profile(step);
    const byKernel = new Map<string, { ms: number; calls: number }>();
    for (const k of info.kernels) {
      const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
      entry.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      entry.calls += 1;
      byKernel.set(k.name, entry);
    }
    for (const [name, e] of byKernel) {
      const seen = best.get(name);
      if (seen == null || e.ms < seen.ms) best.set(name, e);
    }
  }
  const rows = [...best].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((s, [, e]) => s + e.ms, 0);
  console.log(`  kernels: ${total.toFixed(1)} ms per step (least of ${steps} profiled steps per kernel)`);
  for (const [name, e] of rows.slice(0, 15)) {
    console.log(`  ${name.padEnd(24)} ${e.ms.toFixed(2).padStart(8)} ms  ${String(e.calls).padStart(3)} calls`);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args.splice(i, 2)[1]) : fallback;
  };
  const steps = option('--steps', 20);
  const batch = option('--batch', 64);
  const profileSteps = args.includes('--profile') ? 5 : 0;
  const backends = args.filter((a) => !a.startsWith('--'));
  for (const name of backends.length > 0 ? backends : ['wasm', 'cpu']) {
    const selection = await selectBackend(name);
    const n = name === 'cpu' ? Math.min(steps, 3) : steps;
    const rate = await timeSteps(n, batch, profileSteps);
    console.log(
      `${selection.name} [${selection.engine}]: ${rate.mean.toFixed(0)} samples/s mean, ` +
        `${rate.best.toFixed(0)} best step, ${rate.perCpuSecond.toFixed(0)} per CPU-second (batch ${batch}, ${n} steps)`,
    );
  }
}

await main();
