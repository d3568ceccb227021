import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS, type ModelConfig } from './config.js';
import { continuousCapacity, discreteCapacity, maxDiscreteCapacity, temperatureAt } from './schedule.js';

const close = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `got ${actual}, expected ${expected}`);

test('continuous capacity grows linearly from min to max, then stays', () => {
  const s = { min: 1, max: 5, iters: 100, gamma: 30 };
  close(continuousCapacity(s, 0), 1);
  close(continuousCapacity(s, 50), 3);
  close(continuousCapacity(s, 100), 5);
  close(continuousCapacity(s, 200), 5);
});

test('discrete capacity is also capped at sum log K_i', () => {
  const s = { min: 0.5, max: 5, iters: 100, gamma: 30 };
  close(maxDiscreteCapacity([10, 10]), 2 * Math.log(10));
  close(discreteCapacity(s, 0, [10, 10]), 0.5);
  close(discreteCapacity(s, 50, [10, 10]), 2.75);
  close(discreteCapacity(s, 100, [10, 10]), 2 * Math.log(10));
  close(discreteCapacity(s, 200, [10, 10]), 2 * Math.log(10));
  // With a large sum log K_i, max is the cap.
  close(discreteCapacity(s, 200, [1000, 1000]), 5);
  // The mnist preset: 5 nats requested, log 10 = 2.30 possible.
  const mnist = PRESETS.mnist;
  close(discreteCapacity(mnist.capacity.discrete, 25000, mnist.latent.discrete), Math.log(10));
});

test('dupont keeps tau fixed', () => {
  close(temperatureAt(PRESETS.mnist, 0), 0.67);
  close(temperatureAt(PRESETS.mnist, 1e6), 0.67);
});

test('pytorch-vae anneals tau every interval steps, down to its minimum', () => {
  const config: ModelConfig = {
    ...PRESETS.mnist,
    formulation: 'pytorch-vae',
    temperature: 1,
    temperatureAnneal: { rate: 0.01, min: 0.5, interval: 10 },
  };
  close(temperatureAt(config, 0), 1);
  close(temperatureAt(config, 9), 1);
  close(temperatureAt(config, 10), Math.exp(-0.1));
  close(temperatureAt(config, 19), Math.exp(-0.1));
  close(temperatureAt(config, 25), Math.exp(-0.2));
  close(temperatureAt(config, 60), 0.5 > Math.exp(-0.6) ? 0.5 : Math.exp(-0.6));
  close(temperatureAt(config, 1000), 0.5);
});
