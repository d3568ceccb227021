/** Small configs and synthetic datasets that keep the tests of this package fast. */
import type { Dataset, ImageSet } from '@jvae/data';
import { Rng } from '@jvae/rng';
import { resolveTrainConfig, type TrainConfig } from '@jvae/model/config';

/** The 32×32 mnist preset with a small batch, few steps and no scheduled eval or checkpoint. */
export function smallConfig(overrides: Record<string, unknown> = {}): TrainConfig {
  return resolveTrainConfig(
    { preset: 'mnist' },
    { batchSize: 8, steps: 4, evalEvery: 0, checkpointEvery: 0, threads: 1, ...overrides },
  );
}

function imageSet(rng: Rng, count: number, size: number, labelCount: number): ImageSet {
  const pixels = size * size;
  const images = new Float32Array(count * pixels);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = rng.nextInt(labelCount);
    // A bright square whose position depends on the label, over faint noise.
    const x0 = (labels[i] * 3) % (size - 8);
    for (let p = 0; p < pixels; p++) {
      const x = p % size;
      const y = Math.floor(p / size);
      const inside = x >= x0 && x < x0 + 8 && y >= 8 && y < 16;
      images[i * pixels + p] = inside ? 0.9 + 0.1 * rng.nextFloat() : 0.1 * rng.nextFloat();
    }
  }
  return { images, count, labels };
}

/** A deterministic labelled 32×32 dataset. */
export function syntheticDataset(train = 32, validation = 16, seed = 7): Dataset {
  const rng = new Rng(seed);
  return {
    ref: 'synthetic',
    imageSize: 32,
    train: imageSet(rng, train, 32, 10),
    validation: imageSet(rng, validation, 32, 10),
    labelCount: 10,
  };
}
