// Search benchmark: TPE against random search on two standard test functions, as uniform
// parameter spaces, each method given the same number of sequential trials; and PBT against
// random search on PBT's toy problem, each given the same members and steps.
//
//   npm run bench:search [-- --seeds 20 --trials 40 --startup 10 --gamma 0.25 --candidates 24
//                            --pbt-members 10 --pbt-steps 40 --pbt-interval 4 --pbt-quantile 0.25 --json]
//
// For every seed each method runs `trials` trials one after another; random search is the
// same sampler with every trial in its startup phase, so both share their first `startup`
// trials. Simple regret is the best value found minus the known optimum; the figure is its
// median over seeds, and ratioVsRandom divides a method's median by random search's. On the
// toy problem (bench/pbt-toy.ts) the regret is 1.2 − the population's best Q after its steps.
import { parseArgs } from 'node:util';
import { suggestTpe, type Observation, type ParamValue, type ParameterSpec } from '@jvae/sweep';
import { TOY_OPTIMUM, toyBestQ, type ToySettings } from './pbt-toy.js';

/** Each method's goal, as its ratio to random search on the same problem. */
const GOALS: Record<string, { text: string; met(ratio: number): boolean }> = {
  tpe: { text: '≤ 0.5', met: (ratio) => ratio <= 0.5 },
  pbt: { text: '< 1', met: (ratio) => ratio < 1 },
};

interface Problem {
  name: string;
  space: Record<string, ParameterSpec>;
  optimum: number;
  evaluate(x: Record<string, ParamValue>): number;
}

const uniform = (min: number, max: number): ParameterSpec => ({ distribution: 'uniform', min, max });

/** Branin–Hoo on [−5, 10] × [0, 15]: three global minima of 0.397887. */
const branin: Problem = {
  name: 'branin',
  space: { x1: uniform(-5, 10), x2: uniform(0, 15) },
  optimum: 0.397887,
  evaluate(p) {
    const x1 = p.x1 as number;
    const x2 = p.x2 as number;
    const b = 5.1 / (4 * Math.PI ** 2);
    const c = 5 / Math.PI;
    const t = 1 / (8 * Math.PI);
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
  },
};

const HARTMANN_ALPHA = [1.0, 1.2, 3.0, 3.2];
const HARTMANN_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const HARTMANN_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((v) => v * 1e-4));

/** Hartmann-6 on [0, 1]^6: global minimum −3.32237. */
const hartmann6: Problem = {
  name: 'hartmann6',
  space: Object.fromEntries(Array.from({ length: 6 }, (_, j) => [`x${j}`, uniform(0, 1)])),
  optimum: -3.32237,
  evaluate(p) {
    const x = Array.from({ length: 6 }, (_, j) => p[`x${j}`] as number);
    return -HARTMANN_ALPHA.reduce((sum, alpha, i) => {
      const inner = x.reduce((s, xj, j) => s + HARTMANN_A[i]![j]! * (xj - HARTMANN_P[i]![j]!) ** 2, 0);
      return sum + alpha * Math.exp(-inner);
    }, 0);
  },
};

interface Options {
  seeds: number;
  trials: number;
  startup: number;
  gamma?: number;
  candidates?: number;
  toy: ToySettings;
  json: boolean;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '20' },
      trials: { type: 'string', default: '40' },
      startup: { type: 'string', default: '10' },
      gamma: { type: 'string' },
      candidates: { type: 'string' },
      'pbt-members': { type: 'string', default: '10' },
      'pbt-steps': { type: 'string', default: '40' },
      'pbt-interval': { type: 'string', default: '4' },
      'pbt-quantile': { type: 'string', default: '0.25' },
      json: { type: 'boolean', default: false },
    },
  });
  const positive = (name: string, raw: string) => {
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name}: expected a positive integer, got '${raw}'`);
    return value;
  };
  const gamma = values.gamma === undefined ? undefined : Number(values.gamma);
  if (gamma !== undefined && !(gamma > 0 && gamma <= 1)) throw new Error(`--gamma: expected a number in (0, 1], got '${values.gamma}'`);
  const quantile = Number(values['pbt-quantile']);
  if (!(quantile > 0 && quantile <= 0.5)) throw new Error(`--pbt-quantile: expected a number in (0, 0.5], got '${values['pbt-quantile']}'`);
  return {
    seeds: positive('seeds', values.seeds!),
    trials: positive('trials', values.trials!),
    startup: positive('startup', values.startup!),
    gamma,
    candidates: values.candidates === undefined ? undefined : positive('candidates', values.candidates),
    toy: {
      members: positive('pbt-members', values['pbt-members']!),
      steps: positive('pbt-steps', values['pbt-steps']!),
      interval: positive('pbt-interval', values['pbt-interval']!),
      quantile,
    },
    json: values.json!,
  };
}

/** The best value of one sequential run of `trials` suggestions. */
function bestOf(problem: Problem, seed: number, startupTrials: number, options: Options): number {
  const observations: Observation[] = [];
  for (let index = 0; index < options.trials; index++) {
    const params = suggestTpe(problem.space, observations, [], {
      seed,
      index,
      startupTrials,
      gamma: options.gamma,
      candidates: options.candidates,
    });
    observations.push({ params, value: problem.evaluate(params) });
  }
  return Math.min(...observations.map((o) => o.value));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Row {
  problem: string;
  method: string;
  medianRegret: number;
  ratioVsRandom: number;
}

function main(): void {
  const options = readOptions();
  const results: Row[] = [];
  for (const problem of [branin, hartmann6]) {
    const regret = (startup: number) =>
      median(Array.from({ length: options.seeds }, (_, seed) => bestOf(problem, seed, startup, options) - problem.optimum));
    const random = regret(options.trials);
    const tpe = regret(options.startup);
    results.push(
      { problem: problem.name, method: 'random', medianRegret: random, ratioVsRandom: 1 },
      { problem: problem.name, method: 'tpe', medianRegret: tpe, ratioVsRandom: tpe / random },
    );
  }
  const toyRegret = (pbt: boolean) =>
    median(Array.from({ length: options.seeds }, (_, seed) => TOY_OPTIMUM - toyBestQ(seed, options.toy, pbt)));
  const random = toyRegret(false);
  const pbt = toyRegret(true);
  results.push(
    { problem: 'pbt-toy', method: 'random', medianRegret: random, ratioVsRandom: 1 },
    { problem: 'pbt-toy', method: 'pbt', medianRegret: pbt, ratioVsRandom: pbt / random },
  );
  if (options.json) {
    console.log(JSON.stringify({ results }));
    return;
  }
  const { members, steps, interval, quantile } = options.toy;
  console.log(`${options.seeds} seeds × ${options.trials} sequential trials; TPE after ${options.startup} random trials`);
  console.log(`pbt-toy: ${members} members × ${steps} steps; PBT every ${interval} steps, quantile ${quantile}`);
  for (const r of results) {
    const target = GOALS[r.method];
    const goal = target ? `  (goal ${target.text}: ${target.met(r.ratioVsRandom) ? 'met' : 'not met'})` : '';
    console.log(
      `${r.problem.padEnd(10)} ${r.method.padEnd(7)} median simple regret ${r.medianRegret.toPrecision(4).padStart(9)}  ×${r.ratioVsRandom.toFixed(3)} random${goal}`,
    );
  }
}

try {
  main();
} catch (error) {
  console.error(`search bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
