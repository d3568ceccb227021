import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandTrials, planTrial, trialCount } from './expand-trials.js';
import { SweepSpecError } from './sweep-spec-error.js';
import { validateSweepSpec } from './validate-spec.js';

const grid = validateSweepSpec({
  name: 'grid',
  method: 'grid',
  seed: 11,
  dataset: { name: 'shapes' },
  train: { preset: 'mnist', steps: 500 },
  parameters: {
    'capacity.continuous.max': { values: [5, 10, 15] },
    'capacity.discrete.gamma': { values: [30, 100] },
    lr: { value: 1e-3 },
  },
});

function random(overrides: Record<string, unknown> = {}) {
  return validateSweepSpec({
    name: 'random',
    method: 'random',
    run_cap: 200,
    train: { steps: 500 },
    parameters: {
      temperature: { distribution: 'uniform', min: 0.5, max: 1.0 },
      lr: { distribution: 'log_uniform_values', min: 1e-5, max: 1e-2 },
      'latent.continuous': { distribution: 'int_uniform', min: 2, max: 5 },
      formulation: { values: ['dupont', 'pytorch-vae'] },
      batchSize: { value: 32 },
    },
    ...overrides,
  });
}

describe('expandTrials: grid', () => {
  it('enumerates the cartesian product, first parameter slowest, in spec order', () => {
    const trials = expandTrials(grid);
    assert.equal(trialCount(grid), 6);
    assert.deepEqual(
      trials.map((t) => [t.params['capacity.continuous.max'], t.params['capacity.discrete.gamma']]),
      [[5, 30], [5, 100], [10, 30], [10, 100], [15, 30], [15, 100]],
    );
    assert.deepEqual(trials.map((t) => t.index), [0, 1, 2, 3, 4, 5]);
    assert.ok(trials.every((t) => t.params.lr === 1e-3 && Object.keys(t.params).length === 3));
  });

  it('resolves every config: preset, then train, dataset, params and the trial seed', () => {
    const [, second] = expandTrials(grid);
    assert.equal(second!.config.preset, 'mnist');
    assert.equal(second!.config.steps, 500);
    assert.equal(second!.config.dataset, 'shapes');
    assert.equal(second!.config.capacity.continuous.max, 5);
    assert.equal(second!.config.capacity.discrete.gamma, 100);
    assert.equal(second!.config.capacity.continuous.gamma, 30, 'untouched preset value');
    assert.equal(second!.config.lr, 1e-3);
    assert.equal(second!.config.seed, second!.seed);
  });

  it('truncates to run_cap in the same order', () => {
    const capped = expandTrials({ ...grid, run_cap: 4 });
    assert.deepEqual(capped.map((t) => t.params), expandTrials(grid).slice(0, 4).map((t) => t.params));
    assert.equal(expandTrials({ ...grid, run_cap: 50 }).length, 6);
  });

  it('enumerates int_uniform ranges inclusively', () => {
    const spec = validateSweepSpec({ name: 'ints', method: 'grid', parameters: { 'latent.continuous': { distribution: 'int_uniform', min: 3, max: 6 } } });
    assert.deepEqual(expandTrials(spec).map((t) => t.config.latent.continuous), [3, 4, 5, 6]);
  });

  it('is one trial with no parameters', () => {
    const trials = expandTrials(validateSweepSpec({ name: 'one', method: 'grid' }));
    assert.equal(trials.length, 1);
    assert.deepEqual(trials[0]!.params, {});
  });

  it('derives distinct, deterministic trial seeds from the sweep seed', () => {
    const seeds = expandTrials(grid).map((t) => t.seed);
    assert.equal(new Set(seeds).size, seeds.length);
    assert.deepEqual(expandTrials(grid).map((t) => t.seed), seeds);
    assert.notDeepEqual(expandTrials({ ...grid, seed: 12 }).map((t) => t.seed), seeds);
    assert.ok(seeds.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 31));
  });

  it('gives each trial its own copy of list values', () => {
    const spec = validateSweepSpec({ name: 'lists', method: 'grid', parameters: { 'latent.discrete': { values: [[10], [10, 2]] } } });
    const [a, b] = expandTrials(spec);
    assert.deepEqual(b!.config.latent.discrete, [10, 2]);
    a!.config.latent.discrete.push(3);
    assert.deepEqual(expandTrials(spec)[0]!.config.latent.discrete, [10]);
    assert.deepEqual(spec.parameters['latent.discrete'], { distribution: 'categorical', values: [[10], [10, 2]] });
  });
});

