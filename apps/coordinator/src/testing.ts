// Test support: a coordinator on loopback ports with its own Redis prefix and artifact directory.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { coordinatorClient, type CheckpointChunk, type CoordinatorConnection } from '@jvae/protocol';
import { deletePrefix } from '@jvae/store';
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

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A synthetic checkpoint: file path → bytes. */
export function checkpointFiles(seed: string): Map<string, Buffer> {
  return new Map([
    ['trial.json', Buffer.from(JSON.stringify({ seed }))],
    ['encoder/weights.bin', randomBytes(300_000)],
    ['empty.bin', Buffer.alloc(0)],
  ]);
}

/** The upload stream of `files`: manifest (with `sha` overrides) then 64 KiB chunks. */
export function* uploadChunks(
  trialId: string,
  step: number,
  files: Map<string, Buffer>,
  overrides: { sha?: Record<string, string>; extraPath?: string } = {},
): Generator<CheckpointChunk> {
  yield {
    manifest: {
      trialId,
      step,
      files: [...files].map(([path, data]) => ({ path, size: data.length, sha256: overrides.sha?.[path] ?? sha256(data) })),
    },
  };
  for (const [path, data] of files) {
    for (let offset = 0; offset < data.length; offset += 65_536) {
      yield { file: { path, offset, data: data.subarray(offset, offset + 65_536) } };
    }
  }
  if (overrides.extraPath) yield { file: { path: overrides.extraPath, offset: 0, data: Buffer.from('x') } };
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
