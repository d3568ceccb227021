import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { SweepStore, WorkerRegistry } from '@jvae/store';
import { sweepInput, testRedis } from '@jvae/store/testing';
import { drainWorker } from './worker-drain.js';

let redis: Redis;
let cleanup: () => Promise<void>;
let store: SweepStore;
let registry: WorkerRegistry;

before(() => {
  let prefix: string;
  ({ redis, prefix, cleanup } = testRedis());
  store = new SweepStore(redis, prefix);
  registry = new WorkerRegistry(redis, prefix);
});
after(() => cleanup());

const WAIT = { maxMs: 60_000, pollMs: 20 };

/** A worker registered busy with a running trial of a new sweep. */
async function busyWorker(workerId: string): Promise<string> {
  const sweep = await store.createSweep(sweepInput(1, `drain-${workerId}`));
  const [trialId] = await store.trialIds(sweep.id);
  await store.transitionTrial(trialId!, ['queued'], 'running', { workers: [workerId] });
  await registry.register({ id: workerId, host: 'h', pid: 1, backend: 'cpu', threads: 1, device: 'cpu', state: 'busy', trialId: trialId! });
  return trialId!;
}

function checkpoint(trialId: string, id: string, step: number) {
  return { id, trialId, step, files: [{ path: 'a.bin', sha256: '0'.repeat(64), size: 1 }], createdAt: Date.now(), location: `/x/${id}` };
}

describe('drainWorker', () => {
  it('returns at once for an idle or unknown worker', async () => {
    await registry.register({ id: 'idle-w', host: 'h', pid: 1, backend: 'cpu', threads: 1, device: 'cpu' });
    assert.deepEqual(await drainWorker(registry, store, 'idle-w', WAIT), { outcome: 'idle' });
    assert.deepEqual(await drainWorker(registry, store, 'nobody', WAIT), { outcome: 'not-registered' });
  });

  it('waits for the busy trial\'s next checkpoint, not the one it already had', async () => {
    const trialId = await busyWorker('ckpt-w');
    await store.addCheckpoint(checkpoint(trialId, 'ck-1', 10));
    const draining = drainWorker(registry, store, 'ckpt-w', WAIT);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await store.addCheckpoint(checkpoint(trialId, 'ck-2', 20));
    assert.deepEqual(await draining, { outcome: 'checkpointed', trialId, fromStep: 10, toStep: 20 });
  });

  it('ends when the trial finishes or leaves the worker', async () => {
    const finished = await busyWorker('done-w');
    const draining = drainWorker(registry, store, 'done-w', WAIT);
    await store.transitionTrial(finished, ['running'], 'completed');
    assert.equal((await draining).outcome, 'trial-ended');

    await busyWorker('moved-w');
    const waiting = drainWorker(registry, store, 'moved-w', WAIT);
    await registry.heartbeat('moved-w', { state: 'idle', trialId: null });
    assert.equal((await waiting).outcome, 'trial-ended');
  });

  it('gives up at its deadline', async () => {
    const trialId = await busyWorker('slow-w');
    assert.deepEqual(await drainWorker(registry, store, 'slow-w', { maxMs: 50, pollMs: 10 }), {
      outcome: 'deadline',
      trialId,
      fromStep: -1,
      toStep: -1,
    });
  });
});
