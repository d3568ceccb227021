import { DataError, parseDatasetRef } from '@jvae/data';
import { ConfigError, configPaths, getByPath, resolveTrainConfig, type TrainConfig } from '@jvae/model/config';
import { checkTrials, MAX_TRIALS } from './expand-trials.js';
import { FACTOR_METRICS, METRIC_GOALS, METRIC_NAMES, type MetricName } from './metrics.js';
import { isEnumerable } from './parameter-space.js';
import { hashSeed } from '@jvae/rng';
import {
  DISTRIBUTIONS,
  SEARCH_METHODS,
  type BayesSpec,
  type EarlyTerminateSpec,
  type ParamValue,
  type ParameterSpec,
  type PbtMutation,
  type PbtSpec,
  type ReplicaRange,
  type SearchMethod,
  type SweepMetric,
  type SweepSpec,
} from './spec.js';
import {
  closest,
  describe,
  joinPath,
  readInteger,
  readMapping,
  readNumber,
  readOneOf,
  readString,
  rejectUnknownKeys,
  required,
  type Mapping,
} from './spec-reader.js';
import { SweepSpecError } from './sweep-spec-error.js';
import { resolveOrExplain, trainInput, UNSWEEPABLE_FIELDS } from './train-config.js';

const TOP_LEVEL_KEYS = [
  'name',
  'method',
  'run_cap',
  'metric',
  'dataset',
  'train',
  'replicas',
  'seed',
  'early_terminate',
  'bayes',
  'scheduler',
  'max_failures',
  'max_concurrent',
  'parameters',
];

const DEFAULT_METRIC: SweepMetric = { name: 'loss', goal: 'minimize' };
const DEFAULT_ETA = 3;
const DEFAULT_STARTUP_TRIALS = 10;
const DEFAULT_QUANTILE = 0.25;

/** Train config fields an exploit cannot change, and why: the copied weights and optimizer state must fit. */
const PBT_FIXED_FIELDS: Readonly<Record<string, string>> = {
  formulation: 'the copied weights were trained under the donor’s formulation',
  imageSize: 'the copied weights are shaped for the donor’s image size',
  latent: 'the copied weights are shaped for the donor’s latent sizes',
  batchSize: 'a resumed trial keeps the batch size its data order was drawn with',
  steps: 'every member of the population trains the same number of steps',
};
/** The train config's own cap on steps; it keeps bracket sizes exact in floating point. */
const MAX_HYPERBAND_STEPS = 1_000_000_000;

/**
 * Checks a parsed sweep spec and returns it normalised (defaults filled in, `replicas` as a
 * range, `{values}` as the categorical distribution). Every value a parameter can take is
 * applied to the train config, and every trial is resolved, so a spec that validates expands
 * into valid trials. Throws SweepSpecError naming the first bad key path and why.
 * Validating a normalised spec again returns an equal spec.
 */
