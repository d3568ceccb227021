// Data-parallel scaling: one trial trained by 2 ranks (2 processes of 1 compute thread each,
// gradients summed over the GradSync ring on loopback) against the machine's own limit, two
// independent 1-thread trainers run at the same time with the same model and per-rank batch.
//
//   npm run bench:scaling [-- --json --batch 32 --steps 30 --float16]
//
// efficiency = data-parallel samples/s (global batch) ÷ the two independent trainers' sum.
// A third run, one trainer on the global batch, checks that the ranks trained the same model:
// the final loss of both runs and the largest difference of their first weights are printed
// (with --float16 the gradients travel as float16, so the two differ by more than rounding).
// With --json one object: {perRankBatch, steps, alone: {samplesPerSecond: [a, b], sum},
// dataParallel: {samplesPerSecond, loss}, reference: {loss}, efficiency, lossRelativeDifference,
// maxWeightDifference}.
import { parseArgs } from 'node:util';
import { BenchChild } from './bench-child.js';

const RANK_SCRIPT = new URL('./scaling-rank.ts', import.meta.url).pathname;
const WARMUP = 3;
const GOAL = 0.85;

interface Trained {
  samplesPerSecond: number;
  loss: number;
  weights: number[];
}

function readOptions() {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      batch: { type: 'string', default: '32' },
      steps: { type: 'string', default: '30' },
      float16: { type: 'boolean', default: false },
    },
  });
  const count = (name: 'batch' | 'steps') => {
    const value = Number(values[name]);
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name}: expected an integer >= 1, got '${values[name]}'`);
    return value;
  };
  return { json: values.json!, batch: count('batch'), steps: count('steps'), float16: values.float16! };
}

async function withChildren<T>(count: number, use: (children: BenchChild[]) => Promise<T>): Promise<T> {
  const children = Array.from({ length: count }, () => new BenchChild(RANK_SCRIPT));
  try {
    return await use(children);
  } finally {
    for (const child of children) child.stop();
  }
}

const run = (child: BenchChild, batch: number, steps: number) => child.ask<Trained>({ run: { batch, steps, warmup: WARMUP } });

/** Trainers alone (world 1), all at the same time. */
function alone(count: number, batch: number, steps: number): Promise<Trained[]> {
  return withChildren(count, async (children) => {
    await Promise.all(children.map((child) => child.ask({ role: 'alone' })));
    return Promise.all(children.map((child) => run(child, batch, steps)));
  });
}

/** One trial trained by `world` ranks on the ring, each on its shard of `globalBatch`. */
function dataParallel(world: number, globalBatch: number, steps: number, float16: boolean): Promise<Trained[]> {
  return withChildren(world, async (ranks) => {
    const addresses = await Promise.all(ranks.map((child, rank) => child.ask<{ address: string }>({ role: 'rank', rank, world, float16 })));
    await Promise.all(ranks.map((child, rank) => child.ask({ predecessor: addresses[(rank + world - 1) % world]!.address })));
    return Promise.all(ranks.map((child) => run(child, globalBatch, steps)));
  });
}

const options = readOptions();
const world = 2;
const independent = await alone(world, options.batch, options.steps);
const ranks = await dataParallel(world, world * options.batch, options.steps, options.float16);
const [reference] = await alone(1, world * options.batch, options.steps);
const aloneSum = independent.reduce((sum, t) => sum + t.samplesPerSecond, 0);
const leader = ranks[0]!;
const result = {
  perRankBatch: options.batch,
  float16: options.float16,
  steps: options.steps,
  alone: { samplesPerSecond: independent.map((t) => t.samplesPerSecond), sum: aloneSum },
  dataParallel: { samplesPerSecond: leader.samplesPerSecond, loss: leader.loss },
  reference: { loss: reference!.loss },
  efficiency: leader.samplesPerSecond / aloneSum,
  lossRelativeDifference: Math.abs(leader.loss - reference!.loss) / Math.abs(reference!.loss),
  maxWeightDifference: Math.max(...leader.weights.map((w, i) => Math.abs(w - reference!.weights[i]!))),
  ranksAgree: ranks.every((r) => r.weights.every((w, i) => w === leader.weights[i])),
};
if (options.json) {
  console.log(JSON.stringify(result));
} else {
  const rate = (value: number) => value.toFixed(1).padStart(8);
  console.log(`Data-parallel scaling, ${world} ranks × 1 thread, batch ${options.batch} per rank, ${options.steps} timed steps${options.float16 ? ', float16 on the wire' : ''}`);
  console.log(`  2 trainers alone, at once   ${independent.map((t) => rate(t.samplesPerSecond)).join(' +')} = ${rate(aloneSum)} samples/s`);
  console.log(`  1 trial on 2 ranks (ring)   ${rate(leader.samplesPerSecond)} samples/s (global batch ${world * options.batch})`);
  console.log(`  efficiency                  ${result.efficiency.toFixed(3)} (goal ≥ ${GOAL})`);
  console.log(`  same model as 1 trainer on the global batch: final loss ${leader.loss.toFixed(4)} vs ${reference!.loss.toFixed(4)}` +
    ` (relative difference ${result.lossRelativeDifference.toExponential(2)}), largest weight difference ${result.maxWeightDifference.toExponential(2)},` +
    ` ranks ${result.ranksAgree ? 'hold identical weights' : 'DIFFER'}`);
}
