// TrialRunner against real Redis and a real coordinator (checkpoints go through its gRPC
// artifact store): tiny trials on a tiny IDX dataset, one compute thread.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readCheckpoint } from '@jvae/train';
import { CheckpointTransfer } from './checkpoint-transfer.js';
import { startTestBed, testRunner, sweepInput, tinySpec, waitFor, type TestBed } from './test-support.js';
import type { TrialRunner } from './trial-runner.js';

let bed: TestBed;
let runner: TrialRunner;

before(async () => {
  bed = await startTestBed();
  runner = testRunner(bed, { workerId: 'runner-test', reportEveryMs: 0, log: () => {} });
});

after(() => bed.close());

/** Stores a sweep and returns its trial ids in index order. */
async function trials(train: Record<string, unknown>, parameters: Record<string, unknown> = {}): Promise<string[]> {
  const sweep = await bed.store.createSweep(sweepInput(tinySpec(bed.datasetDir, train, parameters)));
  return bed.store.trialIds(sweep.id);
}

const live = () => new AbortController().signal;

test('a trial completes with its metric, metric series and final checkpoint; temp dirs are removed', async () => {
  const [id] = await trials({ steps: 6, evalEvery: 3, checkpointEvery: 3 });
  const outcome = await runner.run(id!, live());
  assert.equal(outcome.state, 'completed');

  const trial = await bed.store.requireTrial(id!);
  assert.equal(trial.state, 'completed');
  assert.equal(trial.step, 6);
  assert.equal(trial.attempts, 1);
  assert.deepEqual(trial.workers, []);
  assert.ok(Number.isFinite(trial.metric));
  assert.equal(outcome.state === 'completed' && outcome.metric, trial.metric);
  assert.deepEqual((await bed.store.getMetrics(id!)).map((p) => p.step), [3, 6]);
  assert.equal(trial.checkpointStep, 6);

  const dir = join(bed.dir, 'fetched');
  await new CheckpointTransfer(bed.client).download(trial.checkpointId!, dir);
  const checkpoint = await readCheckpoint(dir);
  assert.equal(checkpoint.trial.trialId, id);
  assert.equal(checkpoint.trial.step, 6);
  assert.equal(checkpoint.trial.metrics?.loss, trial.metric);
  assert.deepEqual(await readdir(bed.workDir), []);
});

test('a NaN loss fails the trial with its reason; the next trial still completes', async () => {
  const [diverging, fine] = await trials({ steps: 3, evalEvery: 0, checkpointEvery: 0 }, { lr: { values: [1e6, 5e-4] } });
  const failed = await runner.run(diverging!, live());
  assert.equal(failed.state, 'failed');
  const record = await bed.store.requireTrial(diverging!);
  assert.equal(record.state, 'failed');
  assert.match(record.error ?? '', /^step \d+: loss is NaN/);

  assert.equal((await runner.run(fine!, live())).state, 'completed');
  assert.deepEqual(await readdir(bed.workDir), []);
});

test('a dataset that cannot be loaded fails the trial, naming it', async () => {
  const [id] = await trials({ steps: 2 });
  await bed.redis.hset(`${bed.prefix}:trial:${id}`, 'config', JSON.stringify({
    ...(await bed.store.requireTrial(id!)).config,
    dataset: `idx:${join(bed.dir, 'missing')}`,
  }));
  assert.equal((await runner.run(id!, live())).state, 'failed');
  assert.match((await bed.store.requireTrial(id!)).error ?? '', /missing: is not a directory/);
});

