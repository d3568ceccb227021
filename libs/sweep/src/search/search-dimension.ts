import type { ParamValue, ParameterSpec, RangeParameter } from '../spec.js';

/**
 * A swept parameter as the Parzen estimators see it: a numeric interval (log space for
 * log_uniform_values, integers widened by half a step so each has a unit cell) or a list of
 * categorical choices compared by their JSON text. Constants are not dimensions.
 */
export type SearchDimension = NumericDimension | CategoricalDimension;

export interface NumericDimension {
  kind: 'numeric';
  path: string;
  /** The interval in model space. */
  low: number;
  high: number;
  /** int_uniform: a value's density is the mass of its cell [k − ½, k + ½]. */
  integer: boolean;
  spec: RangeParameter;
}

export interface CategoricalDimension {
  kind: 'categorical';
  path: string;
  keys: string[];
  values: ParamValue[];
}

/** The dimensions of a space, in the order written; constants left out. */
export function searchDimensions(space: Record<string, ParameterSpec>): SearchDimension[] {
  const dims: SearchDimension[] = [];
  for (const [path, spec] of Object.entries(space)) {
    if (!('distribution' in spec)) continue;
    switch (spec.distribution) {
      case 'categorical':
        dims.push({ kind: 'categorical', path, keys: spec.values.map((v) => JSON.stringify(v)), values: spec.values });
        break;
      case 'uniform':
        dims.push({ kind: 'numeric', path, low: spec.min, high: spec.max, integer: false, spec });
        break;
      case 'log_uniform_values':
        dims.push({ kind: 'numeric', path, low: Math.log(spec.min), high: Math.log(spec.max), integer: false, spec });
        break;
      case 'int_uniform':
        dims.push({ kind: 'numeric', path, low: spec.min - 0.5, high: spec.max + 0.5, integer: true, spec });
        break;
    }
  }
  return dims;
}

/**
 * A trial's value in model space: the number (its log for log_uniform_values), or the index
 * of the categorical choice. `what` names the trial in the error when the value does not fit.
 */
export function encodeValue(dim: SearchDimension, value: ParamValue | undefined, what: string): number {
  const reject = (why: string) =>
    new RangeError(`${what}: parameter '${dim.path}' = ${JSON.stringify(value)} ${why}`);
  if (dim.kind === 'categorical') {
    const index = dim.keys.indexOf(JSON.stringify(value));
    if (index < 0) throw reject(`is not one of its values ${JSON.stringify(dim.values)}`);
    return index;
  }
  const { min, max, distribution } = dim.spec;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw reject('is not a finite number');
  if (value < min || value > max) throw reject(`is outside [${min}, ${max}]`);
  if (dim.integer && !Number.isInteger(value)) throw reject('is not an integer');
  return distribution === 'log_uniform_values' ? Math.log(value) : value;
}

/** The parameter value of a point in model space, inside the declared range. */
export function decodeValue(dim: SearchDimension, x: number): ParamValue {
  if (dim.kind === 'categorical') return structuredClone(dim.values[x]!);
  const { min, max, distribution } = dim.spec;
  const value = dim.integer ? Math.round(x) : distribution === 'log_uniform_values' ? Math.exp(x) : x;
  // exp(log(x)) can overshoot by an ulp; keep values inside the declared range.
  return Math.min(Math.max(value, min), max);
}
