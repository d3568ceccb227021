// The scheduler against real Redis, under a key prefix of this file's own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { keys } from '@jvae/protocol';
import { SweepStore } from '@jvae/store';
import { sweepInput, testRedis } from '@jvae/store/testing';
import { expandTrials, parseSweepSpec } from '@jvae/sweep';
import { SweepScheduler } from './sweep-scheduler.js';
import { TrialQueue } from './trial-queue.js';
import { TrialSupply } from './trial-supply.js';

const { redis, prefix, cleanup } = testRedis();
const store = new SweepStore(redis, prefix);
let schedulerConnection: Redis;
let scheduler: SweepScheduler;
let queue: TrialQueue;
let queueConnection: Redis;
const logged: string[] = [];

before(async () => {
  schedulerConnection = redis.duplicate();
  queueConnection = redis.duplicate({ maxRetriesPerRequest: null });
  queue = new TrialQueue(queueConnection, prefix);
  const supply = new TrialSupply(store, queue);
  // No PBT sweep here: nothing is ever copied.
  const checkpoints = { copy: () => Promise.reject(new Error('no copies in these tests')), remove: async () => undefined };
  scheduler = new SweepScheduler(store, schedulerConnection, { blockMs: 100, log: (line) => logged.push(line), supply, checkpoints });
  await scheduler.start();
});

after(async () => {
  await scheduler.stop();
  await queue.close();
  queueConnection.disconnect();
  schedulerConnection.disconnect();
  await cleanup();
});

/** A new sweep of four trials (ASHA rungs at 10 and 30, eta 3), all running as workers would have them. */
async function runningSweep(): Promise<string[]> {
  const sweep = await store.createSweep(sweepInput(4, 'scheduler-test'));
  const ids = await store.trialIds(sweep.id);
  for (const id of ids) await store.transitionTrial(id, ['queued'], 'running');
  return ids;
}

/** Waits until the trial has been asked to stop; fails after `timeoutMs`. */
async function stopRequested(trialId: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = await store.stopRequest(trialId);
    if (reason) return reason;
    if (Date.now() > deadline) throw new Error(`no stop request for ${trialId} after ${timeoutMs} ms; log:\n${logged.join('\n')}`);
    await sleep(50);
  }
}

describe('SweepScheduler', () => {
  it('stops the loser at a rung', async () => {
    const [a, b, c] = await runningSweep();
    await store.recordEval(a!, 10, { loss: 1 });
    await store.recordEval(b!, 10, { loss: 2 });
    await store.recordEval(c!, 12, { loss: 3 });
    assert.equal(await stopRequested(c!), 'asha');
    assert.equal(await store.stopRequest(a!), null);
    assert.equal(await store.stopRequest(b!), null);
  });

  for (const [lost, lose] of [
    ['its consumer group', (events: string) => redis.xgroup('DESTROY', events, 'coordinator')],
    ['the whole event stream, as in a Redis restarted empty', (events: string) => redis.del(events)],
  ] as const) {
    it(`creates the group again and goes on applying events after Redis lost ${lost}`, async () => {
      const [a, b, c, d] = await runningSweep();
      await store.recordEval(a!, 10, { loss: 1 });
      await store.recordEval(b!, 10, { loss: 2 });
      await store.recordEval(c!, 10, { loss: 3 });
      await stopRequested(c!);
      const before = logged.length;

      await lose(keys(prefix).events());
      await store.recordEval(d!, 10, { loss: 4 });
      assert.equal(await stopRequested(d!), 'asha', 'the event after the loss is applied');
      assert.ok(
        logged.slice(before).some((line) => /consumer group 'coordinator' is missing; creating it again/.test(line)),
        logged.slice(before).join('\n'),
      );
      assert.equal(await store.stopRequest(a!), null, 'replayed events change nothing');
      assert.equal(await store.stopRequest(b!), null, 'replayed events change nothing');
    });
  }

  it('Hyperband compares a trial only with the trials of its own bracket', async () => {
    const specText = JSON.stringify({
      name: 'hyperband-test',
      method: 'grid',
      train: { preset: 'mnist', steps: 81 },
      metric: { name: 'loss', goal: 'minimize' },
      early_terminate: { type: 'hyperband', min_steps: 1, max_steps: 81, eta: 3 },
      parameters: { lr: { values: Array.from({ length: 16 }, (_, i) => 0.001 * (i + 1)) } },
    });
    const spec = parseSweepSpec(specText);
    const sweep = await store.createSweep({ specText, spec, plans: expandTrials(spec) });
    const trials = await store.getTrials(sweep.id);
    for (const trial of trials) await store.transitionTrial(trial.id, ['queued'], 'running');
    // Bracket 4 has rungs 1, 3, 9, 27; bracket 3 has 3, 9, 27: both judge at step 3.
    const [x1, x2] = trials.filter((t) => t.bracket === 4).map((t) => t.id);
    const [b1, b2, b3] = trials.filter((t) => t.bracket === 3).map((t) => t.id);
    assert.ok(x2 && b3, `brackets of the 16 trials: ${trials.map((t) => t.bracket).join(',')}`);
    await store.recordEval(x1!, 3, { loss: 1 });
    await store.recordEval(x2!, 3, { loss: 2 });
    // Worst of all at step 3, but the first of its bracket there: it goes on.
    await store.recordEval(b1!, 3, { loss: 50 });
    await store.recordEval(b2!, 3, { loss: 60 });
    await store.recordEval(b3!, 3, { loss: 70 });
    assert.equal(await stopRequested(b3!), 'asha');
    assert.equal(await store.stopRequest(b1!), null);
    assert.deepEqual(Object.keys(await store.rungValues(sweep.id, 3, 3)).sort(), [b1, b2, b3].sort());
  });
});
