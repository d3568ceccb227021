/**
 * Model and training configuration, the published presets, and how a partial
 * configuration (a preset plus overrides by dotted path) becomes a full one.
 */

export type Formulation = 'dupont' | 'pytorch-vae';

/** A linearly growing capacity: C(t) = min + (max - min) * t / iters, capped. */
export interface CapacitySchedule {
  min: number;
  max: number;
  iters: number;
  gamma: number;
}

/** Temperature annealing of the `pytorch-vae` formulation. */
export interface TemperatureAnneal {
  rate: number;
  min: number;
  interval: number;
}

export interface ModelConfig {
  formulation: Formulation;
  imageSize: 32 | 64;
  latent: { continuous: number; discrete: number[] };
  capacity: { continuous: CapacitySchedule; discrete: CapacitySchedule };
  /** Gumbel-softmax temperature: fixed for `dupont`, the initial value for `pytorch-vae`. */
  temperature: number;
  temperatureAnneal: TemperatureAnneal;
}

export interface TrainConfig extends ModelConfig {
  preset?: string;
  /** Dataset reference: `mnist-sample`, `idx:DIR`, `dsprites:FILE.npz`, `shapes`. */
  dataset: string;
  lr: number;
  batchSize: number;
  steps: number;
  seed: number;
  evalEvery: number;
  checkpointEvery: number;
  /** Compute threads in one process; 0 means one per available core. */
  threads: number;
}

const dupontBase = {
  formulation: 'dupont' as const,
  temperature: 0.67,
  temperatureAnneal: { rate: 3e-5, min: 0.5, interval: 100 },
  lr: 5e-4,
  batchSize: 64,
  seed: 1,
  evalEvery: 1000,
  checkpointEvery: 1000,
  threads: 0,
};

/** The settings of the paper's code, `[min, max, iters, gamma]` per latent kind. */
export const PRESETS: Readonly<Record<string, TrainConfig>> = {
  mnist: {
    ...dupontBase,
    preset: 'mnist',
    dataset: 'mnist-sample',
    imageSize: 32,
    latent: { continuous: 10, discrete: [10] },
    capacity: {
      continuous: { min: 0, max: 5, iters: 25000, gamma: 30 },
      discrete: { min: 0, max: 5, iters: 25000, gamma: 30 },
    },
    steps: 25000,
  },
  fashion: {
    ...dupontBase,
    preset: 'fashion',
    dataset: 'idx:data/fashion-mnist',
    imageSize: 32,
    latent: { continuous: 10, discrete: [10] },
    capacity: {
      continuous: { min: 0, max: 5, iters: 50000, gamma: 100 },
      discrete: { min: 0, max: 10, iters: 50000, gamma: 100 },
    },
    steps: 50000,
  },
  dsprites: {
    ...dupontBase,
    preset: 'dsprites',
    dataset: 'shapes',
    imageSize: 64,
    latent: { continuous: 6, discrete: [3] },
    capacity: {
      continuous: { min: 0, max: 40, iters: 300000, gamma: 150 },
      discrete: { min: 0, max: 1.1, iters: 300000, gamma: 150 },
    },
    steps: 300000,
  },
};
