import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { keys } from '@jvae/protocol';
import { TRIAL_STATES, isTerminalTrialState, type TrialState } from '@jvae/sweep';
import { NotFoundError } from './not-found-error.js';
import type { CheckpointRecord } from './records.js';
import { SweepStore } from './sweep-store.js';
import { sweepInput, testRedis } from './test-redis.js';

let redis: Redis;
let prefix: string;
let cleanup: () => Promise<void>;
let store: SweepStore;

before(() => {
  ({ redis, prefix, cleanup } = testRedis());
  store = new SweepStore(redis, prefix);
});
after(() => cleanup());

function checkpoint(trialId: string, id: string, step: number): CheckpointRecord {
  return { id, trialId, step, files: [{ path: 'a.bin', sha256: '0'.repeat(64), size: 1 }], createdAt: Date.now(), location: `/x/${id}` };
}

describe('SweepStore', () => {
  it('creates a sweep with its trials queued in index order and derives its state', async () => {
    const sweep = await store.createSweep(sweepInput(3));
    assert.equal(sweep.trialCount, 3);
    assert.equal(sweep.state, 'queued');
    assert.equal(sweep.counts.queued, 3);
    assert.deepEqual(sweep.metric, { name: 'loss', goal: 'minimize' });
    const trials = await store.getTrials(sweep.id);
    assert.deepEqual(trials.map((t) => t.index), [0, 1, 2]);
    assert.deepEqual(trials.map((t) => t.params.lr), [0.001, 0.002, 0.003]);
    assert.equal(trials[0]!.totalSteps, 90);
    assert.equal(trials[0]!.config.steps, 90);
    assert.deepEqual(trials[0]!.rungs, [10, 30]);
    assert.equal(trials[0]!.state, 'queued');
    assert.equal(trials[0]!.metric, undefined);
    const listed = await store.listSweeps();
    assert.ok(listed.some((s) => s.id === sweep.id));
    assert.equal(await store.getSweep('nope'), null);
    await assert.rejects(store.requireSweep('nope'), NotFoundError);
  });

  it('moves trials only from the allowed states, counting attempts, and logs each change', async () => {
    const sweep = await store.createSweep(sweepInput(2));
    const [t0] = await store.trialIds(sweep.id);
    const since = await store.events.latestId(sweep.id);
    assert.deepEqual(await store.transitionTrial(t0!, ['queued', 'running'], 'running', { workers: ['w1'] }), {
      applied: true,
      previous: 'queued',
    });
    let trial = await store.requireTrial(t0!);
    assert.equal(trial.attempts, 1);
    assert.deepEqual(trial.workers, ['w1']);
    assert.ok(trial.startedAt > 0);
    assert.equal((await store.getSweep(sweep.id))!.state, 'running');

    assert.equal((await store.transitionTrial(t0!, ['running'], 'cancelled')).applied, true);
    // A late worker cannot revive a cancelled trial.
    assert.deepEqual(await store.transitionTrial(t0!, ['queued', 'running'], 'running'), {
      applied: false,
      previous: 'cancelled',
    });
    trial = await store.requireTrial(t0!);
    assert.equal(trial.state, 'cancelled');
    assert.deepEqual(trial.workers, []);
    assert.ok(trial.finishedAt > 0);
    assert.deepEqual(await store.transitionTrial('missing-trial', ['queued'], 'running'), { applied: false, previous: null });

    const events = await store.events.readSweep(sweep.id, since);
    assert.deepEqual(
      events.map((e) => e.event.type === 'trial' && e.event.state),
      ['running', 'cancelled'],
    );
  });

  it('treats as final exactly the states @jvae/sweep calls final', async () => {
    const sweep = await store.createSweep(sweepInput(TRIAL_STATES.length));
    const ids = await store.trialIds(sweep.id);
    for (const [i, state] of TRIAL_STATES.entries()) {
      const id = ids[i]!;
      await store.transitionTrial(id, ['queued'], 'running', { workers: ['w1'] });
      assert.equal(await store.requestStop(id, 'asha'), 'asha', `${state}: a running trial can be asked to stop`);
      assert.equal((await store.transitionTrial(id, ['running'], state)).applied, true, state);
      const trial = await store.requireTrial(id);
      const final = isTerminalTrialState(state);
      assert.equal(trial.finishedAt > 0, final, `${state}: finishedAt`);
      assert.equal((await store.stopRequest(id)) === null, final, `${state}: the stop request is cleared only when final`);
      assert.equal((await store.requestStop(id, 'cancel')) === null, final, `${state}: only a live trial is asked to stop`);
    }
  });

  it('keeps metric series and the latest metric only while the trial runs', async () => {
    const sweep = await store.createSweep(sweepInput(1));
    const [id] = await store.trialIds(sweep.id);
    assert.equal(await store.recordEval(id!, 10, { loss: 5 }), false, 'queued trials take no reports');
    await store.transitionTrial(id!, ['queued'], 'running');
    assert.equal(await store.recordEval(id!, 10, { loss: 5, klCont: 1 }), true);
    assert.equal(await store.recordEval(id!, 20, { loss: NaN, klCont: 2 }), true);
    assert.equal(await store.reportStep(id!, 25), true);
    const trial = await store.requireTrial(id!);
    assert.equal(trial.step, 25);
    assert.ok(Number.isNaN(trial.metric));
    assert.equal(trial.metrics.klCont, 2);
    const series = await store.getMetrics(id!);
    assert.deepEqual(series.map((p) => p.step), [10, 20]);
    assert.equal(series[0]!.values.loss, 5);
    assert.ok(Number.isNaN(series[1]!.values.loss));
    assert.deepEqual((await store.getMetrics(id!, -1)).map((p) => p.step), [20]);
    await assert.rejects(store.recordEval(id!, -1, {}), RangeError);

    // An attempt resumed from step 10 evaluates step 20 again, then goes on.
    assert.equal(await store.recordEval(id!, 30, { loss: 3, klCont: 3 }), true);
    assert.equal(await store.recordEval(id!, 20, { loss: 4, klCont: 2 }, 1234), true);
    assert.equal(await store.recordEval(id!, 30, { loss: 3, klCont: 3 }), true);
    const resumed = await store.getMetrics(id!);
    assert.deepEqual(resumed.map((p) => p.step), [10, 20, 30]);
    assert.equal(resumed[1]!.time, 1234);
    assert.equal(resumed[1]!.values.loss, 4);
  });

  it('records checkpoints: latest only moves forward, the two highest steps are kept', async () => {
    const sweep = await store.createSweep(sweepInput(1));
    const [id] = await store.trialIds(sweep.id);
    assert.deepEqual(await store.addCheckpoint(checkpoint(id!, 'ck-a', 10)), { latest: true, evicted: [] });
    assert.deepEqual(await store.addCheckpoint(checkpoint(id!, 'ck-b', 20)), { latest: true, evicted: [] });
    const late = await store.addCheckpoint(checkpoint(id!, 'ck-old', 5));
    assert.equal(late.latest, false);
    assert.deepEqual(late.evicted.map((c) => c.id), ['ck-old']);
    const next = await store.addCheckpoint(checkpoint(id!, 'ck-c', 30));
    assert.deepEqual(next.evicted.map((c) => c.id), ['ck-a']);
    assert.equal(next.evicted[0]!.location, '/x/ck-a');
    assert.equal(await store.getCheckpoint('ck-a'), null, 'evicted records are deleted');
    assert.deepEqual((await store.listCheckpoints(id!)).map((c) => c.id), ['ck-b', 'ck-c']);
    const trial = await store.requireTrial(id!);
    assert.equal(trial.checkpointId, 'ck-c');
    assert.equal(trial.checkpointStep, 30);
    assert.equal((await store.latestCheckpoint(id!))!.files[0]!.path, 'a.bin');
    await assert.rejects(store.addCheckpoint(checkpoint('no-such-trial', 'ck-z', 1)), NotFoundError);
  });

  it('records rung values once, with the values recorded before', async () => {
    const sweep = await store.createSweep(sweepInput(3));
    const [a, b, c] = await store.trialIds(sweep.id);
    assert.deepEqual(await store.recordRung(sweep.id, 10, a!, 1.5), { value: 1.5, before: [] });
    assert.deepEqual(await store.recordRung(sweep.id, 10, b!, 2.5), { value: 2.5, before: [1.5] });
    assert.deepEqual(await store.recordRung(sweep.id, 10, a!, 9), { value: 1.5, before: [] }, 'idempotent');
    const third = await store.recordRung(sweep.id, 10, c!, NaN);
    assert.ok(Number.isNaN(third.value));
    assert.deepEqual([...third.before].sort(), [1.5, 2.5]);
    assert.deepEqual(Object.keys(await store.rungValues(sweep.id, 10)).sort(), [a, b, c].sort());
  });

  it('stop requests: only for live trials, cancel overrides asha, cleared when final', async () => {
    const sweep = await store.createSweep(sweepInput(2));
    const [a, b] = await store.trialIds(sweep.id);
    await store.transitionTrial(a!, ['queued'], 'running');
    assert.equal(await store.stopRequest(a!), null);
    assert.equal(await store.requestStop(a!, 'asha'), 'asha');
    assert.equal(await store.requestStop(a!, 'asha'), 'asha');
    assert.equal(await store.requestStop(a!, 'cancel'), 'cancel');
    assert.equal(await store.requestStop(a!, 'asha'), 'cancel');
    await store.transitionTrial(a!, ['running'], 'cancelled');
    assert.equal(await store.stopRequest(a!), null);
    assert.equal(await store.requestStop(a!, 'asha'), null, 'a final trial is not asked to stop');
    assert.equal(await redis.exists(keys(prefix).trialStop(a!)), 0);
    assert.equal(await store.requestStop(b!, 'asha'), 'asha');
  });

  it('cancels a sweep: queued trials cancelled, running ones asked to stop; idempotent', async () => {
    const sweep = await store.createSweep(sweepInput(3));
    const [a, b, c] = await store.trialIds(sweep.id);
    await store.transitionTrial(a!, ['queued'], 'running');
    await store.transitionTrial(b!, ['queued'], 'running');
    await store.transitionTrial(b!, ['running'], 'completed');
    const since = await store.events.latestId(sweep.id);
    assert.deepEqual(await store.cancelSweep(sweep.id), { cancelled: [c], stopping: [a] });
    assert.equal(await store.stopRequest(a!), 'cancel');
    assert.equal((await store.requireSweep(sweep.id)).state, 'cancelled');
    assert.deepEqual(await store.cancelSweep(sweep.id), { cancelled: [], stopping: [] });
    const events = (await store.events.readSweep(sweep.id, since)).map((e) => e.event);
    assert.equal(events.filter((e) => e.type === 'sweep' && e.state === 'cancelled').length, 1);
    await assert.rejects(store.cancelSweep('nope'), NotFoundError);
  });

  it('retries a sweep: failed and cancelled trials queued again from their checkpoints, the sweep no longer cancelled or finished', async () => {
    const sweep = await store.createSweep(sweepInput(3));
    const [a, b, c] = await store.trialIds(sweep.id);
    await store.transitionTrial(a!, ['queued'], 'running');
    await store.addCheckpoint(checkpoint(a!, 'ck-retry', 30));
    await store.transitionTrial(a!, ['running'], 'failed', { error: 'NaN loss at step 40', step: 40 });
    await store.transitionTrial(b!, ['queued'], 'running');
    await store.transitionTrial(b!, ['running'], 'completed');
    await store.cancelSweep(sweep.id);
    assert.equal(await store.markSweepFinished(sweep.id), 'cancelled');
    assert.deepEqual((await store.retrySweep(sweep.id)).sort(), [a, c].sort());
    const again = await store.requireSweep(sweep.id);
    assert.deepEqual([again.state, again.cancelled, again.finishedAt, again.counts.queued, again.counts.completed], ['running', false, 0, 2, 1]);
    const retried = await store.requireTrial(a!);
    assert.deepEqual([retried.state, retried.step, retried.finishedAt, retried.error], ['queued', 30, 0, undefined]);
    assert.deepEqual(await store.retrySweep(sweep.id), [], 'nothing left to retry');
    await assert.rejects(store.retrySweep('nope'), NotFoundError);
  });

  it('marks a sweep finished once, when every trial is final', async () => {
    const sweep = await store.createSweep(sweepInput(2));
    const [a, b] = await store.trialIds(sweep.id);
    await store.transitionTrial(a!, ['queued'], 'running');
    await store.transitionTrial(a!, ['running'], 'completed');
    assert.equal(await store.markSweepFinished(sweep.id), null);
    await store.transitionTrial(b!, ['queued'], 'running');
    await store.transitionTrial(b!, ['running'], 'failed', { error: 'NaN loss at step 3' });
    assert.equal((await store.requireTrial(b!)).error, 'NaN loss at step 3');
    assert.equal(await store.markSweepFinished(sweep.id), 'completed');
    assert.equal(await store.markSweepFinished(sweep.id), null);
    const done = await store.requireSweep(sweep.id);
    assert.equal(done.state, 'completed');
    assert.ok(done.finishedAt > 0);
  });
});

