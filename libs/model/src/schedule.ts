/** The capacity and temperature schedules of ARCHITECTURE.md, "The model and its loss", as pure functions of the step t. */
import type { CapacitySchedule, ModelConfig } from './config.js';

/** C_cont(t) = min(max, min + (max - min) * t / iters). */
export function continuousCapacity(s: CapacitySchedule, t: number): number {
  return Math.min(s.max, s.min + ((s.max - s.min) * t) / s.iters);
}

/** The largest KL_disc possible: sum_i log K_i (every categorical latent one-hot). */
export function maxDiscreteCapacity(discrete: readonly number[]): number {
  return discrete.reduce((sum, k) => sum + Math.log(k), 0);
}

/** C_disc(t) = min(min + (max - min) * t / iters, max, sum_i log K_i). */
export function discreteCapacity(s: CapacitySchedule, t: number, discrete: readonly number[]): number {
  return Math.min(s.min + ((s.max - s.min) * t) / s.iters, s.max, maxDiscreteCapacity(discrete));
}

/**
 * Gumbel-softmax temperature at step t. `dupont`: fixed. `pytorch-vae`: annealed every
 * `interval` steps, tau = max(tau0 * exp(-rate * t'), min) with t' = floor(t / interval) * interval.
 */
export function temperatureAt(config: ModelConfig, t: number): number {
  if (config.formulation === 'dupont') return config.temperature;
  const { rate, min, interval } = config.temperatureAnneal;
  const annealedAt = Math.floor(t / interval) * interval;
  return Math.max(config.temperature * Math.exp(-rate * annealedAt), min);
}
