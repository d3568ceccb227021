import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SweepSpecError } from './sweep-spec-error.js';
import { validateSweepSpec } from './validate-spec.js';

type Spec = Record<string, unknown>;

function validSpec(): Spec {
  return {
    name: 'mnist-capacity',
    method: 'random',
    run_cap: 8,
    metric: { name: 'discreteAccuracy', goal: 'maximize' },
    dataset: { name: 'mnist-sample' },
    train: { preset: 'mnist', steps: 3000, batchSize: 64, evalEvery: 250, checkpointEvery: 500 },
    replicas: 1,
    seed: 7,
    early_terminate: { type: 'asha', min_steps: 500, eta: 3 },
    parameters: {
      'capacity.continuous.max': { values: [5, 10] },
      'capacity.discrete.gamma': { values: [30, 100] },
      temperature: { distribution: 'uniform', min: 0.5, max: 1.0 },
      lr: { value: 0.0005 },
    },
  };
}

function rejects(spec: unknown, path: string, reason: RegExp): void {
  assert.throws(
    () => validateSweepSpec(spec),
    (err: unknown) => {
      assert.ok(err instanceof SweepSpecError, `expected SweepSpecError, got ${String(err)}`);
      assert.equal(err.path, path, err.message);
      assert.match(err.reason, reason);
      assert.ok(err.message.startsWith(`${path || 'spec'}: `), err.message);
      return true;
    },
  );
}

function withChange(change: (spec: Spec) => void): Spec {
  const spec = validSpec();
  change(spec);
  return spec;
}

function params(spec: Spec): Record<string, unknown> {
  return spec.parameters as Record<string, unknown>;
}

function pbt(): Spec {
  return {
    type: 'pbt',
    interval: 500,
    mutations: {
      lr: { factors: [0.8, 1.2] },
      'temperatureAnneal.interval': { factors: [0.5, 2] },
      'capacity.continuous.max': { values: [5, 10, 20] },
      temperature: { distribution: 'log_uniform_values', min: 0.5, max: 1 },
      'capacity.continuous.iters': { distribution: 'int_uniform', min: 8, max: 12 },
    },
  };
}

/** A spec with a pbt scheduler (and no early_terminate), then `change` applied to the scheduler and the spec. */
function withPbt(change: (scheduler: Spec, mutations: Record<string, unknown>, spec: Spec) => void): (s: Spec) => void {
  return (s) => {
    delete s.early_terminate;
    s.scheduler = pbt();
    change(s.scheduler as Spec, (s.scheduler as Spec).mutations as Record<string, unknown>, s);
  };
}

