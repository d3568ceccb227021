import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '@jvae/model';
import { smallConfig, syntheticDataset } from './test-fixtures.js';
import { Trainer, type GradientReducer, type TrainerOptions, type TrainProgress } from './trainer.js';

const dataset = syntheticDataset();
const config = smallConfig({ steps: 2 });

before(async () => {
  await selectBackend('wasm');
});

async function train(options: TrainerOptions) {
  const progress: TrainProgress[] = [];
  const trainer = await Trainer.open(config, dataset, { backend: 'wasm', ...options, onProgress: (p) => void progress.push(p) });
  try {
    await trainer.run();
    return { progress, weights: trainer.state().weights, threads: trainer.threads };
  } finally {
    await trainer.close();
  }
}

/**
 * Sums the arrays of `world` in-process ranks, in rank order, the n-th call of every
 * rank with the n-th of the others.
 */
function localReducers(world: number): GradientReducer[] {
  const rounds: { parts: (Float32Array | Float64Array)[]; done: () => void; finished: Promise<void> }[] = [];
  const calls = new Array<number>(world).fill(0);
  return Array.from({ length: world }, (_, rank) => ({
    allReduce(_step: number, data: Float32Array | Float64Array): Promise<void> {
      const index = calls[rank]++;
      if (!rounds[index]) {
        let done!: () => void;
        const finished = new Promise<void>((resolve) => (done = resolve));
        rounds[index] = { parts: [], done, finished };
      }
      const round = rounds[index];
      round.parts[rank] = data;
      if (Object.keys(round.parts).length === world) {
        const sum = round.parts[0].slice();
        for (let r = 1; r < world; r++) for (let i = 0; i < sum.length; i++) sum[i] += round.parts[r][i];
        for (const part of round.parts) part.set(sum);
        round.done();
      }
      return round.finished;
    },
  }));
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
  return diff;
}

test('two compute threads and two data-parallel ranks train like one process, within float error', async () => {
  const single = await train({ threads: 1 });
  const threaded = await train({ threads: 2 });
  assert.equal(threaded.threads, 2);
  const reducers = localReducers(2);
  const ranks = await Promise.all(
    reducers.map((reducer, rank) => train({ threads: 1, rank, world: 2, reducer })),
  );

  for (const run of [threaded, ...ranks]) {
    run.progress.forEach((p, i) => {
      const want = single.progress[i];
      assert.equal(p.step, want.step);
      for (const key of ['recon', 'klCont', 'klDisc'] as const) {
        assert.ok(Math.abs(p.terms[key] - want.terms[key]) <= 1e-4 * Math.max(1, Math.abs(want.terms[key])), `${key} at step ${p.step}`);
      }
      assert.ok(Math.abs(p.loss - want.loss) <= 1e-4 * Math.abs(want.loss), `loss at step ${p.step}`);
    });
    // Adam's first steps move each weight by about lr; float error in the gradient moves it by far less.
    assert.ok(maxDifference(run.weights, single.weights) < 1e-5, `weights differ by ${maxDifference(run.weights, single.weights)}`);
  }
  // Ranks apply the same reduced gradient, and the same slices summed in the same order as the threads.
  assert.deepEqual(ranks[0].weights, ranks[1].weights);
  assert.deepEqual(ranks[0].weights, threaded.weights);
});
