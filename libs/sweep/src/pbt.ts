import { createRng, hashSeed } from '@jvae/rng';
import { compareMetric, type MetricGoal } from './metrics.js';
import { sampleParameter } from './parameter-space.js';
import type { ParamValue, PbtMutation } from './spec.js';
import type { TrialState } from './states.js';

/**
 * Population based training (Jaderberg et al. 2017) as two pure steps: `pbtDecision` says
 * whether a trial that reached an interval step exploits a better one (copies its weights and
 * parameters), and `explore` perturbs the copied parameters.
 */

export interface PbtMember {
  trialId: string;
  /** The member's latest value of the sweep metric. */
  value: number;
  /** The step that value was reported at. */
  step: number;
}

export interface PbtDecisionInput {
  /** The trial that reached an interval step; its own entry must be in `population`. */
  trialId: string;
  step: number;
  population: readonly PbtMember[];
  goal: MetricGoal;
  /** In (0, 0.5]: the share that exploits and the share copied from. */
  quantile: number;
  /** The sweep seed: draws depend on it, the trial and the step only. */
  seed: number;
}

export type PbtDecision = { action: 'continue' } | { action: 'exploit'; from: string };

const byId = new Intl.Collator('en', { numeric: true });

/**
 * The trial is compared with the members that have reported at its step or later (those behind
 * it have not been measured as far). Among those n, ordered by value toward the goal (a value
 * that is not finite last, ties by id), the bottom `floor(n * quantile)` exploit one of the top
 * as many, drawn from a stream seeded by (seed, trial, step) so the decision replays. Too few
 * members for a quantile of one, or no finite value at the top, and the trial continues.
 */
export function pbtDecision({ trialId, step, population, goal, quantile, seed }: PbtDecisionInput): PbtDecision {
  if (!(quantile > 0 && quantile <= 0.5)) throw new RangeError(`quantile must be in (0, 0.5] (got ${quantile})`);
  const self = population.find((member) => member.trialId === trialId);
  if (!self) throw new RangeError(`trial ${trialId} is not in the population it is compared with`);
  const ranked = population
    .filter((member) => member === self || member.step >= step)
    .sort((a, b) => compareMetric(a.value, b.value, goal) || byId.compare(a.trialId, b.trialId));
  const cut = Math.floor(ranked.length * quantile);
  if (cut === 0 || ranked.indexOf(self) < ranked.length - cut) return { action: 'continue' };
  const donors = ranked.slice(0, cut).filter((member) => Number.isFinite(member.value));
  if (donors.length === 0) return { action: 'continue' };
  const random = createRng(hashSeed(seed, 'pbt', trialId, step));
  return { action: 'exploit', from: donors[Math.floor(random() * donors.length)]!.trialId };
}

export interface Exploration {
  /** The input params with every mutated path replaced. */
  params: Record<string, ParamValue>;
  /** Every mutated path, in the order of the mutations, with its value before and after. */
  changes: Record<string, { from: ParamValue; to: ParamValue }>;
}

/** How often a listed value is drawn afresh rather than moved to a neighbour in the list. */
const RESAMPLE_PROBABILITY = 0.25;

/**
 * Perturbs `params` (the exploited trial's, by dotted train config path; each mutated path must
 * have its current value there, the config's when the path is not swept). Values: resample from
 * the list with probability 1/4, else move to a neighbouring entry (a value not in the list is
 * resampled). Factors: multiply by one factor drawn from the list; an integer field is rounded
 * and kept ≥ 1. A range: draw afresh. Every draw comes from `random`, in mutation order.
 */
export function explore(
  params: Readonly<Record<string, ParamValue>>,
  mutations: Readonly<Record<string, PbtMutation>>,
  random: () => number,
): Exploration {
  const next = structuredClone(params) as Record<string, ParamValue>;
  const changes: Exploration['changes'] = {};
  for (const [path, mutation] of Object.entries(mutations)) {
    const from = params[path];
    if (from === undefined) {
      throw new RangeError(`params has no value for ${path}; pass the trial's current value (its config's when not swept)`);
    }
    const to = perturb(path, from, mutation, random);
    next[path] = to;
    changes[path] = { from: structuredClone(from), to: structuredClone(to) };
  }
  return { params: next, changes };
}

function perturb(path: string, from: ParamValue, mutation: PbtMutation, random: () => number): ParamValue {
  if ('factors' in mutation) {
    if (typeof from !== 'number') throw new RangeError(`${path} is ${JSON.stringify(from)}, which factors cannot multiply`);
    const product = from * mutation.factors[Math.floor(random() * mutation.factors.length)]!;
    return mutation.integer ? Math.max(1, Math.round(product)) : product;
  }
  if (mutation.distribution !== 'categorical') return sampleParameter(mutation, random);
  const { values } = mutation;
  const index = values.findIndex((value) => JSON.stringify(value) === JSON.stringify(from));
  if (index < 0 || random() < RESAMPLE_PROBABILITY) return structuredClone(sampleParameter(mutation, random));
  if (values.length === 1) return structuredClone(values[0]!);
  const step = index === 0 ? 1 : index === values.length - 1 ? -1 : random() < 0.5 ? -1 : 1;
  return structuredClone(values[index + step]!);
}

/** Where a member of the population stands: its state and step (for a queued trial, the step it resumes from). */
export interface PbtStanding {
  trialId: string;
  state: TrialState;
  step: number;
}

/**
 * Whether a trial that reached interval `step` gives its worker up to the population: it does
 * while another member waits in the queue behind that step. With fewer workers than members
 * the population so takes turns, interval by interval, and members are compared at the same
 * steps rather than some finishing before others start.
 */
export function yieldsToPopulation(trialId: string, step: number, standings: readonly PbtStanding[]): boolean {
  return standings.some((member) => member.trialId !== trialId && member.state === 'queued' && member.step < step);
}