function pbtCases(): Array<[string, (s: Spec) => void, string, RegExp]> {
  return [
    ['pbt with bayes', withPbt((_, __, s) => (s.method = 'bayes')), 'scheduler', /pbt needs a fixed population; use method grid or random/],
    ['pbt on a grid without run_cap', withPbt((_, __, s) => ((s.method = 'grid'), delete s.run_cap, (s.parameters = {}))), 'run_cap', /^is required when scheduler is pbt/],
    ['pbt with early_terminate', withPbt((_, __, s) => (s.early_terminate = { type: 'asha', min_steps: 500 })), 'scheduler', /cannot be combined with early_terminate/],
    ['scheduler not a mapping', withPbt((_, __, s) => (s.scheduler = 'pbt')), 'scheduler', /must be a mapping/],
    ['scheduler type', withPbt((p) => (p.type = 'pb2')), 'scheduler.type', /^must be one of pbt \(got "pb2"\)$/],
    ['pbt without interval', withPbt((p) => delete p.interval), 'scheduler.interval', /is required/],
    ['pbt interval 0', withPbt((p) => (p.interval = 0)), 'scheduler.interval', /integer ≥ 1/],
    ['pbt interval past the budget', withPbt((p) => (p.interval = 3000)), 'scheduler.interval', /less than the trials' steps \(got 3000 ≥ 3000\)/],
    ['pbt quantile 0', withPbt((p) => (p.quantile = 0)), 'scheduler.quantile', /^must be in \(0, 0\.5\] \(got 0\)$/],
    ['pbt quantile above a half', withPbt((p) => (p.quantile = 0.6)), 'scheduler.quantile', /must be in \(0, 0\.5\]/],
    ['pbt quantile a string', withPbt((p) => (p.quantile = 'quarter')), 'scheduler.quantile', /finite number/],
    ['unknown scheduler key', withPbt((p) => (p.intervals = 3)), 'scheduler.intervals', /did you mean interval\?/],
    ['pbt without mutations', withPbt((p) => delete p.mutations), 'scheduler.mutations', /is required/],
    ['pbt with no mutations', withPbt((p) => (p.mutations = {})), 'scheduler.mutations', /at least one/],
    ['mutation of an unknown field', withPbt((_, m) => (m.lrr = { factors: [2] })), 'scheduler.mutations.lrr', /not a train config field \(did you mean lr\?\)/],
    ['mutation of the seed', withPbt((_, m) => (m.seed = { factors: [2] })), 'scheduler.mutations.seed', /cannot be swept: trial seeds/],
    ['mutation of evalEvery', withPbt((_, m) => (m.evalEvery = { values: [10, 20] })), 'scheduler.mutations.evalEvery', /cannot be swept/],
    ['mutation without a form', withPbt((_, m) => (m.lr = {})), 'scheduler.mutations.lr', /needs one of values, factors or distribution/],
    ['constant mutation', withPbt((_, m) => (m.lr = { value: 1e-3 })), 'scheduler.mutations.lr.value', /a constant cannot be perturbed/],
    ['pbt with part of its population', withPbt((_, __, s) => (s.max_concurrent = 2)), 'max_concurrent', /must be at least run_cap \(\d+\) when scheduler is pbt/],
    ['pbt interval between checkpoints', withPbt((p) => (p.interval = 750)), 'scheduler.interval', /multiple of train.checkpointEvery \(500; got 750\)/],
    ['mutation of the formulation', withPbt((_, m) => (m.formulation = { values: ['dupont', 'pytorch-vae'] })), 'scheduler.mutations.formulation', /cannot be perturbed: the copied weights were trained under/],
    ['mutation of the image size', withPbt((_, m) => (m.imageSize = { values: [32, 64] })), 'scheduler.mutations.imageSize', /cannot be perturbed: the copied weights are shaped/],
    ['mutation of a latent size', withPbt((_, m) => (m['latent.continuous'] = { distribution: 'int_uniform', min: 8, max: 12 })), 'scheduler.mutations.latent.continuous', /cannot be perturbed: the copied weights are shaped for the donor’s latent sizes/],
    ['mutation of the batch size', withPbt((_, m) => (m.batchSize = { factors: [2] })), 'scheduler.mutations.batchSize', /cannot be perturbed: a resumed trial keeps the batch size/],
    ['empty factors', withPbt((_, m) => (m.lr = { factors: [] })), 'scheduler.mutations.lr.factors', /non-empty list/],
    ['zero factor', withPbt((_, m) => (m.lr = { factors: [0.8, 0] })), 'scheduler.mutations.lr.factors[1]', /^must be positive \(got 0\)$/],
    ['negative factor', withPbt((_, m) => (m.lr = { factors: [-2] })), 'scheduler.mutations.lr.factors[0]', /must be positive/],
    ['non-numeric factor', withPbt((_, m) => (m.lr = { factors: ['x'] })), 'scheduler.mutations.lr.factors[0]', /finite number/],
    ['factors with values', withPbt((_, m) => (m.lr = { factors: [2], values: [1e-3] })), 'scheduler.mutations.lr.values', /unknown key/],
    ['integer flag contradicting the field', withPbt((_, m) => (m['temperatureAnneal.interval'] = { factors: [2], integer: false })), 'scheduler.mutations.temperatureAnneal.interval.integer', /temperatureAnneal.interval holds integers, so it is true/],
    ['empty mutation values', withPbt((_, m) => (m['capacity.continuous.max'] = { values: [] })), 'scheduler.mutations.capacity.continuous.max.values', /non-empty list/],
    ['mutation value the config rejects', withPbt((_, m) => (m.temperature = { values: [0.5, -1] })), 'scheduler.mutations.temperature.values[1]', /positive number, got -1/],
    ['mutation range the config rejects', withPbt((_, m) => (m.temperature = { distribution: 'uniform', min: -1, max: 1 })), 'scheduler.mutations.temperature.min', /positive number, got -1/],
    ['mutation range upside down', withPbt((_, m) => (m.temperature = { distribution: 'uniform', min: 2, max: 1 })), 'scheduler.mutations.temperature.min', /must be less than max/],
    ['fractional draws for an integer field', withPbt((_, m) => (m['temperatureAnneal.interval'] = { distribution: 'uniform', min: 16, max: 64 })), 'scheduler.mutations.temperatureAnneal.interval.distribution', /temperatureAnneal.interval holds integers, which a uniform distribution would not draw; use int_uniform/],
  ];
}

describe('validateSweepSpec', () => {
  it('accepts the W&B-like example and normalises it', () => {
    const spec = validateSweepSpec(validSpec());
    assert.deepEqual(spec.replicas, { min: 1, max: 1 });
    assert.deepEqual(spec.parameters['capacity.continuous.max'], { distribution: 'categorical', values: [5, 10] });
    assert.deepEqual(spec.parameters.lr, { value: 0.0005 });
    assert.deepEqual(spec.early_terminate, { type: 'asha', min_steps: 500, eta: 3 });
    assert.equal(spec.seed, 7);
  });

  it('is idempotent on its own output', () => {
    const once = validateSweepSpec(validSpec());
    assert.deepEqual(validateSweepSpec(structuredClone(once)), once);
  });

  it('fills defaults: metric loss/minimize, seed from the name, eta 3, replicas 1, empty train', () => {
    const spec = validateSweepSpec({ name: 'tiny', method: 'grid', parameters: { lr: { values: [1e-3, 1e-4] } } });
    assert.deepEqual(spec.metric, { name: 'loss', goal: 'minimize' });
    assert.equal(spec.seed, validateSweepSpec({ name: 'tiny', method: 'grid' }).seed);
    assert.notEqual(spec.seed, validateSweepSpec({ name: 'other', method: 'grid' }).seed);
    assert.deepEqual(spec.replicas, { min: 1, max: 1 });
    assert.deepEqual(spec.train, {});
    const asha = validateSweepSpec({ ...validSpec(), early_terminate: { type: 'asha', min_steps: 100 } });
    assert.equal(asha.early_terminate?.eta, 3);
  });

  it('accepts elastic replicas and every distribution', () => {
    const spec = validateSweepSpec(
      withChange((s) => {
        s.replicas = { min: 2, max: 4 };
        Object.assign(params(s), {
          batchSize: { distribution: 'int_uniform', min: 32, max: 128 },
          'capacity.continuous.gamma': { distribution: 'log_uniform_values', min: 1, max: 1000 },
          formulation: { distribution: 'categorical', values: ['dupont', 'pytorch-vae'] },
        });
      }),
    );
    assert.deepEqual(spec.replicas, { min: 2, max: 4 });
    assert.equal(spec.parameters.batchSize && 'distribution' in spec.parameters.batchSize && spec.parameters.batchSize.distribution, 'int_uniform');
  });

  it('allows grid over values, constants and int_uniform', () => {
    const spec = validateSweepSpec({
      name: 'g',
      method: 'grid',
      parameters: { 'latent.continuous': { distribution: 'int_uniform', min: 4, max: 6 }, lr: { value: 1e-3 } },
    });
    assert.equal(spec.method, 'grid');
  });

  it('rejects specs that are not mappings', () => {
    rejects('name: x', '', /must be a mapping \(got "name: x"\)/);
    rejects([1], '', /must be a mapping \(got a list\)/);
    rejects(null, '', /got null/);
  });

  const cases: Array<[string, (s: Spec) => void, string, RegExp]> = [
    ['unknown top-level key', (s) => (s.runcap = 3), 'runcap', /unknown key \(did you mean run_cap\? expected one of name, method/],
    ['unknown top-level key without a near match', (s) => (s.program = 'train.py'), 'program', /^unknown key \(expected one of/],
    ['missing name', (s) => delete s.name, 'name', /is required/],
    ['empty name', (s) => (s.name = '  '), 'name', /non-empty string/],
    ['name with a newline', (s) => (s.name = 'a\nb'), 'name', /control characters/],
    ['missing method', (s) => delete s.method, 'method', /is required/],
    ['bad method', (s) => (s.method = 'annealing'), 'method', /^must be one of grid, random, bayes \(got "annealing"\)$/],
    ['bayes without run_cap', (s) => ((s.method = 'bayes'), delete s.run_cap), 'run_cap', /is required when method is bayes/],
    ['bayes settings with random', (s) => (s.bayes = { startup_trials: 5 }), 'bayes', /^only applies to method bayes \(method is random\)$/],
    ['zero startup trials', (s) => ((s.method = 'bayes'), (s.bayes = { startup_trials: 0 })), 'bayes.startup_trials', /integer ≥ 1 \(got 0\)/],
    ['fractional startup trials', (s) => ((s.method = 'bayes'), (s.bayes = { startup_trials: 2.5 })), 'bayes.startup_trials', /integer ≥ 1/],
    ['unknown bayes key', (s) => ((s.method = 'bayes'), (s.bayes = { startup_trial: 3 })), 'bayes.startup_trial', /did you mean startup_trials\?/],
    ['bayes drawing fractions for an integer field', (s) => ((s.method = 'bayes'), (params(s).batchSize = { distribution: 'uniform', min: 32, max: 128 })), 'parameters.batchSize', /^trial 0 \(.*\): batchSize: must be an integer/],
    ['negative max_failures', (s) => (s.max_failures = -1), 'max_failures', /integer ≥ 0 \(got -1\)/],
    ['fractional max_failures', (s) => (s.max_failures = 0.5), 'max_failures', /integer ≥ 0/],
    ['zero max_concurrent', (s) => (s.max_concurrent = 0), 'max_concurrent', /integer ≥ 1 \(got 0\)/],
    ['max_concurrent a string', (s) => (s.max_concurrent = 'all'), 'max_concurrent', /integer ≥ 1 \(got "all"\)/],
    ['random without run_cap', (s) => delete s.run_cap, 'run_cap', /is required when method is random/],
    ['fractional run_cap', (s) => (s.run_cap = 2.5), 'run_cap', /integer ≥ 1 \(got 2.5\)/],
    ['zero run_cap', (s) => (s.run_cap = 0), 'run_cap', /integer ≥ 1/],
    ['huge run_cap', (s) => (s.run_cap = 1e6), 'run_cap', /at most 10000/],
    ['unknown metric', (s) => (s.metric = { name: 'accuracy', goal: 'maximize' }), 'metric.name', /must be one of loss, recon, klCont, klDisc, discreteAccuracy, factorScore, mig/],
    ['metric goal missing', (s) => (s.metric = { name: 'loss' }), 'metric.goal', /is required/],
    ['bad metric goal', (s) => (s.metric = { name: 'loss', goal: 'max' }), 'metric.goal', /minimize, maximize/],
    ['unknown metric key', (s) => (s.metric = { name: 'loss', goal: 'minimize', target: 1 }), 'metric.target', /unknown key/],
    ['factor metric on mnist', (s) => (s.metric = { name: 'mig', goal: 'maximize' }), 'dataset.name', /mig needs a dataset with ground-truth factors/],
    ['dataset not a mapping', (s) => (s.dataset = 'mnist-sample'), 'dataset', /must be a mapping/],
    ['dataset without name', (s) => (s.dataset = {}), 'dataset.name', /is required/],
    ['unknown dataset', (s) => (s.dataset = { name: 'nosuch' }), 'dataset.name', /^unknown dataset reference; expected one of mnist-sample, shapes, idx:DIR, dsprites:FILE\.npz$/],
    ['dataset scheme without a path', (s) => (s.dataset = { name: 'idx:' }), 'dataset.name', /unknown dataset reference/],
    ['train not a mapping', (s) => (s.train = 'mnist'), 'train', /must be a mapping/],
    ['train.seed', (s) => ((s.train as Spec).seed = 3), 'train.seed', /top-level seed/],
    ['train.dataset', (s) => ((s.train as Spec).dataset = 'shapes'), 'train.dataset', /dataset\.name/],
    ['unknown preset', (s) => ((s.train as Spec).preset = 'cifar'), 'train.preset', /must be one of "mnist", "fashion", "dsprites"/],
    ['unknown train field', (s) => ((s.train as Spec).stepz = 10), 'train.stepz', /unknown key/],
    ['bad train value', (s) => ((s.train as Spec).batchSize = 0), 'train.batchSize', /integer from 1/],
    ['huge train batch', (s) => ((s.train as Spec).batchSize = 1e8), 'train.batchSize', /^must be an integer from 1 to 8192, got 100000000$/],
    ['huge train latent', (s) => ((s.train as Spec).latent = { continuous: 1e9 }), 'train.latent.continuous', /from 1 to 1024, got 1000000000/],
    ['replicas zero', (s) => (s.replicas = 0), 'replicas', /integer ≥ 1/],
    ['replicas a string', (s) => (s.replicas = '2'), 'replicas', /integer ≥ 1 or a mapping \{min, max\}/],
    ['replicas min > max', (s) => (s.replicas = { min: 4, max: 2 }), 'replicas.min', /must not exceed max \(got 4 > 2\)/],
    ['replicas without max', (s) => (s.replicas = { min: 2 }), 'replicas.max', /is required/],
    ['negative seed', (s) => (s.seed = -1), 'seed', /integer ≥ 0/],
    ['early_terminate type', (s) => (s.early_terminate = { type: 'median', min_steps: 10 }), 'early_terminate.type', /^must be one of asha, hyperband \(got "median"\)$/],
    ['asha with max_steps', (s) => (s.early_terminate = { type: 'asha', min_steps: 10, max_steps: 100 }), 'early_terminate.max_steps', /only applies to type hyperband/],
    ['hyperband without max_steps', (s) => (s.early_terminate = { type: 'hyperband', min_steps: 10 }), 'early_terminate.max_steps', /is required/],
    ['hyperband max_steps at min_steps', (s) => (s.early_terminate = { type: 'hyperband', min_steps: 100, max_steps: 100 }), 'early_terminate.max_steps', /^must be greater than min_steps \(got 100 ≤ 100\)$/],
    ['hyperband fractional max_steps', (s) => (s.early_terminate = { type: 'hyperband', min_steps: 10, max_steps: 99.5 }), 'early_terminate.max_steps', /integer ≥ 1/],
    ['hyperband max_steps past the steps cap', (s) => (s.early_terminate = { type: 'hyperband', min_steps: 10, max_steps: 1e12 }), 'early_terminate.max_steps', /at most 1000000000/],
    ['hyperband eta 1', (s) => (s.early_terminate = { type: 'hyperband', min_steps: 10, max_steps: 90, eta: 1 }), 'early_terminate.eta', /integer ≥ 2/],
    ['hyperband min_steps 0', (s) => (s.early_terminate = { type: 'hyperband', min_steps: 0, max_steps: 90 }), 'early_terminate.min_steps', /integer ≥ 1/],
    ['hyperband min_steps past the budget', (s) => (s.early_terminate = { type: 'hyperband', min_steps: 3000, max_steps: 9000 }), 'early_terminate.min_steps', /less than the trials' steps/],
    ['unknown early_terminate key', (s) => (s.early_terminate = { type: 'hyperband', min_steps: 10, max_step: 90 }), 'early_terminate.max_step', /did you mean max_steps\?/],
    ...pbtCases(),
    ['early_terminate eta 1', (s) => (s.early_terminate = { type: 'asha', min_steps: 10, eta: 1 }), 'early_terminate.eta', /integer ≥ 2/],
    ['early_terminate without min_steps', (s) => (s.early_terminate = { type: 'asha' }), 'early_terminate.min_steps', /is required/],
    ['min_steps past the budget', (s) => (s.early_terminate = { type: 'asha', min_steps: 3000 }), 'early_terminate.min_steps', /less than the trials' steps \(got 3000 ≥ 3000\)/],
    ['parameters not a mapping', (s) => (s.parameters = ['lr']), 'parameters', /must be a mapping/],
    ['parameter path unknown', (s) => (params(s)['capacity.continous.max'] = { value: 3 }), 'parameters.capacity.continous.max', /not a train config field \(did you mean capacity.continuous.max\?\)/],
    ['parameter path not a leaf', (s) => (params(s).capacity = { value: 3 }), 'parameters.capacity', /not a train config field/],
    ['parameter seed', (s) => (params(s).seed = { values: [1, 2] }), 'parameters.seed', /cannot be swept: trial seeds/],
    ['parameter dataset', (s) => (params(s).dataset = { values: ['shapes'] }), 'parameters.dataset', /cannot be swept/],
    ['parameter evalEvery', (s) => (params(s).evalEvery = { values: [10, 20] }), 'parameters.evalEvery', /cannot be swept/],
    ['parameter without a form', (s) => (params(s).lr = {}), 'parameters.lr', /needs one of value, values or distribution/],
    ['parameter as a bare value', (s) => (params(s).lr = 0.001), 'parameters.lr', /must be a mapping \(got 0.001\)/],
    ['value with values', (s) => (params(s).lr = { value: 1, values: [1] }), 'parameters.lr', /value cannot be combined with values/],
    ['min/max without distribution', (s) => (params(s).lr = { min: 1e-4, max: 1e-3 }), 'parameters.lr', /need a distribution/],
    ['unknown distribution', (s) => (params(s).lr = { distribution: 'normal', min: 0, max: 1 }), 'parameters.lr.distribution', /must be one of uniform, log_uniform_values, int_uniform, categorical/],
    ['min above max', (s) => (params(s).temperature = { distribution: 'uniform', min: 2, max: 1 }), 'parameters.temperature.min', /^must be less than max \(got 2 > 1\)$/],
    ['min equal to max', (s) => (params(s).temperature = { distribution: 'uniform', min: 1, max: 1 }), 'parameters.temperature.min', /got 1 = 1/],
    ['range without max', (s) => (params(s).temperature = { distribution: 'uniform', min: 1 }), 'parameters.temperature.max', /is required/],
    ['range with values', (s) => (params(s).temperature = { distribution: 'uniform', min: 0.5, max: 1, values: [1] }), 'parameters.temperature.values', /unknown key/],
    ['non-numeric bound', (s) => (params(s).temperature = { distribution: 'uniform', min: 'a', max: 1 }), 'parameters.temperature.min', /finite number \(got "a"\)/],
    ['log_uniform_values from 0', (s) => (params(s).lr = { distribution: 'log_uniform_values', min: 0, max: 1 }), 'parameters.lr.min', /positive for log_uniform_values/],
    ['int_uniform with fractions', (s) => (params(s).batchSize = { distribution: 'int_uniform', min: 16.5, max: 64 }), 'parameters.batchSize.min', /integer/],
    ['categorical without values', (s) => (params(s).formulation = { distribution: 'categorical' }), 'parameters.formulation.values', /is required/],
    ['empty values', (s) => (params(s).lr = { values: [] }), 'parameters.lr.values', /non-empty list/],
    ['duplicate values', (s) => (params(s).lr = { values: [1e-3, 1e-4, 1e-3] }), 'parameters.lr.values[2]', /duplicates parameters.lr.values\[0\]/],
    ['null value', (s) => (params(s).lr = { values: [1e-3, null] }), 'parameters.lr.values[1]', /got null/],
    ['wrong type caught by the config', (s) => (params(s).lr = { values: [1e-3, 'fast'] }), 'parameters.lr.values[1]', /must be a positive number, got "fast"/],
    ['out of range caught by the config', (s) => (params(s)['latent.continuous'] = { value: 0 }), 'parameters.latent.continuous.value', /integer from 1/],
    ['huge batch range', (s) => (params(s).batchSize = { distribution: 'int_uniform', min: 16, max: 1e8 }), 'parameters.batchSize.max', /^must be an integer from 1 to 8192, got 100000000$/],
    ['huge latent among the values', (s) => (params(s)['latent.continuous'] = { values: [10, 1e9] }), 'parameters.latent.continuous.values[1]', /from 1 to 1024/],
    ['huge category among the values', (s) => (params(s)['latent.discrete'] = { values: [[10], [10, 1e6]] }), 'parameters.latent.discrete.values[1]', /at most 64 integers from 2 to 1024/],
    ['endless steps range', (s) => (params(s).steps = { distribution: 'log_uniform_values', min: 1000, max: 1e12 }), 'parameters.steps.max', /from 1 to 1000000000/],
    ['range endpoint caught by the config', (s) => (params(s).temperature = { distribution: 'uniform', min: -1, max: 1 }), 'parameters.temperature.min', /positive number, got -1/],
    ['fractional draws for an integer field', (s) => (params(s).batchSize = { distribution: 'uniform', min: 32, max: 128 }), 'parameters.batchSize', /^trial 0 \(.*batchSize=[\d.]+.*\): batchSize: must be an integer/],
    ['grid over a continuous range', (s) => ((s.method = 'grid'), delete s.run_cap), 'parameters.temperature.distribution', /grid search cannot enumerate a continuous uniform distribution/],
    ['grid too large without run_cap', (s) => ((s.method = 'grid'), delete s.run_cap, (s.parameters = { steps: { distribution: 'int_uniform', min: 1000, max: 20000 } })), 'parameters', /expands to 19001 trials, more than the limit of 10000; set run_cap or use fewer values/],
  ];
  for (const [title, change, path, reason] of cases) {
    it(`rejects ${title}`, () => rejects(withChange(change), path, reason));
  }

  it('accepts bayes with its default startup trials, and keeps them through normalisation', () => {
    const spec = validateSweepSpec(withChange((s) => (s.method = 'bayes')));
    assert.deepEqual(spec.bayes, { startup_trials: 10 });
    assert.deepEqual(validateSweepSpec(structuredClone(spec)), spec);
    const set = validateSweepSpec(withChange((s) => ((s.method = 'bayes'), (s.bayes = { startup_trials: 4 }))));
    assert.deepEqual(set.bayes, { startup_trials: 4 });
    assert.equal(validateSweepSpec(validSpec()).bayes, undefined);
  });

  it('accepts hyperband and fills eta', () => {
    const spec = validateSweepSpec(withChange((s) => (s.early_terminate = { type: 'hyperband', min_steps: 100, max_steps: 2700 })));
    assert.deepEqual(spec.early_terminate, { type: 'hyperband', min_steps: 100, max_steps: 2700, eta: 3 });
  });

  it('fills max_failures 0 and leaves max_concurrent unbounded', () => {
    const spec = validateSweepSpec(validSpec());
    assert.equal(spec.max_failures, 0);
    assert.equal('max_concurrent' in spec, false);
    const set = validateSweepSpec(withChange((s) => ((s.max_failures = 2), (s.max_concurrent = 3))));
    assert.deepEqual([set.max_failures, set.max_concurrent], [2, 3]);
  });

  it('accepts pbt, normalising values, deriving integer fields and filling the quantile', () => {
    const spec = validateSweepSpec(withChange((s) => ((s.scheduler = pbt()), delete s.early_terminate)));
    assert.deepEqual(spec.scheduler, {
      type: 'pbt',
      interval: 500,
      quantile: 0.25,
      mutations: {
        lr: { factors: [0.8, 1.2], integer: false },
        'temperatureAnneal.interval': { factors: [0.5, 2], integer: true },
        'capacity.continuous.max': { distribution: 'categorical', values: [5, 10, 20] },
        temperature: { distribution: 'log_uniform_values', min: 0.5, max: 1 },
        'capacity.continuous.iters': { distribution: 'int_uniform', min: 8, max: 12 },
      },
    });
    assert.deepEqual(validateSweepSpec(structuredClone(spec)), spec);
    const grid = validateSweepSpec({ name: 'g', method: 'grid', run_cap: 4, train: { steps: 100, checkpointEvery: 10 }, scheduler: { type: 'pbt', interval: 10, quantile: 0.5, mutations: { lr: { factors: [2] } } } });
    assert.equal(grid.scheduler?.quantile, 0.5);
  });

  it('names the parameters of an invalid combination', () => {
    rejects(
      {
        name: 'combo',
        method: 'grid',
        parameters: { 'capacity.continuous.min': { values: [0, 8] }, 'capacity.continuous.max': { values: [5, 10] } },
      },
      'parameters.capacity.continuous.max',
      /^trial 2 \(capacity\.continuous\.min=8, capacity\.continuous\.max=5\): capacity\.continuous\.max: must be >= min \(8\), got 5$/,
    );
  });

  it('accepts values that are only valid together with the other parameters', () => {
    const spec = validateSweepSpec({
      name: 'together',
      method: 'grid',
      parameters: { 'capacity.continuous.min': { values: [6, 7] }, 'capacity.continuous.max': { values: [10] } },
    });
    assert.deepEqual(Object.keys(spec.parameters), ['capacity.continuous.min', 'capacity.continuous.max']);
  });

  it('accepts a factor metric on a dataset with factors', () => {
    const spec = validateSweepSpec({
      name: 'factors',
      method: 'grid',
      metric: { name: 'factorScore', goal: 'maximize' },
      train: { preset: 'dsprites', steps: 100 },
    });
    assert.equal(spec.metric.name, 'factorScore');
  });
});
