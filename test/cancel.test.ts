// `jvae sweep cancel` on a sweep with running and queued trials: the running ones stop at
// their next step boundary, the queued ones never start, and both workers take new work.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { QUEUES, bullPrefix } from '@jvae/protocol';
import { WorkerRegistry } from '@jvae/store';
import { Cluster, eventually } from './harness.js';

/** Far more steps than the test waits for: the running trials can only end by being cancelled. */
const LONG = 100_000;

let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start();
});

after(async () => {
  await cluster?.close();
});

test('cancel stops running trials, drops queued ones, and leaves the workers free', { timeout: 180_000 }, () =>
  cluster.explainFailure(async () => {
    const sweepId = await cluster.submit(
      cluster.spec({ name: 'cancel', train: { steps: LONG, evalEvery: 0, checkpointEvery: 0 }, parameters: { lr: { values: [0.001, 0.002, 0.003] } } }),
    );
    const running = await eventually('two trials to be training', async () => {
      const trials = await cluster.store.getTrials(sweepId);
      const training = trials.filter((t) => t.state === 'running' && t.step > 0);
      return training.length === 2 ? training : undefined;
    });

    const cancelled = await cluster.cli(['sweep', 'cancel', sweepId]);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.match(cancelled.stdout, /cancelled/);

    const ended = await cluster.waitForSweepEnd(sweepId, 60_000);
    assert.deepEqual(ended.map((t) => t.state), ['cancelled', 'cancelled', 'cancelled']);
    for (const trial of ended) {
      const wasRunning = running.some((r) => r.id === trial.id);
      if (wasRunning) assert.ok(trial.step > 0 && trial.step < LONG, `${trial.id} stopped mid-training at step ${trial.step}`);
      else assert.equal(trial.attempts, 0, `${trial.id} was never started`);
    }
    const status = await cluster.cliJson<{ state: string; trials: { state: string }[] }>(['sweep', 'status', sweepId]);
    assert.equal(status.state, 'cancelled');
    assert.deepEqual(status.trials.map((t) => t.state), ['cancelled', 'cancelled', 'cancelled']);

    // Nothing of the sweep is left for a worker to take.
    const queue = new Queue(QUEUES.trials, { connection: cluster.redis, prefix: bullPrefix(cluster.prefix) });
    try {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      assert.deepEqual(counts, { waiting: 0, active: 0, delayed: 0, prioritized: 0 });
    } finally {
      await queue.close();
    }

    const registry = new WorkerRegistry(cluster.redis, cluster.prefix);
    await eventually('both workers to be idle', async () => {
      const list = await registry.list();
      return list.length === 2 && list.every((w) => w.state === 'idle') ? list : undefined;
    });
    const workers = await cluster.cliJson<{ id: string; state: string; trial: string | null }[]>(['workers', 'list']);
    assert.deepEqual(
      workers.map((w) => [w.id, w.state, w.trial]).sort(),
      [['w1', 'idle', null], ['w2', 'idle', null]],
    );

    // Free again: a new sweep's trials are taken and completed.
    const nextId = await cluster.submit(
      cluster.spec({ name: 'after-cancel', train: { steps: 4, evalEvery: 0, checkpointEvery: 0 }, parameters: { lr: { values: [0.001, 0.002] } } }),
    );
    const next = await cluster.waitForSweepEnd(nextId, 60_000);
    assert.deepEqual(next.map((t) => t.state), ['completed', 'completed']);
  }),
);
