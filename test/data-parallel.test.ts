// Data-parallel trials end to end: real Redis, a coordinator and workers as processes, the
// gradients of a trial's ranks summed over the GradSync ring on loopback.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerRegistry } from '@jvae/store';
import { Cluster, eventually } from './harness.js';

const STEPS = 40;

let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start({ lockMs: 4000, workerEnv: { JVAE_RING_TIMEOUT_MS: '4000', JVAE_GANG_JOIN_MS: '1000' } });
});

after(async () => {
  await cluster?.close();
});

function spec(name: string, replicas: number | { min: number; max: number }, lrs = [0.002]) {
  return cluster.spec({
    name,
    seed: 11,
    replicas,
    train: { steps: STEPS, batchSize: 16, evalEvery: 20, checkpointEvery: 10 },
    parameters: { lr: { values: lrs } },
  });
}

test('a trial of 2 replicas on 2 workers: both train it, to the loss of one worker on the same global batch', { timeout: 180_000 }, () =>
  cluster.explainFailure(async () => {
    const sweepId = await cluster.submit(spec('dp-2', 2));
    const [trialId] = await cluster.store.trialIds(sweepId);
    const registry = new WorkerRegistry(cluster.redis, cluster.prefix);
    const shown = await eventually('both workers training the trial', async () => {
      const trial = await cluster.store.requireTrial(trialId!);
      const busy = (await registry.list()).filter((w) => w.state === 'busy' && w.trialId === trialId);
      return trial.state === 'running' && trial.workers.length === 2 && busy.length === 2 ? trial.workers : undefined;
    });
    assert.deepEqual([...shown].sort(), ['w1', 'w2']);
    const [parallel] = await cluster.waitForSweepEnd(sweepId);
    assert.equal(parallel!.state, 'completed', parallel!.error);
    assert.equal(parallel!.step, STEPS);

    const aloneId = await cluster.submit(spec('dp-1', 1));
    const [alone] = await cluster.waitForSweepEnd(aloneId);
    assert.equal(alone!.state, 'completed', alone!.error);
    const [a, b] = [parallel!.metrics.loss!, alone!.metrics.loss!];
    assert.ok(Number.isFinite(a) && Math.abs(a - b) / Math.abs(b) < 1e-4, `final loss ${a} on 2 ranks vs ${b} on one worker`);
  }),
);