describe('expandTrials: random', () => {
  it('draws run_cap trials, the same ones every time', () => {
    const trials = expandTrials(random());
    assert.equal(trials.length, 200);
    assert.deepEqual(expandTrials(random()), trials);
  });

  it('changes with the seed, and defaults the seed to a hash of the name', () => {
    const params = (spec: ReturnType<typeof random>) => expandTrials(spec).map((t) => t.params);
    assert.notDeepEqual(params(random({ seed: 1 })), params(random({ seed: 2 })));
    assert.notDeepEqual(params(random({ name: 'a' })), params(random({ name: 'b' })));
    assert.deepEqual(params(random({ name: 'a' })), params(random({ name: 'a' })));
  });

  it('keeps earlier trials when run_cap grows or parameters are reordered', () => {
    const small = expandTrials(random({ run_cap: 5 }));
    assert.deepEqual(expandTrials(random()).slice(0, 5), small);
    const reordered = random();
    reordered.parameters = Object.fromEntries(Object.entries(reordered.parameters).reverse());
    assert.deepEqual(expandTrials(reordered).slice(0, 5).map((t) => t.params.lr), small.map((t) => t.params.lr));
  });

  it('keeps every draw inside its distribution and covers the range', () => {
    const trials = expandTrials(random());
    const column = (path: string) => trials.map((t) => t.params[path] as number);

    const temperature = column('temperature');
    assert.ok(temperature.every((v) => v >= 0.5 && v < 1.0));
    assert.ok(Math.min(...temperature) < 0.6 && Math.max(...temperature) > 0.9);

    const lr = column('lr');
    assert.ok(lr.every((v) => v >= 1e-5 && v <= 1e-2));
    // Log-uniform: each decade holds about a third of the draws; uniform would put ~90% in the top one.
    const perDecade = [1e-4, 1e-3, 1e-2].map((top) => lr.filter((v) => v < top && v >= top / 10).length);
    assert.ok(perDecade.every((n) => n > 40), `draws per decade: ${perDecade}`);

    const dims = column('latent.continuous');
    assert.ok(dims.every((v) => Number.isInteger(v) && v >= 2 && v <= 5));
    assert.deepEqual([...new Set(dims)].sort(), [2, 3, 4, 5]);
    assert.deepEqual(trials.map((t) => t.config.latent.continuous), dims);

    assert.deepEqual([...new Set(trials.map((t) => t.params.formulation))].sort(), ['dupont', 'pytorch-vae']);
    assert.ok(trials.every((t) => t.params.batchSize === 32 && t.config.batchSize === 32));
  });

  it('requires run_cap and refuses more than the trial limit', () => {
    const { run_cap: _omitted, ...uncapped } = random();
    assert.throws(() => expandTrials(uncapped), (e: unknown) => e instanceof SweepSpecError && e.path === 'run_cap');
    assert.throws(() => expandTrials({ ...random(), run_cap: 20_000 }), /more than the limit of 10000/);
  });
});

describe('planTrial and bayes', () => {
  const bayes = validateSweepSpec({
    name: 'bayes',
    method: 'bayes',
    run_cap: 30,
    seed: 5,
    train: { steps: 500 },
    parameters: { lr: { distribution: 'log_uniform_values', min: 1e-5, max: 1e-2 }, batchSize: { values: [32, 64] } },
  });

  it('is the trial expandTrials makes from the same params', () => {
    for (const spec of [grid, random()]) {
      for (const trial of expandTrials(spec).slice(0, 5)) assert.deepEqual(planTrial(spec, trial.index, trial.params), trial);
    }
  });

  it('resolves suggested params over the train config, with the seed of the index', () => {
    const plan = planTrial(bayes, 7, { lr: 3e-4, batchSize: 64 });
    assert.deepEqual([plan.index, plan.config.lr, plan.config.batchSize, plan.config.steps], [7, 3e-4, 64, 500]);
    assert.equal(plan.config.seed, plan.seed);
    assert.equal(plan.seed, planTrial(bayes, 7, { lr: 1e-3, batchSize: 32 }).seed);
    assert.notEqual(plan.seed, planTrial(bayes, 8, { lr: 3e-4, batchSize: 64 }).seed);
  });

  it('names the parameter of an invalid suggestion and rejects a bad index', () => {
    assert.throws(
      () => planTrial(bayes, 2, { lr: -1, batchSize: 64 }),
      (e: unknown) => e instanceof SweepSpecError && e.path === 'parameters.lr' && /^trial 2 \(lr=-1, batchSize=64\): lr: must be a positive number/.test(e.reason),
    );
    assert.throws(() => planTrial(bayes, -1, {}), /trial index must be an integer ≥ 0 \(got -1\)/);
  });

  it('counts run_cap trials for bayes but does not expand them up front', () => {
    assert.equal(trialCount(bayes), 30);
    assert.throws(
      () => expandTrials(bayes),
      (e: unknown) => e instanceof SweepSpecError && e.path === 'method' && /plan each suggestion with planTrial/.test(e.reason),
    );
  });
});
