import { compareMetric, type MetricGoal } from './metrics.js';
import type { TrialState } from './states.js';

export interface RankableTrial {
  id: string;
  state: TrialState;
  /** The trial's value of the sweep metric; absent until it has reported one. */
  metric?: number;
}

/**
 * Completed trials trained their full budget, stopped ones only reached a rung and were
 * already judged worse there, so their values are not comparable: finished trials come first.
 */
const STATE_TIER: Readonly<Record<TrialState, number>> = {
  completed: 0,
  stopped: 1,
  running: 2,
  queued: 3,
  failed: 3,
  cancelled: 3,
};

const byId = new Intl.Collator('en', { numeric: true });

/**
 * Trials best first: those with a finite metric before those without; then completed,
 * stopped, running, the rest; then by metric value towards the goal; ties by id
 * (numeric-aware, so `t2` precedes `t10`). Returns a new array of the same objects.
 */
export function rankTrials<T extends RankableTrial>(trials: readonly T[], goal: MetricGoal): T[] {
  return [...trials].sort(
    (a, b) =>
      Number(!hasMetric(a)) - Number(!hasMetric(b)) ||
      STATE_TIER[a.state] - STATE_TIER[b.state] ||
      (hasMetric(a) && hasMetric(b) ? compareMetric(a.metric, b.metric, goal) : 0) ||
      byId.compare(a.id, b.id),
  );
}

export interface Placed<T> {
  trial: T;
  /** Place among the trials with a finite metric (1 = best); null for the others. */
  rank: number | null;
}

/** `rankTrials`, each trial with its place. */
export function placeTrials<T extends RankableTrial>(trials: readonly T[], goal: MetricGoal): Placed<T>[] {
  let place = 0;
  return rankTrials(trials, goal).map((trial) => ({ trial, rank: hasMetric(trial) ? ++place : null }));
}

/** The best completed trial with a metric, else the best stopped one; undefined if neither exists. */
export function bestTrial<T extends RankableTrial>(trials: readonly T[], goal: MetricGoal): T | undefined {
  return rankTrials(trials, goal).find((t) => hasMetric(t) && (t.state === 'completed' || t.state === 'stopped'));
}

function hasMetric<T extends RankableTrial>(trial: T): trial is T & { metric: number } {
  return typeof trial.metric === 'number' && Number.isFinite(trial.metric);
}