/**
 * Commands Redis executes on this test's keys while `action` runs, counted on the server with
 * MONITOR: the commands scripts run inside count too, so this is the work Redis does.
 */
async function redisWork(action: () => Promise<unknown>): Promise<number> {
  const monitor = await redis.monitor();
  const marker = `${prefix}:work-marker`;
  let count = 0;
  let seen: () => void = () => {};
  const markerSeen = new Promise<void>((resolve) => (seen = resolve));
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (args.includes(marker)) seen();
    else if (args.some((arg) => arg.startsWith(`${prefix}:`))) count++;
  });
  try {
    await action();
    await redis.get(marker);
    await markerSeen;
  } finally {
    monitor.disconnect();
  }
  return count;
}

function countStates(states: readonly TrialState[]): Record<TrialState, number> {
  return Object.fromEntries(TRIAL_STATES.map((s) => [s, states.filter((t) => t === s).length])) as Record<TrialState, number>;
}

describe('SweepStore at scale', () => {
  it('keeps the per-state counts equal to the trials’ own states through every kind of move', async () => {
    const sweep = await store.createSweep(sweepInput(12));
    const ids = await store.trialIds(sweep.id);
    const moves: Array<[number, TrialState[], TrialState]> = [
      [0, ['queued'], 'running'],
      [1, ['queued'], 'running'],
      [0, ['running'], 'completed'],
      [1, ['running'], 'queued'], // a requeue after a lost worker
      [1, ['queued'], 'running'],
      [1, ['running'], 'failed'],
      [2, ['queued'], 'running'],
      [2, ['running'], 'stopped'],
      [3, ['running'], 'completed'], // not applied: the trial is queued
      [4, ['queued'], 'running'],
    ];
    for (const [index, from, to] of moves) await store.transitionTrial(ids[index]!, from, to);
    await store.cancelSweep(sweep.id);
    const read = await store.requireSweep(sweep.id);
    const expected = countStates((await store.getTrials(sweep.id)).map((t) => t.state));
    assert.deepEqual(read.counts, expected);
    assert.deepEqual(expected, { queued: 0, running: 1, completed: 1, stopped: 1, failed: 1, cancelled: 8 });
    const standings = await store.trialStandings(sweep.id);
    assert.deepEqual(standings.map((s) => s.id), ids);
    assert.deepEqual(countStates(standings.map((s) => s.state)), expected);
  });

  it('a trial event, a read of the sweep and finishing it cost the same Redis work at 100 and 10,000 trials', async () => {
    const work: Record<string, number>[] = [];
    for (const size of [100, 10_000]) {
      const sweep = await store.createSweep(sweepInput(size, `scale-${size}`));
      const [first] = await store.trialIds(sweep.id);
      await store.transitionTrial(first!, ['queued'], 'running', { workers: ['w1'] });
      work.push({
        event: await redisWork(async () => {
          await store.transitionTrial(first!, ['running'], 'completed');
          await store.markSweepFinished(sweep.id);
        }),
        read: await redisWork(() => store.getSweep(sweep.id)),
      });
      assert.equal((await store.requireSweep(sweep.id)).counts.completed, 1);
    }
    assert.ok(work[0]!.event! > 0, 'the work is seen');
    assert.deepEqual(work[1], work[0], `Redis commands at 10,000 trials vs at 100: ${JSON.stringify(work)}`);
  });

  it('cancelling costs the same Redis work per trial at 100 and 10,000 trials', async () => {
    const perTrial: number[] = [];
    for (const size of [100, 10_000]) {
      const sweep = await store.createSweep(sweepInput(size, `cancel-${size}`));
      const result = await redisWork(async () => {
        const { cancelled } = await store.cancelSweep(sweep.id);
        assert.equal(cancelled.length, size);
      });
      perTrial.push(result / size);
      assert.equal((await store.requireSweep(sweep.id)).counts.cancelled, size);
      assert.equal(await store.markSweepFinished(sweep.id), 'cancelled');
    }
    // The sweep-level steps are spread over fewer trials at 100: per trial it is at most a little more there.
    assert.ok(perTrial[1]! <= perTrial[0]! && perTrial[1]! > perTrial[0]! * 0.9, `commands per trial: ${perTrial.join(' vs ')}`);
  });
});
