/**
 * The noise of one training step: Gaussian eps for the continuous latent and uniforms
 * for the Gumbel-softmax, for a run of samples of the global batch. Sample j of step t
 * always gets the same noise for a given seed, however the batch is split.
 */
import type { ModelConfig } from './config.js';
import { normal, uniformFloat32 } from '@jvae/rng';
import { Stream } from './streams.js';

export interface Noise {
  /** count × D standard normals, row-major. */
  eps: Float32Array;
  /** count × ΣK_i uniforms in (0, 1), row-major; each row holds the categoricals in order. */
  uniforms: Float32Array;
}

/** Noise for samples globalOffset .. globalOffset + count - 1 of the global batch at `step`. */
export function sampleNoise(
  config: ModelConfig,
  seed: number,
  step: number,
  globalOffset: number,
  count: number,
): Noise {
  const d = config.latent.continuous;
  const k = config.latent.discrete.reduce((sum, n) => sum + n, 0);
  const eps = new Float32Array(count * d);
  const uniforms = new Float32Array(count * k);
  for (let row = 0; row < count; row++) {
    const j = globalOffset + row;
    for (let i = 0; i < d; i++) eps[row * d + i] = normal(seed, Stream.gaussian, step, j, i);
    for (let i = 0; i < k; i++) uniforms[row * k + i] = uniformFloat32(seed, Stream.gumbel, step, j, i);
  }
  return { eps, uniforms };
}