test('a stop request from ASHA stops the running trial; a cancel request cancels it', async () => {
  const [toStop, toCancel] = await trials({ steps: 20, evalEvery: 0, checkpointEvery: 0 }, { lr: { values: [5e-4, 4e-4] } });
  for (const [id, reason, state] of [[toStop!, 'asha', 'stopped'], [toCancel!, 'cancel', 'cancelled']] as const) {
    const running = runner.run(id, live());
    await waitFor('training to start', async () => ((await bed.store.requireTrial(id)).step >= 1 ? true : undefined));
    assert.equal(await bed.store.requestStop(id, reason), reason);
    const outcome = await running;
    assert.equal(outcome.state, state);
    const trial = await bed.store.requireTrial(id);
    assert.equal(trial.state, state);
    assert.ok(trial.step >= 1 && trial.step < 20, `stopped at step ${trial.step}`);
    assert.equal(await bed.store.stopRequest(id), null);
  }
});

test('a trial cancelled while queued is cancelled without training', async () => {
  const [id] = await trials({ steps: 20 });
  await bed.store.requestStop(id!, 'cancel');
  assert.equal((await runner.run(id!, live())).state, 'cancelled');
  const trial = await bed.store.requireTrial(id!);
  assert.equal(trial.attempts, 0);
  assert.equal(trial.step, 0);
});

test('final and unknown trials are skipped', async () => {
  const [id] = await trials({ steps: 20 });
  await bed.store.transitionTrial(id!, ['queued'], 'cancelled');
  assert.deepEqual(await runner.run(id!, live()), { trialId: id, state: 'skipped', reason: 'already cancelled' });
  assert.equal((await runner.run('no-such-trial', live())).state, 'skipped');
});

test('a trial given to another worker meanwhile is left to it', async () => {
  const [id] = await trials({ steps: 20, evalEvery: 0, checkpointEvery: 0 });
  const running = runner.run(id!, live());
  await waitFor('training to start', async () => ((await bed.store.requireTrial(id!)).step >= 1 ? true : undefined));
  await bed.store.transitionTrial(id!, ['running'], 'running', { workers: ['other-worker'] });
  assert.deepEqual(await running, { trialId: id, state: 'skipped', reason: 'no longer running under this worker' });
  const trial = await bed.store.requireTrial(id!);
  assert.equal(trial.state, 'running');
  assert.deepEqual(trial.workers, ['other-worker']);
});

test('with ASHA rungs the trial is evaluated at each rung as well as on schedule', async () => {
  const sweep = await bed.store.createSweep(
    sweepInput(
      JSON.stringify({
        ...JSON.parse(tinySpec(bed.datasetDir, { steps: 6, evalEvery: 5, checkpointEvery: 0 }, {})),
        early_terminate: { type: 'asha', min_steps: 2, eta: 2 },
      }),
    ),
  );
  const [id] = await bed.store.trialIds(sweep.id);
  assert.deepEqual((await bed.store.requireTrial(id!)).rungs, [2, 4]);
  assert.equal((await runner.run(id!, live())).state, 'completed');
  assert.deepEqual((await bed.store.getMetrics(id!)).map((p) => p.step), [2, 4, 5, 6]);
});

test('max_failures: a failing trial is retried from its checkpoint that many times, each failure recorded, then fails', async () => {
  const spec = { ...JSON.parse(tinySpec(bed.datasetDir, { steps: 3, evalEvery: 0, checkpointEvery: 0 }, { lr: { values: [1e6] } })), max_failures: 2 };
  const sweep = await bed.store.createSweep(sweepInput(JSON.stringify(spec)));
  const [id] = await bed.store.trialIds(sweep.id);
  for (const attempt of [1, 2]) {
    const outcome = await runner.run(id!, live());
    assert.equal(outcome.state, 'released', `attempt ${attempt} goes back to the queue`);
    const record = await bed.store.requireTrial(id!);
    assert.equal(record.state, 'queued');
    assert.deepEqual(record.failures.map((f) => f.attempt), Array.from({ length: attempt }, (_, i) => i + 1));
    assert.match(record.failures.at(-1)!.error, /loss is NaN/);
  }
  assert.equal((await runner.run(id!, live())).state, 'failed', 'the third failure is final');
  const record = await bed.store.requireTrial(id!);
  assert.equal(record.attempts, 3);
  assert.match(record.error ?? '', /loss is NaN/);
});
