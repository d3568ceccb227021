/** The keys an evaluation reports that a sweep can rank on. */
export const METRIC_NAMES = [
  'loss',
  'recon',
  'klCont',
  'klDisc',
  'discreteAccuracy',
  'factorScore',
  'mig',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export const METRIC_GOALS = ['minimize', 'maximize'] as const;
export type MetricGoal = (typeof METRIC_GOALS)[number];

/** Metrics computed against ground-truth generative factors, which only some datasets have. */
export const FACTOR_METRICS: readonly MetricName[] = ['factorScore', 'mig'];

export function isMetricName(value: unknown): value is MetricName {
  return typeof value === 'string' && (METRIC_NAMES as readonly string[]).includes(value);
}

/**
 * Orders two metric values so that the better one comes first (negative when `a` is better).
 * A value that is not a finite number (a diverged run) is worse than any finite one.
 */
export function compareMetric(a: number, b: number, goal: MetricGoal): number {
  const aOk = Number.isFinite(a);
  const bOk = Number.isFinite(b);
  if (!aOk || !bOk) return Number(!aOk) - Number(!bOk);
  return goal === 'minimize' ? a - b : b - a;
}