export function validateSweepSpec(input: unknown): SweepSpec {
  const root = readMapping(input, '');
  rejectUnknownKeys(root, TOP_LEVEL_KEYS, '');

  const name = readName(required(root.name, 'name'));
  const method = readOneOf(required(root.method, 'method'), SEARCH_METHODS, 'method');
  const runCap = root.run_cap === undefined ? undefined : readInteger(root.run_cap, 'run_cap', 1, MAX_TRIALS);
  if (method !== 'grid' && runCap === undefined) {
    throw new SweepSpecError('run_cap', `is required when method is ${method}`);
  }
  if (root.bayes !== undefined && method !== 'bayes') {
    throw new SweepSpecError('bayes', `only applies to method bayes (method is ${method})`);
  }
  const bayes = method === 'bayes' ? readBayes(root.bayes === undefined ? {} : root.bayes) : undefined;
  const metric = root.metric === undefined ? { ...DEFAULT_METRIC } : readMetric(root.metric);
  const dataset = root.dataset === undefined ? undefined : readDataset(root.dataset);
  const train = root.train === undefined ? {} : readTrain(root.train);
  const replicas = root.replicas === undefined ? { min: 1, max: 1 } : readReplicas(root.replicas);
  const seed = root.seed === undefined ? hashSeed(name) : readInteger(root.seed, 'seed', 0, 0xffffffff);
  const earlyTerminate = root.early_terminate === undefined ? undefined : readEarlyTerminate(root.early_terminate);
  const maxFailures = root.max_failures === undefined ? 0 : readInteger(root.max_failures, 'max_failures', 0);
  const maxConcurrent = root.max_concurrent === undefined ? undefined : readInteger(root.max_concurrent, 'max_concurrent', 1);
  if (root.scheduler !== undefined) checkPbtFits(method, runCap, earlyTerminate, maxConcurrent);

  const configInput = trainInput(train, dataset?.name);
  const base = resolveOrExplain(configInput, {}, (err) => new SweepSpecError(trainErrorPath(err.path), err.reason));
  const datasetPath = dataset ? 'dataset.name' : 'train.preset';
  checkDatasetRef(base.dataset, datasetPath);
  checkMetricFitsDataset(metric.name, base.dataset, datasetPath);
  if (earlyTerminate && earlyTerminate.min_steps >= base.steps) {
    throw new SweepSpecError(
      'early_terminate.min_steps',
      `must be less than the trials' steps (got ${earlyTerminate.min_steps} ≥ ${base.steps}); no rung would be reached`,
    );
  }
  const sweepable = configPaths(base).filter((path) => !(path in UNSWEEPABLE_FIELDS));
  const scheduler = root.scheduler === undefined ? undefined : readPbt(root.scheduler, base, configInput, sweepable);
  const parameters = readParameters(root.parameters === undefined ? {} : root.parameters, method, configInput, sweepable);

  const spec: SweepSpec = {
    name,
    method,
    ...(runCap === undefined ? {} : { run_cap: runCap }),
    metric,
    ...(dataset ? { dataset } : {}),
    train,
    replicas,
    seed,
    ...(earlyTerminate ? { early_terminate: earlyTerminate } : {}),
    ...(bayes ? { bayes } : {}),
    ...(scheduler ? { scheduler } : {}),
    max_failures: maxFailures,
    ...(maxConcurrent === undefined ? {} : { max_concurrent: maxConcurrent }),
    parameters,
  };
  checkTrials(spec);
  return spec;
}

/** Where in the spec a config path given by `train` (or `dataset.name`) is written. */
function trainErrorPath(configPath: string): string {
  if (configPath === 'dataset') return 'dataset.name';
  return configPath === 'config' ? 'train' : `train.${configPath}`;
}

function readName(value: unknown): string {
  const name = readString(value, 'name');
  if (name.length > 128) throw new SweepSpecError('name', `must be at most 128 characters (got ${name.length})`);
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new SweepSpecError('name', 'must not contain control characters');
  return name;
}

function readMetric(value: unknown): SweepMetric {
  const metric = readMapping(value, 'metric');
  rejectUnknownKeys(metric, ['name', 'goal'], 'metric');
  return {
    name: readOneOf(required(metric.name, 'metric.name'), METRIC_NAMES, 'metric.name'),
    goal: readOneOf(required(metric.goal, 'metric.goal'), METRIC_GOALS, 'metric.goal'),
  };
}

/** A reference the workers' loader knows the form of (whether its files exist is for the workers to find). */
function checkDatasetRef(ref: string, path: string): void {
  try {
    parseDatasetRef(ref);
  } catch (err) {
    if (err instanceof DataError) throw new SweepSpecError(path, err.detail);
    throw err;
  }
}

