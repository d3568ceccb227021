import { createRng, hashSeed } from '@jvae/rng';
import { sampleParameter } from '../parameter-space.js';
import type { ParamValue, ParameterSpec } from '../spec.js';

/**
 * Random search's draw for one trial: each parameter from its own stream seeded by
 * (sweep seed, index, path), so a value depends neither on the other parameters nor on
 * their order.
 */
export function randomDraw(space: Record<string, ParameterSpec>, seed: number, index: number): Record<string, ParamValue> {
  return Object.fromEntries(
    Object.entries(space).map(([path, param]) => [
      path,
      structuredClone(sampleParameter(param, createRng(hashSeed(seed, 'param', index, path)))),
    ]),
  );
}
