// Resuming trials from the checkpoints a real coordinator stores: the step count and the
// whole training state continue, a checkpoint of the last step just finalises the trial,
// and a stored checkpoint that fails verification fails the trial loudly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestBed, testRunner, sweepInput, tinySpec, waitFor, type TestBed } from './test-support.js';
import { TrialInterrupt } from './trial-interrupt.js';
import type { TrialRunner } from './trial-runner.js';

let bed: TestBed;
let runner: TrialRunner;
const logs: string[] = [];

before(async () => {
  bed = await startTestBed();
  runner = testRunner(bed, { workerId: 'resume-test', log: (line) => logs.push(line) });
});

after(() => bed.close());

// Enough steps that the shutdown lands mid-training however fast this machine trains.
const STEPS = 40;
const EVERY = 4;
const SPEC = () => tinySpec(bed.datasetDir, { steps: STEPS, evalEvery: EVERY, checkpointEvery: EVERY }, {});
const ALL_EVALS = Array.from({ length: STEPS / EVERY }, (_, i) => (i + 1) * EVERY);

/** A new sweep of the same spec: the same trial seeds, so the same training. */
async function trial(): Promise<string> {
  const sweep = await bed.store.createSweep(sweepInput(SPEC()));
  return (await bed.store.trialIds(sweep.id))[0]!;
}

function checkpointOf4(id: string): Promise<true> {
  return waitFor('the checkpoint of step 4', async () => (((await bed.store.requireTrial(id)).checkpointStep ?? 0) >= 4 ? true : undefined));
}

let straightId: string;

test('a trial released at shutdown resumes from its checkpoint and ends exactly as an uninterrupted one', async () => {
  straightId = await trial();
  const straight = await runner.run(straightId, new AbortController().signal);
  assert.equal(straight.state, 'completed');

  const id = await trial();
  const shutdown = new AbortController();
  const first = runner.run(id, shutdown.signal);
  await checkpointOf4(id);
  shutdown.abort(new TrialInterrupt('shutdown'));
  const released = await first;
  assert.equal(released.state, 'released');
  const queued = await bed.store.requireTrial(id);
  assert.equal(queued.state, 'queued');
  assert.deepEqual(queued.workers, []);
  assert.ok(queued.step >= 4 && queued.step < STEPS, `released at step ${queued.step}`);
  const resumeFrom = queued.checkpointStep ?? 0;
  assert.ok(resumeFrom >= 4 && resumeFrom <= queued.step, `checkpoint of step ${resumeFrom}`);

  const resumed = await runner.run(id, new AbortController().signal);
  assert.equal(resumed.state, 'completed');
  assert.ok(logs.some((line) => line.startsWith(`trial ${id}: training`) && line.endsWith(`from step ${resumeFrom} to ${STEPS}`)));
  const record = await bed.store.requireTrial(id);
  assert.equal(record.step, STEPS);
  assert.equal(record.attempts, 2);
  // Every eval step, and none up to the checkpoint twice: the resumed run went on from its
  // checkpoint, not from 0. (An eval between the checkpoint and the shutdown is redone.)
  const evalSteps = (await bed.store.getMetrics(id)).map((p) => p.step);
  assert.deepEqual([...new Set(evalSteps)], ALL_EVALS);
  assert.deepEqual(evalSteps.filter((step) => step <= resumeFrom), ALL_EVALS.filter((step) => step <= resumeFrom));
  assert.equal(record.metric, (await bed.store.requireTrial(straightId)).metric);
});

test('a trial whose checkpoint is of its last step is finalised without training', async () => {
  const done = await bed.store.requireTrial(straightId);
  // As left by a worker killed after uploading the final checkpoint, before marking the trial completed.
  assert.ok((await bed.store.transitionTrial(straightId, ['completed'], 'running', { workers: ['killed'] })).applied);
  const outcome = await runner.run(straightId, new AbortController().signal);
  assert.equal(outcome.state, 'completed');
  assert.equal(outcome.state === 'completed' && outcome.metric, done.metric);
  const record = await bed.store.requireTrial(straightId);
  assert.equal(record.state, 'completed');
  assert.equal(record.attempts, done.attempts + 2); // the killed worker's attempt, then this one
  assert.equal(record.checkpointId, done.checkpointId);
  assert.deepEqual((await bed.store.getMetrics(straightId)).map((p) => p.step), ALL_EVALS);
});

test('a stored checkpoint that does not match its manifest fails the trial, naming the file', async () => {
  const id = await trial();
  const shutdown = new AbortController();
  const first = runner.run(id, shutdown.signal);
  await checkpointOf4(id);
  shutdown.abort(new TrialInterrupt('shutdown'));
  assert.equal((await first).state, 'released');

  const checkpoint = (await bed.store.latestCheckpoint(id))!;
  const file = join(checkpoint.location, 'trial.json');
  const bytes = await readFile(file);
  bytes[bytes.length - 2] ^= 1;
  await writeFile(file, bytes);

  assert.equal((await runner.run(id, new AbortController().signal)).state, 'failed');
  const record = await bed.store.requireTrial(id);
  assert.match(record.error ?? '', /^checkpoint file 'trial\.json': SHA-256 [0-9a-f]{64} differs from the manifest's [0-9a-f]{64}$/);
  assert.deepEqual(await readdir(bed.workDir), []);
});
