import { DataError, parseDatasetRef } from '@jvae/data';
import { ConfigError, configPaths, resolveTrainConfig, type TrainConfig } from '@jvae/model/config';
import { expandTrials, MAX_TRIALS } from './expand-trials.js';
import { FACTOR_METRICS, METRIC_GOALS, METRIC_NAMES, type MetricName } from './metrics.js';
import { isEnumerable } from './parameter-space.js';
import { hashSeed } from '@jvae/rng';
import {
  DISTRIBUTIONS,
  SEARCH_METHODS,
  type AshaSpec,
  type ParamValue,
  type ParameterSpec,
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
  'parameters',
];

const DEFAULT_METRIC: SweepMetric = { name: 'loss', goal: 'minimize' };
const DEFAULT_ETA = 3;

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
  if (method === 'random' && runCap === undefined) {
    throw new SweepSpecError('run_cap', 'is required when method is random');
  }
  const metric = root.metric === undefined ? { ...DEFAULT_METRIC } : readMetric(root.metric);
  const dataset = root.dataset === undefined ? undefined : readDataset(root.dataset);
  const train = root.train === undefined ? {} : readTrain(root.train);
  const replicas = root.replicas === undefined ? { min: 1, max: 1 } : readReplicas(root.replicas);
  const seed = root.seed === undefined ? hashSeed(name) : readInteger(root.seed, 'seed', 0, 0xffffffff);
  const earlyTerminate = root.early_terminate === undefined ? undefined : readAsha(root.early_terminate);

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
  const parameters = readParameters(root.parameters === undefined ? {} : root.parameters, method, base, configInput);

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
    parameters,
  };
  expandTrials(spec);
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

function readAsha(value: unknown): AshaSpec {
  const asha = readMapping(value, 'early_terminate');
  rejectUnknownKeys(asha, ['type', 'min_steps', 'eta'], 'early_terminate');
  return {
    type: readOneOf(required(asha.type, 'early_terminate.type'), ['asha'] as const, 'early_terminate.type'),
    min_steps: readInteger(required(asha.min_steps, 'early_terminate.min_steps'), 'early_terminate.min_steps', 1),
    eta: asha.eta === undefined ? DEFAULT_ETA : readInteger(asha.eta, 'early_terminate.eta', 2),
  };
}

function readParameters(
  value: unknown,
  method: SearchMethod,
  base: TrainConfig,
  input: Record<string, unknown>,
): Record<string, ParameterSpec> {
  const raw = readMapping(value, 'parameters');
  const sweepable = configPaths(base).filter((path) => !(path in UNSWEEPABLE_FIELDS));
  const parameters: Record<string, ParameterSpec> = {};
  for (const [field, rawParam] of Object.entries(raw)) {
    const path = joinPath('parameters', field);
    if (field in UNSWEEPABLE_FIELDS) throw new SweepSpecError(path, `cannot be swept: ${UNSWEEPABLE_FIELDS[field]}`);
    if (!sweepable.includes(field)) {
      const hint = closest(field, sweepable);
      throw new SweepSpecError(path, `not a train config field${hint ? ` (did you mean ${hint}?)` : ''}`);
    }
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
