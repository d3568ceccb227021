// Data-parallel trials end to end: real Redis, a coordinator and workers as processes, the
// gradients of a trial's ranks summed over the GradSync ring on loopback.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerRegistry } from '@jvae/store';
import { Cluster, eventually } from './harness.js';

const STEPS = 40;

let cluster: Cluster;

before(async () => {
  // Quick failure detection: a silent ring peer in 3 s, a dead worker's heartbeat stale in 1.5 s.
  cluster = await Cluster.start({
    lockMs: 4000,
    workerEnv: { JVAE_RING_TIMEOUT_MS: '3000', JVAE_GANG_JOIN_MS: '1000', JVAE_HEARTBEAT_MS: '500' },
  });
});

after(async () => {
  await cluster?.close();
});

function spec(name: string, replicas: number | { min: number; max: number }, { lrs = [0.002], steps = STEPS } = {}) {
  return cluster.spec({
    name,
    seed: 11,
    replicas,
    train: { steps, batchSize: 16, evalEvery: 20, checkpointEvery: 10 },
    parameters: { lr: { values: lrs } },
  });
}

/** The trial once it runs on two ranks and has stored a checkpoint past step 0. */
function runningOnTwo(trialId: string) {
  return eventually('the trial running on 2 ranks with a checkpoint', async () => {
    const trial = await cluster.store.requireTrial(trialId);
    return trial.state === 'running' && trial.workers.length === 2 && (trial.checkpointStep ?? 0) >= 10 ? trial : undefined;
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

test('two trials of 2 replicas on a pool of 2 workers: neither waits on the other, both complete', { timeout: 180_000 }, () =>
  cluster.explainFailure(async () => {
    const sweepId = await cluster.submit(spec('dp-deadlock', 2, { lrs: [0.002, 0.003], steps: 20 }));
    const trials = await cluster.waitForSweepEnd(sweepId);
    assert.deepEqual(trials.map((t) => [t.state, t.step]), [['completed', 20], ['completed', 20]]);
    const logs = cluster.workers.map((w) => w.output).join('\n');
    for (const trial of trials) assert.match(logs, new RegExp(`trial ${trial.id}: running generation 1 on w\\d, w\\d`));
  }),
);

test('a rank killed mid-trial (replicas 1..2): the leader re-forms alone from the checkpoint and completes', { timeout: 180_000 }, () =>
  cluster.explainFailure(async () => {
    const sweepId = await cluster.submit(spec('dp-kill', { min: 1, max: 2 }, { steps: 60 }));
    const [trialId] = await cluster.store.trialIds(sweepId);
    const before = await runningOnTwo(trialId!);
    const [leaderId, followerId] = before.workers;
    await cluster.worker(followerId!).kill('SIGKILL');
    const [end] = await cluster.waitForSweepEnd(sweepId);
    assert.equal(end!.state, 'completed', end!.error);
    assert.equal(end!.step, 60);
    const leader = cluster.worker(leaderId!).output;
    assert.match(leader, new RegExp(`trial ${trialId}: generation 1 failed: rank 0: .+`), 'the leader says which rank failed and why');
    const resumed = /trial \S+: running generation 2 on (\S+) /.exec(leader);
    assert.equal(resumed?.[1], leaderId, 'generation 2 is the leader alone');
    const from = Number(new RegExp(`trial ${trialId}: training rank 0 of 1, .* from step (\\d+) to 60`).exec(leader)?.[1]);
    assert.ok(from >= 10 && from < 60, `generation 2 continues from the checkpoint (step ${from}), not from 0`);
  }),
);

test('a worker started later joins a running trial below replicas.max at its next checkpoint', { timeout: 180_000 }, () =>
  cluster.explainFailure(async () => {
    // One worker is left (the previous test killed the other): the trial starts on it alone. Long
    // enough for the CLI to see it on two ranks once it has grown.
    const sweepId = await cluster.submit(spec('dp-grow', { min: 1, max: 2 }, { steps: 200 }));
    const [trialId] = await cluster.store.trialIds(sweepId);
    await eventually('the trial running alone with a checkpoint', async () => {
      const trial = await cluster.store.requireTrial(trialId!);
      return trial.state === 'running' && trial.workers.length === 1 && (trial.checkpointStep ?? 0) >= 10 ? trial : undefined;
    });
    await cluster.startWorker('w3');
    const grown = await runningOnTwo(trialId!);
    assert.ok(grown.workers.includes('w3'));
    // What users see of the gang: each trial's workers with their ranks, each worker's trial and rank.
    const [status, workers] = await Promise.all([
      cluster.cliJson<{ trials: { workers: { id: string; rank: number }[]; world: number }[] }>(['sweep', 'status', sweepId]),
      cluster.cliJson<{ id: string; trial: string | null; rank: number | null }[]>(['workers', 'list']),
    ]);
    assert.equal(status.trials[0]!.world, 2);
    assert.deepEqual(status.trials[0]!.workers, grown.workers.map((id, rank) => ({ id, rank })));
    assert.deepEqual(
      workers.filter((w) => w.trial === trialId).map((w) => [w.id, w.rank]).sort(),
      grown.workers.map((id, rank) => [id, rank]).sort(),
    );
    const [end] = await cluster.waitForSweepEnd(sweepId);
    assert.equal(end!.state, 'completed', end!.error);
    assert.equal(end!.step, 200);
    assert.match(cluster.worker('w3').output, new RegExp(`trial ${trialId}: training rank 1 of 2, .* from step [1-9]\\d* to 200`));
  }),
);

test('a rank killed with replicas 2..2: the trial waits in the queue, then re-forms with a worker started later', { timeout: 240_000 }, () =>
  cluster.explainFailure(async () => {
    const sweepId = await cluster.submit(spec('dp-rejoin', { min: 2, max: 2 }, { steps: 60 }));
    const [trialId] = await cluster.store.trialIds(sweepId);
    const before = await runningOnTwo(trialId!);
    await cluster.worker(before.workers[1]!).kill('SIGKILL');
    const queued = await eventually('the trial back in the queue', async () => {
      const trial = await cluster.store.requireTrial(trialId!);
      return trial.state === 'queued' ? trial : undefined;
    });
    assert.ok((queued.checkpointStep ?? 0) >= 10, 'its checkpoint is kept');
    await cluster.startWorker('w4');
    const [end] = await cluster.waitForSweepEnd(sweepId);
    assert.equal(end!.state, 'completed', end!.error);
    assert.equal(end!.step, 60);
    assert.match(cluster.worker('w4').output, new RegExp(`trial ${trialId}: training rank \\d of 2, .* from step [1-9]\\d* to 60`));
  }),
);
