import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SweepBoard } from './sweep-board.js';
import { sweep, trial } from './test-messages.js';

const t0 = trial({ id: 's1-t0', index: 0 });
const t1 = trial({ id: 's1-t1', index: 1 });

test('the board starts from the snapshot and logs each trial once', () => {
  const board = new SweepBoard();
  assert.deepEqual(board.lines(), ['waiting for the sweep…']);
  assert.deepEqual(board.apply({ snapshot: sweep({ totalTrials: 2 }) }), [
    'sweep s1 (mnist-capacity): 2 trial(s), ranked by discreteAccuracy (maximize), running',
  ]);
  assert.deepEqual(board.apply({ trials: { trials: [t0, t1] } }), ['trial s1-t0: queued step 0/400', 'trial s1-t1: queued step 0/400']);
  assert.deepEqual(board.sweep()!.trials.map((t) => t.id), ['s1-t0', 's1-t1']);
});

test('trial events update the board; repeats are not logged again', () => {
  const board = new SweepBoard();
  board.apply({ snapshot: sweep({ trials: [t0, t1] }) });
  const running = { ...t1, state: 'RUNNING' as const, step: 200, metric: 0.5123456 };
  assert.deepEqual(board.apply({ trial: running }), ['trial s1-t1: running step 200/400 discreteAccuracy=0.5123']);
  assert.deepEqual(board.apply({ trial: running }), []);
  const lines = board.lines();
  assert.equal(lines[0], 'sweep s1 (mnist-capacity) running: 1 running, 1 queued — discreteAccuracy (maximize)');
  assert.match(lines[2], /^ {2}t1 {2}running {3}█{10}░{10} 200\/400 {2}discreteAccuracy 0\.5123$/);
  assert.match(lines[1], /^ {2}t0 {2}queued {4}░{20} 0\/400$/);
});

test('changed trials then a final snapshot: the trials are merged, the state change and the failed trial reason reported', () => {
  const board = new SweepBoard();
  board.apply({ snapshot: sweep({ totalTrials: 2 }) });
  board.apply({ trials: { trials: [t0, t1] } });
  assert.deepEqual(board.apply({ trial: { ...t0, state: 'COMPLETED', step: 400, metric: 0.8 } }), [
    'trial s1-t0: completed step 400/400 discreteAccuracy=0.8',
  ]);
  assert.deepEqual(board.apply({ trial: { ...t1, state: 'FAILED', step: 12, error: 'NaN loss at step 12' } }), [
    'trial s1-t1: failed step 12/400 (NaN loss at step 12)',
  ]);
  // A snapshot carries no trials: the ones already seen stay.
  assert.deepEqual(board.apply({ snapshot: sweep({ state: 'COMPLETED', totalTrials: 2 }) }), ['sweep s1: completed']);
  const final = board.sweep()!;
  assert.equal(final.state, 'COMPLETED');
  assert.deepEqual(final.counts, { queued: 0, running: 0, completed: 1, stopped: 0, failed: 1, cancelled: 0 });
  assert.deepEqual(final.trials.map((t) => t.id), ['s1-t0', 's1-t1']);
});

test('metric-only events change nothing', () => {
  const board = new SweepBoard();
  board.apply({ snapshot: sweep({ trials: [t0] }) });
  assert.deepEqual(board.apply({ metric: { trialId: 's1-t0', step: 100, time: 1, values: { loss: 1 } } }), []);
});