/** Factor metrics need ground-truth factors, which only the shapes and dSprites sets carry. */
function checkMetricFitsDataset(metric: MetricName, datasetRef: string, path: string): void {
  if (!FACTOR_METRICS.includes(metric)) return;
  if (datasetRef === 'shapes' || datasetRef.startsWith('dsprites:')) return;
  throw new SweepSpecError(
    path,
    `metric ${metric} needs a dataset with ground-truth factors (shapes or dsprites:FILE), not ${JSON.stringify(datasetRef)}`,
  );
}

function readDataset(value: unknown): { name: string } {
  const dataset = readMapping(value, 'dataset');
  rejectUnknownKeys(dataset, ['name'], 'dataset');
  return { name: readString(required(dataset.name, 'dataset.name'), 'dataset.name') };
}

function readTrain(value: unknown): Record<string, unknown> {
  const train = readMapping(value, 'train');
  if ('seed' in train) throw new SweepSpecError('train.seed', 'trial seeds are derived from the top-level seed; set seed there');
  if ('dataset' in train) throw new SweepSpecError('train.dataset', 'set the dataset with dataset.name');
  return structuredClone(train);
}

function readReplicas(value: unknown): ReplicaRange {
  if (typeof value === 'number') {
    const n = readInteger(value, 'replicas', 1);
    return { min: n, max: n };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SweepSpecError('replicas', `must be an integer ≥ 1 or a mapping {min, max} (got ${describe(value)})`);
  }
  const range = value as Mapping;
  rejectUnknownKeys(range, ['min', 'max'], 'replicas');
  const min = readInteger(required(range.min, 'replicas.min'), 'replicas.min', 1);
  const max = readInteger(required(range.max, 'replicas.max'), 'replicas.max', 1);
  if (min > max) throw new SweepSpecError('replicas.min', `must not exceed max (got ${min} > ${max})`);
  return { min, max };
}

function readEarlyTerminate(value: unknown): EarlyTerminateSpec {
  const raw = readMapping(value, 'early_terminate');
  rejectUnknownKeys(raw, ['type', 'min_steps', 'max_steps', 'eta'], 'early_terminate');
  const type = readOneOf(required(raw.type, 'early_terminate.type'), ['asha', 'hyperband'] as const, 'early_terminate.type');
  const minSteps = readInteger(required(raw.min_steps, 'early_terminate.min_steps'), 'early_terminate.min_steps', 1);
  const eta = raw.eta === undefined ? DEFAULT_ETA : readInteger(raw.eta, 'early_terminate.eta', 2);
  if (type === 'asha') {
    if (raw.max_steps !== undefined) {
      throw new SweepSpecError('early_terminate.max_steps', 'only applies to type hyperband; asha rungs go up to each trial\'s steps');
    }
    return { type, min_steps: minSteps, eta };
  }
  const maxSteps = readInteger(required(raw.max_steps, 'early_terminate.max_steps'), 'early_terminate.max_steps', 1, MAX_HYPERBAND_STEPS);
  if (maxSteps <= minSteps) {
    throw new SweepSpecError('early_terminate.max_steps', `must be greater than min_steps (got ${maxSteps} ≤ ${minSteps})`);
  }
  return { type, min_steps: minSteps, max_steps: maxSteps, eta };
}

function readBayes(value: unknown): BayesSpec {
  const bayes = readMapping(value, 'bayes');
  rejectUnknownKeys(bayes, ['startup_trials'], 'bayes');
  return {
    startup_trials:
      bayes.startup_trials === undefined ? DEFAULT_STARTUP_TRIALS : readInteger(bayes.startup_trials, 'bayes.startup_trials', 1),
  };
}

/** PBT replaces the weights of a fixed population's poor trials, so it needs that population and nothing else stopping them. */
function checkPbtFits(
  method: SearchMethod,
  runCap: number | undefined,
  earlyTerminate: EarlyTerminateSpec | undefined,
  maxConcurrent: number | undefined,
): void {
  if (method === 'bayes') {
    throw new SweepSpecError('scheduler', 'pbt needs a fixed population; use method grid or random with run_cap');
  }
  if (runCap === undefined) throw new SweepSpecError('run_cap', 'is required when scheduler is pbt (the population size)');
  if (earlyTerminate) {
    throw new SweepSpecError('scheduler', 'cannot be combined with early_terminate; pbt replaces poor trials instead of stopping them');
  }
  if (maxConcurrent !== undefined && maxConcurrent < runCap) {
    throw new SweepSpecError(
      'max_concurrent',
      `must be at least run_cap (${runCap}) when scheduler is pbt: the whole population trains together, taking turns on the workers`,
    );
  }
}

