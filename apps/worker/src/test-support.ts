// Test support: real Redis under a prefix of the test's own, a real coordinator on loopback,
// a tiny IDX dataset on disk, and small sweeps.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { startCoordinator, type CoordinatorOptions, type RunningCoordinator } from '@jvae/coordinator';
import { coordinatorClient, type CoordinatorConnection } from '@jvae/protocol';
import { SweepStore, deletePrefix, type NewSweep } from '@jvae/store';
import { expandTrials, parseSweepSpec } from '@jvae/sweep';
import { CheckpointTransfer } from './checkpoint-transfer.js';
import { DatasetCache } from './dataset-cache.js';
import { TrialRunner, type TrialRunnerOptions } from './trial-runner.js';
import { REDIS_URL } from '@jvae/store/testing';

export { REDIS_URL } from '@jvae/store/testing';

/** Fast settings for the tests' trials: the wasm backend, one thread. */
export const TEST_BACKEND = 'wasm';

/** Retries of checkpoint transfers come quickly in tests. */
export const TEST_BACKOFF = { initialDelayMs: 50, maxDelayMs: 200 };

/**
 * An IDX dataset (the MNIST layout) of `train` and `validation` 28×28 images: a bright
 * square whose position depends on the label, so training has something to learn.
 */
export async function writeIdxDataset(dir: string, train = 64, validation = 16): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [prefix, count] of [['train', train], ['t10k', validation]] as const) {
    const images = Buffer.alloc(16 + count * 28 * 28);
    images.writeUInt32BE(0x00000803, 0);
    images.writeUInt32BE(count, 4);
    images.writeUInt32BE(28, 8);
    images.writeUInt32BE(28, 12);
    const labels = Buffer.alloc(8 + count);
    labels.writeUInt32BE(0x00000801, 0);
    labels.writeUInt32BE(count, 4);
    for (let i = 0; i < count; i++) {
      const label = i % 10;
      labels[8 + i] = label;
      for (let y = 4; y < 12; y++) for (let x = 2 * label; x < 2 * label + 8; x++) images[16 + i * 784 + y * 28 + x] = 230;
    }
    await writeFile(join(dir, `${prefix}-images-idx3-ubyte`), images);
    await writeFile(join(dir, `${prefix}-labels-idx1-ubyte`), labels);
  }
}

/** Sweep spec text: a grid over `parameters` of tiny trials on the IDX dataset at `datasetDir`. */
export function tinySpec(datasetDir: string, train: Record<string, unknown>, parameters: Record<string, unknown>): string {
  return JSON.stringify({
    name: 'worker-test',
    method: 'grid',
    metric: { name: 'loss', goal: 'minimize' },
    dataset: { name: `idx:${datasetDir}` },
    train: { preset: 'mnist', batchSize: 8, threads: 1, ...train },
    parameters,
  });
}

export function sweepInput(specText: string): NewSweep {
  const spec = parseSweepSpec(specText);
  return { specText, spec, plans: expandTrials(spec) };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Everything a worker test needs, torn down by `close` (only this prefix's keys are deleted). */
export interface TestBed {
  prefix: string;
  redis: Redis;
  store: SweepStore;
  coordinator: RunningCoordinator;
  client: CoordinatorConnection;
  /** Temporary directory holding the dataset (`dir/data`), the artifacts and the workers' temp dirs. */
  dir: string;
  datasetDir: string;
  workDir: string;
  close(): Promise<void>;
}

/** A coordinator of the tests: on loopback, on the prefix's keys, its artifacts in `artifacts`, no token, quiet. */
export function testCoordinatorOptions(prefix: string, artifacts: string): CoordinatorOptions {
  return { redisUrl: REDIS_URL, prefix, coordinator: '127.0.0.1:0', http: '127.0.0.1:0', artifacts, token: undefined, env: {}, log: () => {} };
}

/** `coordinatorOptions` add to (or override) the coordinator's settings, e.g. a failing `artifactFs`. */
export async function startTestBed(coordinatorOptions: CoordinatorOptions = {}): Promise<TestBed> {
  const prefix = `jvae-test-${randomBytes(4).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), 'jvae-worker-test-'));
  const datasetDir = join(dir, 'data');
  const workDir = join(dir, 'work');
  await writeIdxDataset(datasetDir);
  await mkdir(workDir);
  const redis = new Redis(REDIS_URL);
  const coordinator = await startCoordinator({ ...testCoordinatorOptions(prefix, join(dir, 'artifacts')), ...coordinatorOptions });
  const client = coordinatorClient(coordinator.grpcAddress);
  return {
    prefix,
    redis,
    store: new SweepStore(redis, prefix),
    coordinator,
    client,
    dir,
    datasetDir,
    workDir,
    async close() {
      client.close();
      await coordinator.close();
      await deletePrefix(redis, prefix);
      redis.disconnect();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A TrialRunner on the test bed: its store and coordinator, one compute thread, the test backend. */
export function testRunner(bed: TestBed, options: Pick<TrialRunnerOptions, 'workerId' | 'log'> & Partial<TrialRunnerOptions>): TrialRunner {
  return new TrialRunner({
    store: bed.store,
    transfer: new CheckpointTransfer(bed.client, TEST_BACKOFF),
    datasets: new DatasetCache(),
    workDir: bed.workDir,
    threads: 1,
    backend: TEST_BACKEND,
    ...options,
  });
}
