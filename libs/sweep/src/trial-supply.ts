import { expandTrials, planTrial, trialCount, type TrialPlan } from './expand-trials.js';
import { suggestTpe, type Observation } from './search/tpe.js';
import type { ParamValue, SweepSpec } from './spec.js';
import type { TrialState } from './states.js';

/** A trial the search has seen: its parameters, state and value of the sweep's metric. */
export interface SeenTrial {
  params: Record<string, ParamValue>;
  state: TrialState;
  metric?: number;
}

/**
 * Trials of the sweep that may be queued or running at once: `max_concurrent`, else for bayes its
 * start-up trials (each later suggestion then learns from every trial finished before it), else all.
 */
export function concurrencyLimit(spec: SweepSpec): number {
  return spec.max_concurrent ?? (spec.method === 'bayes' ? spec.bayes!.startup_trials : Infinity);
}

/** How many trials to create now, given how many exist and how many of them are queued or running. */
export function trialsToCreate(spec: SweepSpec, created: number, live: number): number {
  return Math.max(0, Math.min(trialCount(spec) - created, concurrencyLimit(spec) - live));
}

/**
 * The plans of trials `from` to `from + count − 1`. Grid and random take them from the
 * expansion (`expansion`, computed once by the caller); bayes suggests each with TPE from the
 * trials seen (finished ones with a metric as observations, live ones as pending points) and
 * the suggestions made before it in this call.
 */
export function nextPlans(spec: SweepSpec, from: number, count: number, seen: readonly SeenTrial[], expansion?: readonly TrialPlan[]): TrialPlan[] {
  if (spec.method !== 'bayes') return (expansion ?? expandTrials(spec)).slice(from, from + count);
  const sign = spec.metric.goal === 'maximize' ? -1 : 1;
  const observations: Observation[] = seen
    .filter((t) => (t.state === 'completed' || t.state === 'stopped') && typeof t.metric === 'number')
    .map((t) => ({ params: t.params, value: sign * t.metric! }));
  const pending = seen.filter((t) => t.state === 'queued' || t.state === 'running').map((t) => t.params);
  const plans: TrialPlan[] = [];
  for (let index = from; index < from + count; index++) {
    const params = suggestTpe(spec.parameters, observations, pending, { seed: spec.seed, index, startupTrials: spec.bayes!.startup_trials });
    pending.push(params);
    plans.push(planTrial(spec, index, params));
  }
  return plans;
}