function readPbt(value: unknown, base: TrainConfig, input: Record<string, unknown>, sweepable: readonly string[]): PbtSpec {
  const raw = readMapping(value, 'scheduler');
  rejectUnknownKeys(raw, ['type', 'interval', 'quantile', 'mutations'], 'scheduler');
  const type = readOneOf(required(raw.type, 'scheduler.type'), ['pbt'] as const, 'scheduler.type');
  const interval = readInteger(required(raw.interval, 'scheduler.interval'), 'scheduler.interval', 1);
  if (interval >= base.steps) {
    throw new SweepSpecError(
      'scheduler.interval',
      `must be less than the trials' steps (got ${interval} ≥ ${base.steps}); no trial would be perturbed`,
    );
  }
  if (interval % base.checkpointEvery !== 0) {
    throw new SweepSpecError(
      'scheduler.interval',
      `must be a multiple of train.checkpointEvery (${base.checkpointEvery}; got ${interval}): an exploit copies the checkpoint written at an interval`,
    );
  }
  const quantile = raw.quantile === undefined ? DEFAULT_QUANTILE : readNumber(raw.quantile, 'scheduler.quantile');
  if (quantile <= 0 || quantile > 0.5) throw new SweepSpecError('scheduler.quantile', `must be in (0, 0.5] (got ${quantile})`);
  const rawMutations = readMapping(required(raw.mutations, 'scheduler.mutations'), 'scheduler.mutations');
  if (Object.keys(rawMutations).length === 0) {
    throw new SweepSpecError('scheduler.mutations', 'must name at least one train config field to perturb');
  }
  const mutations: Record<string, PbtMutation> = {};
  for (const [field, rawMutation] of Object.entries(rawMutations)) {
    const path = joinPath('scheduler.mutations', field);
    checkSweepable(field, path, sweepable);
    const fixed = Object.keys(PBT_FIXED_FIELDS).find((name) => field === name || field.startsWith(`${name}.`));
    if (fixed) throw new SweepSpecError(path, `cannot be perturbed: ${PBT_FIXED_FIELDS[fixed]}`);
    mutations[field] = readMutation(rawMutation, path, field, base, input);
  }
  return { type, interval, quantile, mutations };
}

function readMutation(value: unknown, path: string, field: string, base: TrainConfig, input: Record<string, unknown>): PbtMutation {
  const raw = readMapping(value, path);
  if ('factors' in raw) return readFactorsMutation(raw, path, field, base, input);
  if ('value' in raw) throw new SweepSpecError(joinPath(path, 'value'), 'a constant cannot be perturbed; use values, factors or distribution');
  if (!('values' in raw) && !('distribution' in raw)) {
    rejectUnknownKeys(raw, ['values', 'factors', 'distribution'], path);
    throw new SweepSpecError(path, 'needs one of values, factors or distribution');
  }
  const mutation = readParameter(raw, path, 'random') as PbtMutation & ParameterSpec;
  if ('min' in mutation && mutation.distribution !== 'int_uniform' && numericKind(field, base, input) === 'integer') {
    throw new SweepSpecError(
      joinPath(path, 'distribution'),
      `${field} holds integers, which a ${mutation.distribution} distribution would not draw; use int_uniform or values`,
    );
  }
  for (const [valuePath, candidate] of candidateValues(mutation, path)) checkValue(input, field, candidate, valuePath);
  return mutation;
}

