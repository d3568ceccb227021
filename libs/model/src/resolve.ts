/**
 * Turns a partial configuration into a full, validated TrainConfig:
 * preset <- input <- overrides (dotted paths), then every field is checked.
 */
import { PRESETS, type TrainConfig } from './config.js';
import { ConfigError } from './config-error.js';

type Plain = Record<string, unknown>;

/** Says why a value is invalid, or returns null; `parent` is the object holding it. */
type Rule = (value: unknown, parent: Plain) => string | null;

const DEFAULT_PRESET = 'mnist';

// Caps far above any real run: beyond them a value is a typo, and building the model or
// its batch buffers would allocate gigabytes (or train for ever).
const MAX_BATCH_SIZE = 8192;
const MAX_LATENT_SIZE = 1024;
const MAX_CATEGORICALS = 64;
const MAX_STEPS = 1_000_000_000;
/** Compute threads of one process. */
export const MAX_THREADS = 256;

function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

const positiveNumber: Rule = (v) =>
  isFiniteNumber(v) && v > 0 ? null : `must be a positive number, got ${show(v)}`;

const nonNegativeNumber: Rule = (v) =>
  isFiniteNumber(v) && v >= 0 ? null : `must be a number >= 0, got ${show(v)}`;

function integerAtLeast(min: number, max = Number.MAX_SAFE_INTEGER): Rule {
  return (v) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max
      ? null
      : `must be an integer from ${min} to ${max}, got ${show(v)}`;
}

function oneOf(values: readonly unknown[]): Rule {
  return (v) =>
    values.includes(v) ? null : `must be one of ${values.map(show).join(', ')}, got ${show(v)}`;
}

const nonEmptyString: Rule = (v) =>
  typeof v === 'string' && v.length > 0 ? null : `must be a non-empty string, got ${show(v)}`;

const categorySizes: Rule = (v) =>
  Array.isArray(v) &&
  v.length > 0 &&
  v.length <= MAX_CATEGORICALS &&
  v.every((k) => Number.isInteger(k) && k >= 2 && k <= MAX_LATENT_SIZE)
    ? null
    : `must be a non-empty array of at most ${MAX_CATEGORICALS} integers from 2 to ${MAX_LATENT_SIZE}, got ${show(v)}`;

/** `max` of a capacity schedule: a number >= 0 and not below its `min`. */
const capacityMax: Rule = (v, parent) => {
  const reason = nonNegativeNumber(v, parent);
  if (reason) return reason;
  return isFiniteNumber(parent.min) && (v as number) < parent.min
    ? `must be >= min (${parent.min}), got ${show(v)}`
    : null;
};

function capacityRules(prefix: string): Record<string, Rule> {
  return {
    [`${prefix}.min`]: nonNegativeNumber,
    [`${prefix}.max`]: capacityMax,
    [`${prefix}.iters`]: positiveNumber,
    [`${prefix}.gamma`]: nonNegativeNumber,
  };
}

/** One rule per leaf of TrainConfig. */
const RULES: Record<string, Rule> = {
  preset: oneOf(Object.keys(PRESETS)),
  dataset: nonEmptyString,
  formulation: oneOf(['dupont', 'pytorch-vae']),
  imageSize: oneOf([32, 64]),
  'latent.continuous': integerAtLeast(1, MAX_LATENT_SIZE),
  'latent.discrete': categorySizes,
  ...capacityRules('capacity.continuous'),
  ...capacityRules('capacity.discrete'),
  temperature: positiveNumber,
  'temperatureAnneal.rate': nonNegativeNumber,
  'temperatureAnneal.min': positiveNumber,
  'temperatureAnneal.interval': integerAtLeast(1, MAX_STEPS),
  lr: positiveNumber,
  batchSize: integerAtLeast(1, MAX_BATCH_SIZE),
  steps: integerAtLeast(1, MAX_STEPS),
  // Noise and initial weights hash the seed as one 32-bit word.
  seed: integerAtLeast(0, 0xffffffff),
  evalEvery: integerAtLeast(0, MAX_STEPS),
  checkpointEvery: integerAtLeast(0, MAX_STEPS),
  threads: integerAtLeast(0, MAX_THREADS),
};

