import type { MetricGoal, MetricName } from './metrics.js';

/** The shape of a sweep spec after validation, keeping the spec's own key names. */

export const SEARCH_METHODS = ['grid', 'random'] as const;
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
  early_terminate?: AshaSpec;
  /** Dotted train config path → how it varies; in the order written (grid order). */
  parameters: Record<string, ParameterSpec>;
}
