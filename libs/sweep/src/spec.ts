import type { MetricGoal, MetricName } from './metrics.js';

/** The shape of a sweep spec after validation, keeping the spec's own key names. */

/** `bayes` suggests each trial from the results so far (see `bayes`), so it needs run_cap like random. */
export const SEARCH_METHODS = ['grid', 'random', 'bayes'] as const;
export type SearchMethod = (typeof SEARCH_METHODS)[number];

export const DISTRIBUTIONS = ['uniform', 'log_uniform_values', 'int_uniform', 'categorical'] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

/** A value a parameter can take: anything a train config field can hold. */
export type ParamValue = string | number | boolean | ParamValue[] | { [key: string]: ParamValue };

/** One value for every trial. */
export interface ConstantParameter {
  value: ParamValue;
}

/** A list of choices: enumerated by grid, drawn uniformly by random. */
export interface CategoricalParameter {
  distribution: 'categorical';
  values: ParamValue[];
}

/** A numeric range, `min < max`; `int_uniform` includes both ends, the others draw from [min, max). */
export interface RangeParameter {
  distribution: 'uniform' | 'log_uniform_values' | 'int_uniform';
  min: number;
  max: number;
}

/** `{values: [...]}` is normalised to the categorical distribution. */
export type ParameterSpec = ConstantParameter | CategoricalParameter | RangeParameter;

export interface SweepMetric {
  name: MetricName;
  goal: MetricGoal;
}

/** Asynchronous successive halving: rungs at `min_steps * eta^k`, top `1/eta` continue. */
export interface AshaSpec {
  type: 'asha';
  min_steps: number;
  eta: number;
}

/**
 * Hyperband as brackets of asynchronous successive halving: each trial is assigned one bracket
 * (see hyperbandBrackets); bracket s makes its first cut at `min_steps * eta^(s_max - s)`.
 * Trials still train up to their own `steps`; rungs at or past them are dropped.
 */
export interface HyperbandSpec {
  type: 'hyperband';
  min_steps: number;
  /** The largest budget the brackets are laid out for; above min_steps. */
  max_steps: number;
  eta: number;
}

export type EarlyTerminateSpec = AshaSpec | HyperbandSpec;

/** The model-based searcher's settings. */
export interface BayesSpec {
  /** Trials drawn at random before the model suggests any; default 10. */
  startup_trials: number;
}

/** PBT mutation: resample from the list, or move to a neighbouring value (the `{values}` form, normalised). */
export type PbtValuesMutation = CategoricalParameter;

/** PBT mutation: multiply the current value by one of the factors. */
export interface PbtFactorsMutation {
  factors: number[];
  /**
   * Derived from the train config field, not chosen: the field holds integers, so products
   * are rounded and kept ≥ 1.
   */
  integer: boolean;
}

/** PBT mutation: draw a fresh value from the range. */
export type PbtRangeMutation = RangeParameter;

export type PbtMutation = PbtValuesMutation | PbtFactorsMutation | PbtRangeMutation;

/**
 * Population based training over the sweep's fixed population: every `interval` steps a trial
 * in the bottom `quantile` copies a top-`quantile` trial's weights and parameters, then
 * perturbs the mutated ones.
 */
export interface PbtSpec {
  type: 'pbt';
  interval: number;
  /** In (0, 0.5]: the share of the population that exploits, and the share copied from. */
  quantile: number;
  /** Dotted train config path → how it is perturbed; in the order written. */
  mutations: Record<string, PbtMutation>;
}

/** Data-parallel workers per trial; `min < max` means elastic membership. */
export interface ReplicaRange {
  min: number;
  max: number;
}

export interface SweepSpec {
  name: string;
  method: SearchMethod;
  /** Maximum number of trials; always set for random search. */
  run_cap?: number;
  /** What trials are ranked by; `loss`, minimised, when the spec names none. */
  metric: SweepMetric;
  /** Dataset reference for every trial; the preset's dataset when absent. */
  dataset?: { name: string };
  /** Train config input: `preset` plus fields that override it (parameters override these). */
  train: Record<string, unknown>;
  replicas: ReplicaRange;
  /** Sweep seed: the spec's `seed`, or a hash of the name. */
  seed: number;
  early_terminate?: EarlyTerminateSpec;
  /** Only with method bayes, where it is always set. */
  bayes?: BayesSpec;
  scheduler?: PbtSpec;
  /** Trials that may fail before the sweep gives up on the rest; default 0. */
  max_failures: number;
  /** Most trials running at once; unbounded (as many as workers) when absent. */
  max_concurrent?: number;
  /** Dotted train config path → how it varies; in the order written (grid order). */
  parameters: Record<string, ParameterSpec>;
}
