// TrialWorker in this process against real Redis, BullMQ and a real coordinator: sweeps are
// submitted over gRPC, so the coordinator queues the jobs the worker takes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { QUEUES, bullPrefix, type JvaeConfig } from '@jvae/protocol';
import { WorkerRegistry } from '@jvae/store';
import { TEST_BACKEND, REDIS_URL, startTestBed, tinySpec, waitFor, type TestBed } from './test-support.js';
import { TrialWorker } from './trial-worker.js';
import { readWorkerSettings } from './worker-settings.js';

let bed: TestBed;
let config: JvaeConfig;
let queue: Queue;
let registry: WorkerRegistry;
const logs: string[] = [];

before(async () => {
  bed = await startTestBed();
  config = {
    redisUrl: REDIS_URL,
    coordinator: bed.coordinator.grpcAddress,
    http: bed.coordinator.httpAddress,
    artifacts: bed.dir,
    backend: TEST_BACKEND,
    prefix: bed.prefix,
    maxWatches: 64,
  };
  queue = new Queue(QUEUES.trials, { connection: bed.redis, prefix: bullPrefix(bed.prefix) });
  registry = new WorkerRegistry(bed.redis, bed.prefix);
});

after(async () => {
  await queue.close();
  await bed.close();
});

function startWorker(id: string): Promise<TrialWorker> {
  return TrialWorker.start({
    config,
    settings: {
      ...readWorkerSettings({ JVAE_GRADSYNC_LISTEN: '127.0.0.1:0' }),
      id,
      threads: 1,
      lockMs: 4000,
      stalledMs: 2000,
      workDir: bed.workDir,
    },
    log: (line) => logs.push(`${id}: ${line}`),
  });
}

async function submit(train: Record<string, unknown>, parameters: Record<string, unknown>): Promise<string[]> {
  const { id } = await bed.client.submitSweep({ spec: tinySpec(bed.datasetDir, train, parameters) });
  return bed.store.trialIds(id);
}

async function settled(ids: string[]): Promise<void> {
  await waitFor(
    'the trials to end',
    async () => {
      const trials = await Promise.all(ids.map((id) => bed.store.requireTrial(id)));
      return trials.every((t) => ['completed', 'failed', 'stopped', 'cancelled'].includes(t.state)) ? true : undefined;
    },
    25_000,
  );
}

test('one worker trains the queued trials in turn: a NaN trial fails with its reason, the others complete', async () => {
  const ids = await submit({ steps: 3, evalEvery: 0, checkpointEvery: 3 }, { lr: { values: [1e6, 5e-4, 4e-4] } });
  const worker = await startWorker('w-serial');
  try {
    assert.deepEqual(worker.backend.name, TEST_BACKEND);
    const busy = await waitFor('the worker to be listed as busy', async () =>
      (await registry.list()).find((w) => w.id === 'w-serial' && w.state === 'busy'),
    );
    assert.equal(busy.backend, TEST_BACKEND);
    assert.match(busy.device, /wasm/);
    assert.equal(busy.pid, process.pid);
    assert.ok(ids.includes(busy.trialId!));
    await settled(ids);
  } finally {
    await worker.stop();
  }
  const [diverged, ...others] = await Promise.all(ids.map((id) => bed.store.requireTrial(id)));
  assert.equal(diverged!.state, 'failed');
  assert.match(diverged!.error ?? '', /loss is NaN/);
  for (const trial of others) {
    assert.equal(trial.state, 'completed');
    assert.equal(trial.checkpointStep, 3);
    assert.ok(Number.isFinite(trial.metric));
  }
  assert.deepEqual(await registry.list(), []);
  assert.deepEqual(await queue.getJobCounts('waiting', 'active', 'failed'), { waiting: 0, active: 0, failed: 0 });
});

test('stopping mid-trial puts the job back in the queue unharmed; the next worker resumes it', async () => {
  const [id] = await submit({ steps: 60, evalEvery: 4, checkpointEvery: 4 }, {});
  const first = await startWorker('w-first');
  try {
    await waitFor('a checkpoint of step 4 or later', async () =>
      ((await bed.store.requireTrial(id!)).checkpointStep ?? 0) >= 4 ? true : undefined,
    );
  } finally {
    await first.stop();
  }
  const released = await bed.store.requireTrial(id!);
  assert.equal(released.state, 'queued');
  assert.equal(released.error, undefined);
  assert.equal(await (await queue.getJob(id!))!.getState(), 'waiting');
  assert.deepEqual(await registry.list(), []);

  const second = await startWorker('w-second');
  try {
    await settled([id!]);
  } finally {
    await second.stop();
  }
  const trial = await bed.store.requireTrial(id!);
  assert.equal(trial.state, 'completed');
  assert.equal(trial.step, 60);
  assert.equal(trial.attempts, 2);
  // From the latest checkpoint stored before the stop (4, or later when the first worker got that far).
  assert.ok(released.checkpointStep! >= 4);
  assert.ok(logs.some((line) => line.startsWith(`w-second: trial ${id}: training`) && line.endsWith(`from step ${released.checkpointStep} to 60`)), logs.join('\n'));
});