function readFactorsMutation(raw: Mapping, path: string, field: string, base: TrainConfig, input: Record<string, unknown>): PbtMutation {
  rejectUnknownKeys(raw, ['factors', 'integer'], path);
  const factorsPath = joinPath(path, 'factors');
  const kind = numericKind(field, base, input);
  if (kind === 'none') {
    throw new SweepSpecError(factorsPath, `need a numeric field; ${field} holds ${describe(getByPath(base, field))}`);
  }
  if (kind === 'discrete') throw new SweepSpecError(factorsPath, `${field} takes only particular numbers; perturb it with values`);
  if (!Array.isArray(raw.factors) || raw.factors.length === 0) {
    throw new SweepSpecError(factorsPath, `must be a non-empty list (got ${describe(raw.factors)})`);
  }
  const factors = raw.factors.map((item, i) => {
    const factor = readNumber(item, joinPath(factorsPath, i));
    if (factor <= 0) throw new SweepSpecError(joinPath(factorsPath, i), `must be positive (got ${factor})`);
    return factor;
  });
  const integer = kind === 'integer';
  if (raw.integer !== undefined && raw.integer !== integer) {
    throw new SweepSpecError(
      joinPath(path, 'integer'),
      `is derived from the field: ${field} ${integer ? 'holds integers' : 'is continuous'}, so it is ${integer} (got ${describe(raw.integer)})`,
    );
  }
  return { factors, integer };
}

/**
 * How a train config field takes numbers, found by applying probes (the config's rules are
 * the only record of it): any number in range, integers, or particular values only.
 */
function numericKind(field: string, base: TrainConfig, input: Record<string, unknown>): 'none' | 'continuous' | 'integer' | 'discrete' {
  const current = getByPath(base, field);
  if (typeof current !== 'number') return 'none';
  const accepts = (probe: number): boolean => {
    try {
      resolveTrainConfig(input, { [field]: probe });
      return true;
    } catch (err) {
      if (err instanceof ConfigError) return err.path !== field;
      throw err;
    }
  };
  if (accepts(Math.floor(current) + 0.5)) return 'continuous';
  return accepts(current + 1) || accepts(current - 1) ? 'integer' : 'discrete';
}

/** A train config leaf that a sweep may vary; `path` is where the spec names it. */
function checkSweepable(field: string, path: string, sweepable: readonly string[]): void {
  if (field in UNSWEEPABLE_FIELDS) throw new SweepSpecError(path, `cannot be swept: ${UNSWEEPABLE_FIELDS[field]}`);
  if (!sweepable.includes(field)) {
    const hint = closest(field, sweepable);
    throw new SweepSpecError(path, `not a train config field${hint ? ` (did you mean ${hint}?)` : ''}`);
  }
}

function readParameters(
  value: unknown,
  method: SearchMethod,
  input: Record<string, unknown>,
  sweepable: readonly string[],
): Record<string, ParameterSpec> {
  const raw = readMapping(value, 'parameters');
  const parameters: Record<string, ParameterSpec> = {};
  for (const [field, rawParam] of Object.entries(raw)) {
    const path = joinPath('parameters', field);
    checkSweepable(field, path, sweepable);
    const param = readParameter(rawParam, path, method);
    for (const [valuePath, candidate] of candidateValues(param, path)) checkValue(input, field, candidate, valuePath);
    parameters[field] = param;
  }
  return parameters;
}

