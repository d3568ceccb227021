// The autoscaling figure (GET /api/scaling, the jvae_worker_demand gauge) with real workers:
// it counts the trials waiting and running, whatever the state of their jobs in BullMQ, so that it
// falls only as trials finish, never as workers take jobs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES, bullPrefix } from '@jvae/protocol';
import { Cluster, eventually } from './harness.js';

let cluster: Cluster;
let queue: Queue;
let queueConnection: Redis;

before(async () => {
  cluster = await Cluster.start({ workers: 2 });
  queueConnection = new Redis(cluster.redisUrl, { maxRetriesPerRequest: null });
  queue = new Queue(QUEUES.trials, { connection: queueConnection, prefix: bullPrefix(cluster.prefix) });
});

after(async () => {
  await queue?.close();
  queueConnection?.disconnect();
  await cluster?.close();
});

async function scaling(): Promise<{ desiredWorkers: number; queuedRanks: number; runningRanks: number }> {
  const response = await fetch(`http://${cluster.httpAddress}/api/scaling`, { headers: { authorization: `Bearer ${cluster.token}` } });
  assert.equal(response.status, 200);
  return (await response.json()) as { desiredWorkers: number; queuedRanks: number; runningRanks: number };
}

async function counts(sweepId: string): Promise<{ queued: number; running: number }> {
  const sweep = await cluster.store.requireSweep(sweepId);
  return { queued: sweep.counts.queued, running: sweep.counts.running };
}

test('2 workers, 4 trials: the demand is 4 while 2 run and 2 wait (prioritized, delayed), then 2, then 0', { timeout: 180_000 }, () =>
  cluster.explainFailure(async () => {
    const sweepId = await cluster.submit(cluster.spec({ name: 'demand', train: { steps: 60 }, parameters: { lr: { values: [0.001, 0.002, 0.003, 0.004] } } }));
    const ids = await cluster.store.trialIds(sweepId);
    await eventually('2 trials running and 2 waiting', async () => {
      const now = await counts(sweepId);
      return now.running === 2 && now.queued === 2 ? now : undefined;
    });
    // Move the waiting jobs out of BullMQ's wait list: one prioritized, one delayed.
    const waiting = await queue.getJobs(['waiting']);
    const [prioritized, delayed] = waiting;
    assert.equal(waiting.length, 2);
    await prioritized!.changePriority({ priority: 5 });
    await delayed!.remove();
    await queue.add(delayed!.name, delayed!.data, { jobId: delayed!.id, delay: 3000 });
    assert.equal(await queue.getWaitingCount(), 0, 'nothing is left in the wait list');
    assert.deepEqual(await scaling(), { desiredWorkers: 4, queuedRanks: 2, runningRanks: 2 });
    const metrics = await (await fetch(`http://${cluster.httpAddress}/metrics`)).text();
    assert.match(metrics, /jvae_worker_demand\{kind="desired"\} 4/);

    await eventually('the last 2 trials running', async () => {
      const now = await counts(sweepId);
      return now.running === 2 && now.queued === 0 ? now : undefined;
    });
    assert.deepEqual(await scaling(), { desiredWorkers: 2, queuedRanks: 0, runningRanks: 2 });
    const trials = await cluster.waitForSweepEnd(sweepId);
    assert.deepEqual(trials.map((t) => t.state), ids.map(() => 'completed'));
    await eventually('the sweep marked finished', async () => ((await cluster.store.requireSweep(sweepId)).finishedAt > 0 ? true : undefined));
    assert.deepEqual(await scaling(), { desiredWorkers: 0, queuedRanks: 0, runningRanks: 0 });
  }),
);
