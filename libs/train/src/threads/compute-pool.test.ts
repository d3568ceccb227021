import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gatherImages, shardBatch } from '@jvae/data';
import { JointVae, selectBackend } from '@jvae/model';
import { smallConfig, syntheticDataset } from '../test-fixtures.js';
import { TrainingError } from '../training-error.js';
import { ComputePool, type KlReduction } from './compute-pool.js';

const config = smallConfig({ batchSize: 8 });
const dataset = syntheticDataset();
let parameters: number;
let initial: Float32Array;
const pools: ComputePool[] = [];
/** Shared by the tests below (starting threads costs seconds); the last test closes it. */
let two: ComputePool;

before(async () => {
  await selectBackend('wasm');
  const model = JointVae.create(config, config.seed);
  parameters = model.size;
  initial = model.getWeights();
  model.dispose();
  two = await openPool(2);
});

after(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

async function openPool(threads: number, asyncKlReduction = false): Promise<ComputePool> {
  const pool = await ComputePool.open({ config, backend: 'wasm', threads, parameters, maxImages: config.batchSize, asyncKlReduction });
  pools.push(pool);
  pool.weights.set(initial);
  pool.publishWeights();
  return pool;
}

/** One step's KL means, summed gradient and reconstruction sum on a pool. */
async function stepOn(pool: ComputePool, step: number, { globalBatchSize = 8, reduceKl }: { globalBatchSize?: number; reduceKl?: KlReduction } = {}) {
  const { indices, globalOffset } = shardBatch(dataset.train.count, config.batchSize, config.seed, step, 0, 1);
  gatherImages(dataset.train, indices, pool.images.subarray(0, indices.length * 32 * 32));
  const slices = pool.slices(indices.length, globalOffset);
  const grads = new Float32Array(parameters);
  const sums = await pool.gradients(slices, { step, globalBatchSize }, grads, reduceKl);
  return { slices, kl: { klCont: sums.klCont, klDisc: sums.klDisc }, grads, recon: sums.slices.reduce((a, s) => a + s.reconSum, 0) };
}

function maxAbs(values: Float32Array): number {
  return values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

function assertClose(actual: number, expected: number, relative: number, what: string): void {
  const tolerance = relative * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);
}

test('two worker threads give the gradient and loss sums of one in-process thread', async () => {
  const one = await openPool(1);
  assert.equal(two.threadCount, 2);
  const a = await stepOn(one, 3);
  const b = await stepOn(two, 3);
  assert.deepEqual(
    b.slices.map((s) => [s.start, s.end, s.globalOffset]),
    [
      [0, 4, 0],
      [4, 8, 4],
    ],
  );
  assertClose(b.kl.klCont, a.kl.klCont, 1e-5, 'klCont');
  assertClose(b.kl.klDisc, a.kl.klDisc, 1e-5, 'klDisc');
  assertClose(b.recon, a.recon, 1e-5, 'recon');
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < parameters; i++) {
    scale = Math.max(scale, Math.abs(a.grads[i]));
    diff = Math.max(diff, Math.abs(a.grads[i] - b.grads[i]));
  }
  assert.ok(scale > 0, 'the gradient is not zero');
  assert.ok(diff <= 1e-5 * scale, `max gradient difference ${diff} against max magnitude ${scale}`);

  // New weights reach every thread: the second step differs from the first.
  for (const pool of [one, two]) {
    for (let i = 0; i < parameters; i++) pool.weights[i] -= 1e-3 * Math.sign(a.grads[i]);
    pool.publishWeights();
  }
  const a2 = await stepOn(one, 3);
  const b2 = await stepOn(two, 3);
  assert.notEqual(a2.recon, a.recon);
  assertClose(b2.recon, a2.recon, 1e-5, 'recon after an update');
});

test("an exception in a thread rejects the step with that thread's message, not the others' abandonment", async () => {
  const grads = new Float32Array(parameters);
  const slices = [
    { start: 0, end: 4, globalOffset: 0 },
    { start: 4, end: 400, globalOffset: 4 },
  ];
  await assert.rejects(
    two.gradients(slices, { step: 0, globalBatchSize: 8 }, grads),
    (err: unknown) => err instanceof TrainingError && /compute thread 1: .*shape/i.test(err.message),
  );
  // The threads survive a failed step.
  const ok = await stepOn(two, 0);
  assert.ok(maxAbs(ok.grads) > 0);
});

test('the threads wait mid-pass for an asynchronous KL reduction and use its result', async () => {
  // One thread still runs in a worker, so the pool's thread is free to reduce.
  const reducing = await openPool(1, true);
  const inProcess = await openPool(1);
  const alone = await stepOn(inProcess, 5);
  let calls = 0;
  // As if a second rank held the same 8 images: sums double, the global batch is 16.
  const twin: KlReduction = async (sums) => {
    calls++;
    assert.equal(sums[2], 8);
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (let i = 0; i < 3; i++) sums[i] *= 2;
  };
  const paired = await stepOn(reducing, 5, { globalBatchSize: 16, reduceKl: twin });
  assert.equal(calls, 1);
  assertClose(paired.kl.klCont, alone.kl.klCont, 1e-5, 'klCont');
  assertClose(paired.kl.klDisc, alone.kl.klDisc, 1e-5, 'klDisc');
  // Each sample's share of the loss is 1/16 instead of 1/8: half the gradient.
  const scale = maxAbs(alone.grads);
  for (let i = 0; i < parameters; i++) {
    assert.ok(Math.abs(paired.grads[i] * 2 - alone.grads[i]) <= 1e-5 * scale, `gradient element ${i}`);
  }

  // A failed reduction abandons the step with its own error; the pool goes on.
  await assert.rejects(
    stepOn(reducing, 5, { globalBatchSize: 16, reduceKl: async () => Promise.reject(new Error('ring peer lost')) }),
    /ring peer lost/,
  );
  const again = await stepOn(reducing, 5, { globalBatchSize: 16, reduceKl: twin });
  assert.deepEqual(again.grads, paired.grads);

  await assert.rejects(stepOn(inProcess, 5, { reduceKl: twin }), /needs a pool opened with asyncKlReduction/);
});

test('a global batch that does not match the slices is refused, and the threads go on', async () => {
  for (const pool of [await openPool(1), two]) {
    await assert.rejects(
      stepOn(pool, 2, { globalBatchSize: 9 }),
      (err: unknown) => err instanceof TrainingError && /shards hold 8 samples, the global batch is 9/.test(err.message),
    );
    assert.ok(maxAbs((await stepOn(pool, 2)).grads) > 0);
  }
});

test('closing terminates the threads, also while they wait mid-pass, and rejects what is pending', async () => {
  const pool = two;
  // A reduction that never ends keeps both threads blocked on the exchange.
  const waiting = await openPool(2, true);
  let reached!: () => void;
  const blocked = new Promise<void>((resolve) => (reached = resolve));
  const stuck = stepOn(waiting, 1, { reduceKl: () => (reached(), new Promise<void>(() => {})) });
  await blocked;
  const stuckRejected = assert.rejects(stuck, (err: unknown) => err instanceof TrainingError && /closed/.test(err.message));
  await waiting.close();
  await stuckRejected;

  const pending = assert.rejects(stepOn(pool, 0), (err: unknown) => err instanceof TrainingError && /closed/.test(err.message));
  await pool.close();
  await pending;
  await assert.rejects(pool.gradients(pool.slices(8, 0), { step: 0, globalBatchSize: 8 }, new Float32Array(parameters)), /closed/);
});