function readParameter(value: unknown, path: string, method: SearchMethod): ParameterSpec {
  const param = readMapping(value, path);
  if ('value' in param) {
    const others = Object.keys(param).filter((key) => key !== 'value');
    if (others.length > 0) throw new SweepSpecError(path, `value cannot be combined with ${others.join(', ')}`);
    return { value: readParamValue(param.value, joinPath(path, 'value')) };
  }
  if (param.distribution === undefined) {
    if ('values' in param) {
      rejectUnknownKeys(param, ['values'], path);
      return { distribution: 'categorical', values: readValues(param.values, joinPath(path, 'values')) };
    }
    if ('min' in param || 'max' in param) {
      throw new SweepSpecError(path, 'min and max need a distribution: uniform, log_uniform_values or int_uniform');
    }
    rejectUnknownKeys(param, ['value', 'values', 'distribution'], path);
    throw new SweepSpecError(path, 'needs one of value, values or distribution');
  }
  const distribution = readOneOf(param.distribution, DISTRIBUTIONS, joinPath(path, 'distribution'));
  if (distribution === 'categorical') {
    rejectUnknownKeys(param, ['distribution', 'values'], path);
    return { distribution, values: readValues(required(param.values, joinPath(path, 'values')), joinPath(path, 'values')) };
  }
  rejectUnknownKeys(param, ['distribution', 'min', 'max'], path);
  const read = distribution === 'int_uniform' ? (v: unknown, p: string) => readInteger(v, p, -Number.MAX_SAFE_INTEGER) : readNumber;
  const min = read(required(param.min, joinPath(path, 'min')), joinPath(path, 'min'));
  const max = read(required(param.max, joinPath(path, 'max')), joinPath(path, 'max'));
  if (min >= max) {
    throw new SweepSpecError(joinPath(path, 'min'), `must be less than max (got ${min} ${min === max ? '=' : '>'} ${max})`);
  }
  if (distribution === 'log_uniform_values' && min <= 0) {
    throw new SweepSpecError(joinPath(path, 'min'), `must be positive for log_uniform_values (got ${min})`);
  }
  const range: ParameterSpec = { distribution, min, max };
  if (method === 'grid' && !isEnumerable(range)) {
    throw new SweepSpecError(
      joinPath(path, 'distribution'),
      `grid search cannot enumerate a continuous ${distribution} distribution; use values, int_uniform or method random`,
    );
  }
  return range;
}

function readValues(value: unknown, path: string): ParamValue[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new SweepSpecError(path, `must be a non-empty list (got ${describe(value)})`);
  }
  const seen = new Map<string, number>();
  return value.map((item, i) => {
    const itemPath = joinPath(path, i);
    const parsed = readParamValue(item, itemPath);
    const key = JSON.stringify(parsed);
    const first = seen.get(key);
    if (first !== undefined) throw new SweepSpecError(itemPath, `duplicates ${joinPath(path, first)} (${key})`);
    seen.set(key, i);
    return parsed;
  });
}

/** A JSON-like value without nulls or non-finite numbers; the config checks its type and range. */
function readParamValue(value: unknown, path: string): ParamValue {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return readNumber(value, path);
  if (Array.isArray(value)) return value.map((item, i) => readParamValue(item, joinPath(path, i)));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, readParamValue(v, joinPath(path, k))]));
  }
  throw new SweepSpecError(path, `must be a number, string, boolean, list or mapping (got ${describe(value)})`);
}

/**
 * Applies one value alone so that a wrong type or range is reported where it is written.
 * Errors on other fields (min above max, say) depend on what the other parameters take in the
 * same trial, so they are left to the expansion, which resolves every trial.
 */
function checkValue(input: Record<string, unknown>, field: string, value: ParamValue, valuePath: string): void {
  try {
    resolveTrainConfig(input, { [field]: value });
  } catch (err) {
    if (err instanceof ConfigError && err.path === field) throw new SweepSpecError(valuePath, err.reason);
    if (!(err instanceof ConfigError)) throw err;
  }
}

/** The values that, applied alone, reveal a parameter outside the config's types and ranges. */
function candidateValues(param: ParameterSpec, path: string): Array<[string, ParamValue]> {
  if (!('distribution' in param)) return [[joinPath(path, 'value'), param.value]];
  if (param.distribution === 'categorical') return param.values.map((v, i) => [joinPath(joinPath(path, 'values'), i), v]);
  return [
    [joinPath(path, 'min'), param.min],
    [joinPath(path, 'max'), param.max],
  ];
}
