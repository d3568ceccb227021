import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gatherImages, shardBatch } from '@jvae/data';
import { JointVae, selectBackend } from '@jvae/model';
import { smallConfig, syntheticDataset } from '../test-fixtures.js';
import { TrainingError } from '../training-error.js';
import { ComputePool } from './compute-pool.js';

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

async function openPool(threads: number): Promise<ComputePool> {
  const pool = await ComputePool.open({ config, backend: 'wasm', threads, parameters, maxImages: config.batchSize });
  pools.push(pool);
  pool.weights.set(initial);
  pool.publishWeights();
  return pool;
}

/** One step's KL sums and summed gradient on a pool. */
async function stepOn(pool: ComputePool, step: number) {
  const { indices, globalOffset } = shardBatch(dataset.train.count, config.batchSize, config.seed, step, 0, 1);
  gatherImages(dataset.train, indices, pool.images.subarray(0, indices.length * 32 * 32));
  const slices = pool.slices(indices.length, globalOffset);
  const kl = { klCont: 0, klDisc: 0 };
  for (const sums of await pool.klSums(slices)) {
    kl.klCont += sums.klCont;
    kl.klDisc += sums.klDisc;
  }
  const grads = new Float32Array(parameters);
  const sums = await pool.gradients(
    slices,
    { step, globalBatchSize: config.batchSize, klCont: kl.klCont / 8, klDisc: kl.klDisc / 8 },
    grads,
  );
  return { slices, kl, grads, recon: sums.reduce((a, s) => a + s.reconSum, 0) };
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

test("an exception in a thread rejects the call with the thread's message", async () => {
  await assert.rejects(
    two.klSums([
      { start: 0, end: 4, globalOffset: 0 },
      { start: 4, end: 400, globalOffset: 4 },
    ]),
    (err: unknown) => err instanceof TrainingError && /compute thread 1: .*shape/i.test(err.message),
  );
  // The thread survives a failed task.
  const ok = await two.klSums(two.slices(8, 0));
  assert.equal(ok.length, 2);
});

test('closing terminates the threads and rejects what is pending', async () => {
  const pool = two;
  const pending = assert.rejects(
    pool.klSums(pool.slices(8, 0)),
    (err: unknown) => err instanceof TrainingError && /closed/.test(err.message),
  );
  await pool.close();
  await pending;
  assert.throws(() => pool.klSums(pool.slices(8, 0)), /closed/);
});