/** The value at a dotted path, or undefined where any part of it is missing. */
export function getByPath(obj: unknown, path: string): unknown {
  let node: unknown = obj;
  for (const key of path.split('.')) {
    if (!isPlainObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

/** Sets the value at a dotted path, creating intermediate objects as needed. */
export function setByPath(obj: Plain, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = obj;
  for (const key of keys.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as Plain;
  }
  node[keys[keys.length - 1]] = value;
}

/** Every leaf's dotted path; arrays are leaves. */
export function configPaths(config: object): string[] {
  const paths: string[] = [];
  const walk = (node: Plain, prefix: string): void => {
    for (const [key, value] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (isPlainObject(value)) walk(value, path);
      else paths.push(path);
    }
  };
  walk(config as Plain, '');
  return paths;
}

/** Deep-merges `source` into `target`; keys absent from `target` are rejected. */
function mergeInto(target: Plain, source: unknown, path: string): void {
  if (!isPlainObject(source)) {
    throw new ConfigError(path || 'config', `must be an object, got ${show(source)}`);
  }
  for (const [key, value] of Object.entries(source)) {
    const keyPath = path ? `${path}.${key}` : key;
    if (!Object.hasOwn(target, key)) throw new ConfigError(keyPath, 'unknown key');
    if (value === undefined) continue;
    if (isPlainObject(target[key])) mergeInto(target[key] as Plain, value, keyPath);
    else target[key] = structuredClone(value);
  }
}

function validate(config: Plain, optional: readonly string[] = []): void {
  for (const [path, rule] of Object.entries(RULES)) {
    if (optional.includes(path) && getByPath(config, path) === undefined) continue;
    const parentPath = path.split('.').slice(0, -1).join('.');
    const parent = (parentPath ? getByPath(config, parentPath) : config) as Plain;
    const reason = rule(getByPath(config, path), parent);
    if (reason) throw new ConfigError(path, reason);
  }
}

/**
 * A full TrainConfig from a partial one. `input.preset` (or `overrides.preset`) picks the
 * base preset (default mnist); `overrides` maps dotted paths such as
 * 'capacity.continuous.max' to values. Throws ConfigError naming the offending path.
 */
export function resolveTrainConfig(input: unknown, overrides: Record<string, unknown> = {}): TrainConfig {
  const partial = input ?? {};
  if (!isPlainObject(partial)) throw new ConfigError('config', `must be an object, got ${show(input)}`);
  const preset = overrides.preset ?? partial.preset ?? DEFAULT_PRESET;
  const presetReason = RULES.preset(preset, partial);
  if (presetReason) throw new ConfigError('preset', presetReason);

  const config = structuredClone(PRESETS[preset as string]) as unknown as Plain;
  mergeInto(config, partial, '');
  for (const [path, value] of Object.entries(overrides)) {
    const nested: Plain = {};
    setByPath(nested, path, value);
    mergeInto(config, nested, '');
  }
  validate(config);
  return config as unknown as TrainConfig;
}

/**
 * Checks that `value` is a full TrainConfig, such as one read back from a file: nothing is
 * filled in from a preset, so every field must be present (`preset` may be absent) and valid,
 * and none unknown. Returns it typed; throws ConfigError naming the offending path.
 */
export function checkTrainConfig(value: unknown): TrainConfig {
  if (!isPlainObject(value)) throw new ConfigError('config', `must be an object, got ${show(value)}`);
  mergeInto(structuredClone(PRESETS[DEFAULT_PRESET]) as unknown as Plain, value, '');
  validate(value, ['preset']);
  return value as unknown as TrainConfig;
}
