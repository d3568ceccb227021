import type { EvalMetrics } from '@jvae/train';

/** The scalar values of an evaluation, by metric name, as a trial's metric series stores them. */
export function evalValues(metrics: EvalMetrics): Record<string, number> {
  const values: Record<string, number> = {};
  for (const [name, value] of Object.entries(metrics)) {
    if (name !== 'step' && typeof value === 'number') values[name] = value;
  }
  return values;
}
