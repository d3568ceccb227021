// Test support: a coordinator on loopback ports with its own Redis prefix and artifact directory.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { coordinatorClient, type CoordinatorConnection } from '@jvae/protocol';
import { deletePrefix, type SweepStore } from '@jvae/store';
import { startCoordinator, type CoordinatorOptions, type RunningCoordinator } from './coordinator.js';
import { REDIS_URL } from '@jvae/store/testing';

export { REDIS_URL } from '@jvae/store/testing';
export const TOKEN = 'test-token';

/** Settings of one test file's coordinators: own prefix, own artifact directory, a token. */
export function testSettings(): CoordinatorOptions & { prefix: string; artifacts: string } {
  return {
    env: {},
    redisUrl: REDIS_URL,
    prefix: `jvae-test-${randomBytes(4).toString('hex')}`,
    coordinator: '127.0.0.1:0',
    http: '127.0.0.1:0',
    token: TOKEN,
    artifacts: mkdtempSync(join(tmpdir(), 'jvae-artifacts-')),
    log: () => undefined,
  };
}

export interface TestCoordinator extends RunningCoordinator {
  client: CoordinatorConnection;
}

export async function startTestCoordinator(settings: CoordinatorOptions): Promise<TestCoordinator> {
  const running = await startCoordinator(settings);
  const client = coordinatorClient(running.grpcAddress, { token: TOKEN });
  return {
    ...running,
    client,
    async close() {
      client.close();
      await running.close();
    },
  };
}

/** Deletes the prefix's keys and the artifact directory. */
export async function cleanUp(settings: { prefix: string; artifacts: string }): Promise<void> {
  const redis = new Redis(REDIS_URL);
  await deletePrefix(redis, settings.prefix);
  redis.disconnect();
  rmSync(settings.artifacts, { recursive: true, force: true });
}

/** A grid sweep of `count` trials of 90 steps, ASHA rungs at 10 and 30 (eta 3). */
export function specText(count: number, name = 'coordinator-test'): string {
  return [
    `name: ${name}`,
    'method: grid',
    'train: { preset: mnist, steps: 90 }',
    'metric: { name: loss, goal: minimize }',
    'early_terminate: { type: asha, min_steps: 10, eta: 3 }',
    'parameters:',
    `  lr: { values: [${Array.from({ length: count }, (_, i) => 0.001 * (i + 1)).join(', ')}] }`,
  ].join('\n');
}

export { checkpointFiles, sha256, uploadChunks } from '@jvae/artifacts/testing';

/** The worker tests upload as; startTrial puts a trial in its hands. */
export const TEST_WORKER = 'w-test';

/** Moves a queued trial to running on `workerId`, as a worker taking its job does. */
export async function startTrial(store: SweepStore, trialId: string, workerId = TEST_WORKER): Promise<void> {
  const started = await store.transitionTrial(trialId, ['queued'], 'running', { workers: [workerId] });
  if (!started.applied) throw new Error(`trial ${trialId} was ${started.previous}, not queued`);
}

/** Polls `check` until it returns a value other than undefined (or times out). */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
