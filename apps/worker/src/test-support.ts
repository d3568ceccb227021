// Test support: real Redis under a prefix of the test's own, a real coordinator process on
// loopback, a tiny IDX dataset on disk, and small sweeps.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { writeIdxDataset } from '@jvae/data';
import { CoordinatorProcess } from '@jvae/orchestration';
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
  coordinator: CoordinatorProcess;
  client: CoordinatorConnection;
  /** Temporary directory holding the dataset (`dir/data`), the artifacts and the workers' temp dirs. */
  dir: string;
  datasetDir: string;
  /** The coordinator's artifact store. */
  artifactsDir: string;
  workDir: string;
  close(): Promise<void>;
}

/**
 * A coordinator process of the tests: on the prefix's keys, its artifacts in `artifacts`, no
 * token; on loopback at `address` (default a free port).
 */
export function startTestCoordinator(prefix: string, artifacts: string, address = '127.0.0.1:0'): Promise<CoordinatorProcess> {
  return CoordinatorProcess.start({
    env: { REDIS_URL, JVAE_PREFIX: prefix, JVAE_COORDINATOR: address, JVAE_HTTP: '127.0.0.1:0', JVAE_ARTIFACTS: artifacts, JVAE_TOKEN: undefined },
  });
}

/**
 * Makes the coordinator's artifact store fail every upload with a storage error, as a broken
 * disk would, until the returned function repairs it: a file stands where its uploads are
 * received (the coordinator is a process of its own, so its file operations cannot be swapped).
 */
export async function breakArtifactStore(bed: TestBed): Promise<() => Promise<void>> {
  const uploads = join(bed.artifactsDir, '.uploads');
  await rm(uploads, { recursive: true, force: true });
  await mkdir(bed.artifactsDir, { recursive: true });
  await writeFile(uploads, 'not a directory');
  return () => rm(uploads, { force: true });
}

export async function startTestBed(): Promise<TestBed> {
  const prefix = `jvae-test-${randomBytes(4).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), 'jvae-worker-test-'));
  const datasetDir = join(dir, 'data');
  const artifactsDir = join(dir, 'artifacts');
  const workDir = join(dir, 'work');
  await writeIdxDataset(datasetDir);
  await mkdir(workDir);
  const redis = new Redis(REDIS_URL);
  const coordinator = await startTestCoordinator(prefix, artifactsDir);
  const client = coordinatorClient(coordinator.grpcAddress);
  return {
    prefix,
    redis,
    store: new SweepStore(redis, prefix),
    coordinator,
    client,
    dir,
    datasetDir,
    artifactsDir,
    workDir,
    async close() {
      client.close();
      await coordinator.stop();
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
