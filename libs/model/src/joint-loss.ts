/**
 * The Joint VAE loss from its terms, written once for any arithmetic: on numbers
 * for the reported loss, on tensors (loss.ts) for the loss that is differentiated.
 */
import type { ModelConfig } from './config.js';
import { continuousCapacity, discreteCapacity, temperatureAt } from './schedule.js';

export interface LossTerms<T> {
  recon: T;
  klCont: T;
  klDisc: T;
}

/** The operations the loss needs, in one arithmetic. */
export interface LossArithmetic<T> {
  /** The terms added in order. */
  sum(terms: T[]): T;
  /** gamma * |capacity - kl|. */
  capacityGap(gamma: number, capacity: number, kl: T): T;
}

/** C_cont(t) and C_disc(t). */
export function capacitiesAt(config: ModelConfig, step: number): { cont: number; disc: number } {
  const { continuous, discrete } = config.capacity;
  return {
    cont: continuousCapacity(continuous, step),
    disc: discreteCapacity(discrete, step, config.latent.discrete),
  };
}

/** loss = recon + gamma_c * |C_cont(t) - KL_cont| + gamma_d * |C_disc(t) - KL_disc|. */
export function assembleJointLoss<T>(terms: LossTerms<T>, config: ModelConfig, step: number, math: LossArithmetic<T>): T {
  const { continuous, discrete } = config.capacity;
  const capacities = capacitiesAt(config, step);
  return math.sum([
    terms.recon,
    math.capacityGap(continuous.gamma, capacities.cont, terms.klCont),
    math.capacityGap(discrete.gamma, capacities.disc, terms.klDisc),
  ]);
}

const NUMBERS: LossArithmetic<number> = {
  sum: (terms) => terms.reduce((a, b) => a + b),
  capacityGap: (gamma, capacity, kl) => gamma * Math.abs(capacity - kl),
};

export interface LossReport {
  loss: number;
  capacities: { cont: number; disc: number };
  tau: number;
}

/** The loss at step t from the terms' batch means (float64), with the schedule values it used. */
export function lossReport(config: ModelConfig, step: number, terms: LossTerms<number>): LossReport {
  return {
    loss: assembleJointLoss(terms, config, step, NUMBERS),
    capacities: capacitiesAt(config, step),
    tau: temperatureAt(config, step),
  };
}
