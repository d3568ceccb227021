// The coordinator process killed with SIGKILL in the middle of a sweep and started again on
// the same address: the workers train on (their checkpoint uploads wait for it), and the
// sweep completes with every trial, evaluation and checkpoint accounted for.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, eventually } from './harness.js';

const STEPS = 30;
const EVERY = 10;
const LRS = [0.001, 0.002, 0.003, 0.004];

let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start();
});

after(async () => {
  await cluster?.close();
});

test('the coordinator killed and restarted mid-sweep: the sweep completes with nothing lost', { timeout: 240_000 }, () =>
  cluster.explainFailure(async () => {
    const sweepId = await cluster.submit(
      cluster.spec({ name: 'coordinator-restart', train: { steps: STEPS, evalEvery: EVERY, checkpointEvery: EVERY }, parameters: { lr: { values: LRS } } }),
    );
    await eventually('a trial to upload its first checkpoint', async () => {
      const trials = await cluster.store.getTrials(sweepId);
      return trials.some((t) => (t.checkpointStep ?? 0) >= EVERY) ? true : undefined;
    });
    await cluster.coordinator!.kill('SIGKILL');
    const atKill = await cluster.store.getTrials(sweepId);
    assert.ok(atKill.filter((t) => t.state === 'completed').length < LRS.length, 'killed before the sweep ended');

    // Kept down until a checkpoint upload is waiting for it and a trial has trained on without
    // it, or trained all its steps and waits for its last upload (uploads wait in the
    // background; training does not).
    await Promise.race(cluster.workers.map((worker) => worker.waitFor(/checkpoint of step \d+ not stored yet \(14 UNAVAILABLE/)));
    await eventually('the workers to train on while the coordinator is down', async () => {
      const down = await cluster.store.getTrials(sweepId);
      return down.some((t, i) => t.state === 'running' && (t.step > atKill[i]!.step || t.step === STEPS)) ? true : undefined;
    });
    await cluster.startCoordinator();

    const ended = await cluster.waitForSweepEnd(sweepId, 180_000);
    for (const trial of ended) {
      assert.equal(trial.state, 'completed', `${trial.id}: ${trial.error ?? ''}`);
      assert.equal(trial.step, STEPS);
      assert.ok(Number.isFinite(trial.metric), `${trial.id} has its metric`);
      assert.equal(trial.checkpointStep, STEPS, `${trial.id}: the final checkpoint reached the restarted coordinator`);
      const evaluated = new Set((await cluster.store.getMetrics(trial.id)).map((point) => point.step));
      assert.deepEqual(
        Array.from({ length: STEPS / EVERY }, (_, i) => (i + 1) * EVERY).filter((step) => !evaluated.has(step)),
        [],
        `${trial.id}: no evaluation missing from its series`,
      );
    }
    // The restarted coordinator consumed the trials' events and closed the sweep.
    const sweep = await eventually('the restarted coordinator to mark the sweep finished', async () => {
      const record = await cluster.store.requireSweep(sweepId);
      return record.finishedAt > 0 ? record : undefined;
    });
    assert.equal(sweep.state, 'completed');
    const status = await cluster.cliJson<{ state: string; trials: { state: string; metric: number | null }[] }>(['sweep', 'status', sweepId]);
    assert.equal(status.state, 'completed');
    assert.deepEqual(
      status.trials.map((t) => [t.state, typeof t.metric]),
      LRS.map(() => ['completed', 'number']),
    );
  }),
);
