// Test support: a real Redis connection and a key prefix of the test's own.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { DEFAULT_REDIS_URL, envValue } from '@jvae/protocol';
import { expandTrials, parseSweepSpec } from '@jvae/sweep';
import { deletePrefix } from './delete-prefix.js';
import type { NewSweep } from './sweep-store.js';

/** The Redis the test runner (tools/run-tests.ts) reused or started for this run. */
export const REDIS_URL = envValue(process.env, 'REDIS_URL') ?? DEFAULT_REDIS_URL;

export function testPrefix(): string {
  return `jvae-test-${randomBytes(4).toString('hex')}`;
}

/** A connection and a fresh prefix; `cleanup` deletes that prefix's keys only and disconnects. */
export function testRedis(): { redis: Redis; prefix: string; cleanup(): Promise<void> } {
  const redis = new Redis(REDIS_URL);
  const prefix = testPrefix();
  return {
    redis,
    prefix,
    async cleanup() {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

/** A grid sweep of `count` trials of 90 steps with ASHA rungs at 10 and 30. */
export function sweepInput(count = 3, name = 'store-test'): NewSweep {
  const values = Array.from({ length: count }, (_, i) => 0.001 * (i + 1));
  const specText = JSON.stringify({
    name,
    method: 'grid',
    train: { preset: 'mnist', steps: 90 },
    metric: { name: 'loss', goal: 'minimize' },
    early_terminate: { type: 'asha', min_steps: 10, eta: 3 },
    parameters: { lr: { values } },
  });
  const spec = parseSweepSpec(specText);
  return { specText, spec, plans: expandTrials(spec) };
}
