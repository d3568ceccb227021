// Trials against a real coordinator process (real Redis, real gRPC) whose artifact store fails:
// every upload meets a storage error until the test repairs the store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { breakArtifactStore, startTestBed, sweepInput, testRunner, tinySpec, waitFor, type TestBed } from './test-support.js';

const STEPS = 6;
let bed: TestBed;
let logs: string[] = [];

before(async () => {
  bed = await startTestBed();
});

after(() => bed.close());

async function trial(): Promise<string> {
  const sweep = await bed.store.createSweep(sweepInput(tinySpec(bed.datasetDir, { steps: STEPS, evalEvery: 3, checkpointEvery: 2 }, {})));
  return (await bed.store.trialIds(sweep.id))[0]!;
}

function runner(uploadDeadlineMs?: number) {
  logs = [];
  return testRunner(bed, { workerId: 'w-full', reportEveryMs: 0, log: (line) => logs.push(line), ...(uploadDeadlineMs ? { uploadDeadlineMs } : {}) });
}

test('while the artifact store fails the trial trains on; once it is repaired its last checkpoint is stored and it completes', async () => {
  const id = await trial();
  const repair = await breakArtifactStore(bed);
  const run = runner().run(id, new AbortController().signal);

  // Trained to the end with no checkpoint stored: the trial waits, running, for its upload.
  await waitFor('training to reach the last step', async () => ((await bed.store.requireTrial(id)).step === STEPS ? true : undefined));
  await waitFor('an upload to be retried', async () => (logs.some((l) => /not stored yet \(14 UNAVAILABLE: checkpoint storage: .*EEXIST/.test(l)) ? true : undefined));
  const waiting = await bed.store.requireTrial(id);
  assert.equal(waiting.state, 'running');
  assert.equal(waiting.checkpointId, undefined);

  await repair();
  const outcome = await run;
  assert.equal(outcome.state, 'completed', logs.join('\n'));
  const record = await bed.store.requireTrial(id);
  assert.equal(record.state, 'completed');
  assert.equal(record.checkpointStep, STEPS);
  assert.equal(record.error, undefined);
  assert.ok(logs.some((l) => l === `trial ${id}: checkpoint ${record.checkpointId} at step ${STEPS} uploaded`), logs.join('\n'));
  // Nothing half-written: the failed uploads left no files in the store.
  assert.deepEqual(await readdir(join(bed.artifactsDir, '.uploads')), []);
  assert.deepEqual(await readdir(join(bed.artifactsDir, id)), (await bed.store.listCheckpoints(id)).map((c) => c.id).sort());
  assert.deepEqual(await readdir(bed.workDir), []);
});

test('a trial whose last checkpoint cannot be stored by the deadline completes all the same, saying why', async () => {
  const id = await trial();
  const repair = await breakArtifactStore(bed);
  try {
    const outcome = await runner(1000).run(id, new AbortController().signal);
    assert.equal(outcome.state, 'completed', logs.join('\n'));
  } finally {
    await repair();
  }
  const record = await bed.store.requireTrial(id);
  assert.equal(record.state, 'completed');
  assert.equal(record.step, STEPS);
  assert.equal(record.checkpointId, undefined);
  assert.match(record.error ?? '', new RegExp(`^the checkpoint of step ${STEPS} was not uploaded within 1 s: 14 UNAVAILABLE: checkpoint storage: .*EEXIST`));
  assert.ok(logs.some((l) => l.startsWith(`trial ${id}: completed at step ${STEPS}: the checkpoint of step ${STEPS} was not uploaded`)), logs.join('\n'));
  assert.deepEqual(await readdir(bed.workDir), []);
});
