import type { TrainConfig } from '@jvae/model/config';
import { choiceAt, choiceCount, sampleParameter } from './parameter-space.js';
import { createRng, hashSeed } from '@jvae/rng';
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

/** How many trials the spec expands to (grid: the product of choice counts, capped by run_cap). */
export function trialCount(spec: SweepSpec): number {
  if (spec.method === 'random') return spec.run_cap ?? 0;
  const total = Object.values(spec.parameters).reduce((n, p) => n * choiceCount(p), 1);
  return Math.min(total, spec.run_cap ?? total);
}

/**
 * The trials of a sweep, deterministically. Grid: the cartesian product in the order the
 * parameters are written, the last varying fastest, truncated to run_cap. Random: run_cap
 * draws; each parameter of each trial has its own stream seeded by (sweep seed, index, path),
 * so a trial's values depend neither on run_cap nor on the order of the parameters.
 * Throws SweepSpecError if the spec lacks what its method needs, expands to more than
 * MAX_TRIALS, or a combination of values is not a valid train config.
 */
export function expandTrials(spec: SweepSpec): TrialPlan[] {
  if (spec.method === 'random' && spec.run_cap === undefined) {
    throw new SweepSpecError('run_cap', 'is required when method is random');
  }
  const count = trialCount(spec);
  if (count > MAX_TRIALS) {
    const uncappedGrid = spec.method === 'grid' && spec.run_cap === undefined;
    throw new SweepSpecError(
      uncappedGrid ? 'parameters' : 'run_cap',
      `the sweep expands to ${count} trials, more than the limit of ${MAX_TRIALS}; ${uncappedGrid ? 'set run_cap or use fewer values' : 'lower run_cap'}`,
    );
  }
  const input = trainInput(spec.train, spec.dataset?.name);
  return Array.from({ length: count }, (_, index) => {
    const params = spec.method === 'grid' ? gridParams(spec, index) : randomParams(spec, index);
    const seed = hashSeed(spec.seed, 'trial', index);
    const config = resolveOrExplain(
      input,
      { ...params, seed },
      (err) =>
        new SweepSpecError(
          err.path in params ? `parameters.${err.path}` : 'parameters',
          `trial ${index} (${formatParams(params)}): ${err.message}`,
        ),
    );
    return { index, params, seed, config };
  });
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
  return Object.fromEntries(
    Object.entries(spec.parameters).map(([path, param]) => [
      path,
      structuredClone(sampleParameter(param, createRng(hashSeed(spec.seed, 'param', index, path)))),
    ]),
  );
}

function formatParams(params: Record<string, ParamValue>): string {
  const parts = Object.entries(params).map(([path, value]) => `${path}=${JSON.stringify(value)}`);
  return parts.length > 0 ? parts.join(', ') : 'no parameters';
}
