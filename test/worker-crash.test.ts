// A worker process killed with SIGKILL in the middle of a trial: its job stalls back to the
// queue and the other worker resumes the trial from the latest checkpoint, not from step 0;
// the next worker started on the same work directory removes what the killed one left there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Cluster, eventually } from './harness.js';

const STEPS = 60;
const EVERY = 10;

let cluster: Cluster;

before(async () => {
  // A short lock, so the killed worker's job is found stalled within seconds.
  cluster = await Cluster.start({ lockMs: 4000 });
});

after(async () => {
  await cluster?.close();
});

test('a worker killed mid-trial: the trial completes on the other worker, continuing from its checkpoint', { timeout: 180_000 }, () =>
  cluster.explainFailure(async () => {
    const sweepId = await cluster.submit(
      cluster.spec({ name: 'worker-crash', train: { steps: STEPS, evalEvery: EVERY, checkpointEvery: EVERY }, parameters: { lr: { values: [0.002] } } }),
    );
    const [trialId] = await cluster.store.trialIds(sweepId);
    const first = await eventually('the trial to upload its first checkpoint', async () => {
      const trial = await cluster.store.requireTrial(trialId!);
      return (trial.checkpointStep ?? 0) >= EVERY ? trial : undefined;
    });
    const victimId = first.workers[0]!;
    const victim = cluster.worker(victimId);
    const victimDir = new RegExp(`^jvae-${victim.child.pid}-${trialId}-`);
    await victim.kill('SIGKILL');
    const killedAt = Date.now();

    // What survived the kill: the latest checkpoint, taken mid-trial.
    const atKill = await cluster.store.requireTrial(trialId!);
    const resumeStep = atKill.checkpointStep!;
    assert.equal(atKill.state, 'running');
    assert.ok(resumeStep >= EVERY && resumeStep < STEPS, `killed mid-trial (checkpoint at step ${resumeStep})`);

    const [end] = await cluster.waitForSweepEnd(sweepId, 150_000);
    assert.equal(end!.state, 'completed');
    assert.equal(end!.step, STEPS);
    assert.equal(end!.checkpointStep, STEPS);
    assert.equal(end!.attempts, 2, 'the killed attempt and the resumed one');

    const survivor = cluster.workers.find((w) => w.running)!;
    assert.match(
      survivor.output,
      new RegExp(`trial ${trialId}: training on .*, from step ${resumeStep} to ${STEPS}`),
      'the second attempt starts at the checkpoint step',
    );
    // A restart from step 0 would report the evaluations before the checkpoint again.
    const series = await cluster.store.getMetrics(trialId!);
    const afterKill = series.filter((point) => point.time > killedAt).map((point) => point.step);
    assert.ok(afterKill.length > 0, 'the resumed attempt reported evaluations');
    assert.ok(
      afterKill.every((step) => step > resumeStep),
      `evaluations after the kill are all past step ${resumeStep}: ${afterKill.join(', ')}`,
    );
    assert.deepEqual(afterKill, afterKill.toSorted((a, b) => a - b), 'and in step order');
    assert.equal(afterKill.at(-1), STEPS);

    const workDir = join(cluster.dir, 'work');
    const leftovers = async () => (await readdir(workDir)).filter((name) => victimDir.test(name));
    assert.equal((await leftovers()).length, 1, 'the killed attempt left its directory');
    const replacement = await cluster.startWorker('replacement');
    assert.match(replacement.output, /removed jvae-\d+-\S+, left by a worker that is gone/);
    assert.deepEqual(await leftovers(), []);
  }),
);
