import type { TrainConfig } from '@jvae/model/config';
import { hashSeed } from '@jvae/rng';
import { choiceAt, choiceCount } from './parameter-space.js';
import { randomDraw } from './search/random-draw.js';
import type { ParamValue, SweepSpec } from './spec.js';
import { SweepSpecError } from './sweep-spec-error.js';
import { resolveOrExplain, trainInput } from './train-config.js';

/** The most trials one sweep may expand to. */
export const MAX_TRIALS = 10_000;

export interface TrialPlan {
  /** 0-based position in the sweep. */
  index: number;
  /** The value of every swept parameter, by dotted train config path. */
  params: Record<string, ParamValue>;
  /** The trial's seed, derived from the sweep seed and the index; also `config.seed`. */
  seed: number;
  /** Fully resolved: preset, then `train`, then `dataset.name`, then `params`, then `seed`. */
  config: TrainConfig;
}

/**
 * How many trials the sweep runs: grid, the product of choice counts capped by run_cap;
 * random and bayes, run_cap.
 */
export function trialCount(spec: SweepSpec): number {
  if (spec.method !== 'grid') return spec.run_cap ?? 0;
  const total = Object.values(spec.parameters).reduce((n, p) => n * choiceCount(p), 1);
  return Math.min(total, spec.run_cap ?? total);
}

/**
 * The trials of a grid or random sweep, deterministically. Grid: the cartesian product in the
 * order the parameters are written, the last varying fastest, truncated to run_cap. Random:
 * run_cap draws; each parameter of each trial has its own stream seeded by (sweep seed, index,
 * path), so a trial's values depend neither on run_cap nor on the order of the parameters.
 * Bayes trials depend on the results of earlier ones: plan each suggestion with planTrial.
 * Throws SweepSpecError if the spec lacks what its method needs, expands to more than
 * MAX_TRIALS, or a combination of values is not a valid train config.
 */
export function expandTrials(spec: SweepSpec): TrialPlan[] {
  if (spec.method === 'bayes') {
    throw new SweepSpecError(
      'method',
      'bayes suggests each trial from the results of earlier ones, so its trials cannot be expanded up front; plan each suggestion with planTrial',
    );
  }
  return planAll(spec, spec.method === 'grid' ? gridParams : randomParams);
}

/**
 * Resolves every trial the spec can run, so that a spec that validates runs valid trials: for
 * grid and random the expansion; for bayes, whose suggestions are not known yet, run_cap random
 * draws from its space as a sample of it.
 */
export function checkTrials(spec: SweepSpec): void {
  if (spec.method === 'bayes') planAll(spec, randomParams);
  else expandTrials(spec);
}

/**
 * One trial: `params` (dotted train config path → value) applied over the spec's train config,
 * with the seed derived from the sweep seed and `index`. Throws SweepSpecError naming the
 * parameter when the combination is not a valid train config.
 */
export function planTrial(spec: SweepSpec, index: number, params: Record<string, ParamValue>): TrialPlan {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`trial index must be an integer ≥ 0 (got ${index})`);
  const seed = hashSeed(spec.seed, 'trial', index);
  const config = resolveOrExplain(
    trainInput(spec.train, spec.dataset?.name),
    { ...params, seed },
    (err) =>
      new SweepSpecError(
        err.path in params ? `parameters.${err.path}` : 'parameters',
        `trial ${index} (${formatParams(params)}): ${err.message}`,
      ),
  );
  return { index, params, seed, config };
}

function planAll(spec: SweepSpec, paramsAt: (spec: SweepSpec, index: number) => Record<string, ParamValue>): TrialPlan[] {
  if (spec.method !== 'grid' && spec.run_cap === undefined) {
    throw new SweepSpecError('run_cap', `is required when method is ${spec.method}`);
  }
  const count = trialCount(spec);
  if (count > MAX_TRIALS) {
    const uncappedGrid = spec.method === 'grid' && spec.run_cap === undefined;
    throw new SweepSpecError(
      uncappedGrid ? 'parameters' : 'run_cap',
      `the sweep expands to ${count} trials, more than the limit of ${MAX_TRIALS}; ${uncappedGrid ? 'set run_cap or use fewer values' : 'lower run_cap'}`,
    );
  }
  return Array.from({ length: count }, (_, index) => planTrial(spec, index, paramsAt(spec, index)));
}

function gridParams(spec: SweepSpec, index: number): Record<string, ParamValue> {
  const entries = Object.entries(spec.parameters);
  const params: Record<string, ParamValue> = {};
  let rest = index;
  for (let i = entries.length - 1; i >= 0; i--) {
    const [path, param] = entries[i]!;
    const count = choiceCount(param);
    params[path] = structuredClone(choiceAt(param, rest % count));
    rest = Math.floor(rest / count);
  }
  return Object.fromEntries(entries.map(([path]) => [path, params[path]!]));
}

function randomParams(spec: SweepSpec, index: number): Record<string, ParamValue> {
  return randomDraw(spec.parameters, spec.seed, index);
}

function formatParams(params: Record<string, ParamValue>): string {
  const parts = Object.entries(params).map(([path, value]) => `${path}=${JSON.stringify(value)}`);
  return parts.length > 0 ? parts.join(', ') : 'no parameters';
}
