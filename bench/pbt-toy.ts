// PBT's toy problem (Jaderberg et al. 2017, §4.1): maximise Q(θ) = 1.2 − (θ0² + θ1²) while
// training only on the surrogate Q̂(θ|h) = 1.2 − (h0·θ0² + h1·θ1²), h ∈ [0, 1]². Every member
// starts at θ = (0.9, 0.9) and takes gradient-ascent steps on Q̂; Q itself is what is measured.
import { createRng, hashSeed } from '@jvae/rng';
import { explore, pbtDecision, suggestTpe, type ParameterSpec, type PbtMutation } from '@jvae/sweep';

/** Q's maximum, at θ = 0. */
export const TOY_OPTIMUM = 1.2;
const THETA_START = 0.9;
const LEARNING_RATE = 0.01;

const H_SPACE: Record<string, ParameterSpec> = {
  h0: { distribution: 'uniform', min: 0, max: 1 },
  h1: { distribution: 'uniform', min: 0, max: 1 },
};
const PERTURB: PbtMutation = { factors: [0.8, 1.2], integer: false };
const MUTATIONS: Record<string, PbtMutation> = { h0: PERTURB, h1: PERTURB };

export interface ToySettings {
  members: number;
  /** Gradient steps per member. */
  steps: number;
  /** PBT: steps between exploit-and-explore rounds. */
  interval: number;
  /** PBT: pbtDecision's quantile. */
  quantile: number;
}

interface Member {
  trialId: string;
  theta: [number, number];
  h: { h0: number; h1: number };
}

const trueQ = ([t0, t1]: [number, number]) => TOY_OPTIMUM - (t0 ** 2 + t1 ** 2);

/**
 * The best Q in the population after every member's `steps` steps. Each member's h starts as
 * random search's draw for (seed, member index). With `pbt`, after every `interval` steps each
 * member is judged by pbtDecision on Q (maximised) against the population as it stood after
 * that step; one told to exploit takes its donor's θ and h, then `explore` multiplies each
 * h by 0.8 or 1.2, a product above 1 cut to 1 so that h stays in the space (factors of a value
 * in [0, 1] cannot go below 0). Without it, h stays fixed: plain random search, same steps.
 */
export function toyBestQ(seed: number, settings: ToySettings, pbt: boolean): number {
  const population: Member[] = Array.from({ length: settings.members }, (_, index) => {
    const draw = suggestTpe(H_SPACE, [], [], { seed, index, startupTrials: settings.members });
    return { trialId: `m${index}`, theta: [THETA_START, THETA_START], h: { h0: draw.h0 as number, h1: draw.h1 as number } };
  });
  for (let step = 1; step <= settings.steps; step++) {
    for (const member of population) {
      // ∂Q̂/∂θi = −2·hi·θi
      const [t0, t1] = member.theta;
      member.theta = [t0 - LEARNING_RATE * 2 * member.h.h0 * t0, t1 - LEARNING_RATE * 2 * member.h.h1 * t1];
    }
    if (pbt && step % settings.interval === 0) exploitAndExplore(population, step, seed, settings.quantile);
  }
  return Math.max(...population.map((member) => trueQ(member.theta)));
}

function exploitAndExplore(population: Member[], step: number, seed: number, quantile: number): void {
  const measured = population.map((member) => ({ trialId: member.trialId, value: trueQ(member.theta), step }));
  const before = new Map(population.map((member) => [member.trialId, structuredClone(member)]));
  for (const member of population) {
    const decision = pbtDecision({ trialId: member.trialId, step, population: measured, goal: 'maximize', quantile, seed });
    if (decision.action === 'continue') continue;
    const donor = before.get(decision.from)!;
    const random = createRng(hashSeed(seed, 'pbt-toy-explore', member.trialId, step));
    const { params } = explore(donor.h, MUTATIONS, random);
    member.theta = [...donor.theta];
    member.h = { h0: Math.min(1, params.h0 as number), h1: Math.min(1, params.h1 as number) };
  }
}
