import type { ParamValue, ParameterSpec } from './spec.js';

/**
 * The values one parameter can take: enumerated for grid search, drawn for random search.
 */

/** Whether grid search can enumerate the parameter (continuous ranges cannot be). */
export function isEnumerable(param: ParameterSpec): boolean {
  return !('distribution' in param) || param.distribution === 'categorical' || param.distribution === 'int_uniform';
}

/** How many values grid search enumerates for the parameter. */
export function choiceCount(param: ParameterSpec): number {
  if (!('distribution' in param)) return 1;
  switch (param.distribution) {
    case 'categorical':
      return param.values.length;
    case 'int_uniform':
      return param.max - param.min + 1;
    default:
      throw new RangeError(`a ${param.distribution} parameter has no finite set of values`);
  }
}

/** The i-th value grid search enumerates, in the order written (int ranges ascending). */
export function choiceAt(param: ParameterSpec, i: number): ParamValue {
  if (!('distribution' in param)) return param.value;
  switch (param.distribution) {
    case 'categorical':
      return param.values[i]!;
    case 'int_uniform':
      return param.min + i;
    default:
      throw new RangeError(`a ${param.distribution} parameter has no finite set of values`);
  }
}

/** One draw for random search; `uniform` in [min, max), `log_uniform_values` log-uniformly in [min, max). */
export function sampleParameter(param: ParameterSpec, random: () => number): ParamValue {
  if (!('distribution' in param)) return param.value;
  const u = random();
  switch (param.distribution) {
    case 'categorical':
      return param.values[Math.floor(u * param.values.length)]!;
    case 'int_uniform':
      return param.min + Math.floor(u * (param.max - param.min + 1));
    case 'uniform':
      return param.min + u * (param.max - param.min);
    case 'log_uniform_values': {
      const logMin = Math.log(param.min);
      const value = Math.exp(logMin + u * (Math.log(param.max) - logMin));
      // exp(log(x)) can overshoot by an ulp; keep draws inside the declared range.
      return Math.min(Math.max(value, param.min), param.max);
    }
  }
}
