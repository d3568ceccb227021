import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Worker__Output } from '@jvae/protocol';
import {
  formatAge,
  formatCategoryLabels,
  formatCounts,
  formatMetricValue,
  formatRankingTable,
  formatSchedule,
  formatSweepList,
  formatTable,
  formatWorkers,
  httpUrl,
  parseParams,
  varyingKeys,
} from './format.js';
import { rankSweepTrials, sweepJson } from './sweep-views.js';
import { sweep, trial } from './test-messages.js';

const params = (cmax: number, dmax: number) => JSON.stringify({ 'capacity.continuous.max': cmax, 'capacity.discrete.max': dmax, 'capacity.discrete.gamma': 30 });

test('formatTable pads every column but the last to its widest cell', () => {
  assert.equal(formatTable(['a', 'bb', 'c'], [['xxx', 'y', 'z z'], ['1', '22', '']]), ['a    bb  c', 'xxx  y   z z', '1    22'].join('\n'));
});

test('formatMetricValue keeps four significant digits and marks a missing value', () => {
  assert.equal(formatMetricValue(0.812345), '0.8123');
  assert.equal(formatMetricValue(123.456), '123.5');
  assert.equal(formatMetricValue(0), '0');
  assert.equal(formatMetricValue(1.5e-5), '1.500e-5');
  assert.equal(formatMetricValue(NaN), 'NaN');
  assert.equal(formatMetricValue(undefined), '-');
});

test('parseParams flattens nested objects to dotted keys', () => {
  assert.deepEqual(parseParams('{"capacity":{"discrete":{"max":2.3}},"lr":0.001}'), { 'capacity.discrete.max': 2.3, lr: 0.001 });
  assert.deepEqual(parseParams(''), {});
});

test('varyingKeys keeps only the parameters that differ between trials', () => {
  const sets = [JSON.parse(params(2, 1)), JSON.parse(params(5, 1))];
  assert.deepEqual([...varyingKeys(sets)], ['capacity.continuous.max']);
  assert.deepEqual([...varyingKeys(sets.slice(0, 1))].length, 3);
});

test('the ranking table orders trials by the metric toward the goal, finished ones first', () => {
  const s = sweep({
    trials: [
      trial({ id: 's1-t0', index: 0, state: 'COMPLETED', step: 400, metric: 0.61, paramsJson: params(2, 1) }),
      trial({ id: 's1-t1', index: 1, state: 'STOPPED', step: 100, metric: 0.9, paramsJson: params(5, 1) }),
      trial({ id: 's1-t2', index: 2, state: 'COMPLETED', step: 400, metric: 0.83, paramsJson: params(2, 2.3) }),
      trial({ id: 's1-t3', index: 3, state: 'RUNNING', step: 150, paramsJson: params(5, 2.3) }),
    ],
  });
  const table = formatRankingTable(s.metric, s.goal, rankSweepTrials(s)).split('\n');
  assert.match(table[0], /^rank\s+trial\s+state\s+step\s+discreteAccuracy ↑\s+params$/);
  assert.deepEqual(
    table.slice(1).map((line) => line.split(/\s+/).slice(0, 5)),
    [
      ['1', 's1-t2', 'completed', '400/400', '0.83'],
      ['2', 's1-t0', 'completed', '400/400', '0.61'],
      ['3', 's1-t1', 'stopped', '100/400', '0.9'],
      ['-', 's1-t3', 'running', '150/400', '-'],
    ],
  );
  // Only the swept parameters are shown; the constant gamma is not.
  assert.match(table[1], /capacity\.continuous\.max=2 capacity\.discrete\.max=2\.3$/);
  assert.doesNotMatch(table.join('\n'), /gamma/);
});

/** A schedule segment as the protocol carries it. */
const segment = (step: number, trialId: string, settings: Record<string, unknown>) => ({
  step,
  trialId,
  settingsJson: JSON.stringify(settings),
  continuous: { min: 0, max: 5, iters: 100, gamma: 30 },
  discrete: { min: 0, max: 2.3, iters: 100, gamma: 30 },
});

test('a PBT schedule: one line per segment, settings shown where they change, the last to the trial’s step', () => {
  const schedule = [
    segment(0, 's1-t0', { lr: 0.001, 'capacity.continuous.max': 5 }),
    segment(200, 's1-t2', { lr: 0.0008, 'capacity.continuous.max': 5 }),
    segment(400, 's1-t2', { lr: 0.0008, 'capacity.continuous.max': 10 }),
  ];
  assert.deepEqual(formatSchedule(schedule, 600).split('\n'), [
    'steps    trained by  settings (where they change)',
    '0–200    s1-t0       lr=0.001 capacity.continuous.max=5',
    '200–400  s1-t2       lr=8.000e-4',
    '400–600  s1-t2       capacity.continuous.max=10',
  ]);
});

test('the ranking shows what a PBT trial trains with now, not what it started with', () => {
  const s = sweep({
    trials: [
      trial({ id: 's1-t0', state: 'RUNNING', paramsJson: JSON.stringify({ lr: 0.001 }), schedule: [segment(0, 's1-t0', { lr: 0.001 }), segment(200, 's1-t0', { lr: 0.002 })] }),
      trial({ id: 's1-t1', index: 1, state: 'RUNNING', paramsJson: JSON.stringify({ lr: 0.003 }), schedule: [segment(0, 's1-t1', { lr: 0.003 })] }),
    ],
  });
  const table = formatRankingTable(s.metric, s.goal, rankSweepTrials(s));
  assert.match(table, /s1-t0 .* lr=0\.002$/m);
  assert.match(table, /s1-t1 .* lr=0\.003$/m);
});

test('a minimizing sweep ranks the lowest value first', () => {
  const s = sweep({
    metric: 'loss',
    goal: 'MINIMIZE',
    trials: [trial({ id: 'a', state: 'COMPLETED', metric: 90 }), trial({ id: 'b', state: 'COMPLETED', metric: 80 })],
  });
  assert.deepEqual(rankSweepTrials(s).map((r) => [r.rank, r.trial.id]), [[1, 'b'], [2, 'a']]);
  assert.match(formatRankingTable(s.metric, s.goal, rankSweepTrials(s)), /loss ↓/);
});

test('sweepJson gives lower-case states, parsed params and each trial its rank', () => {
  const s = sweep({
    bestTrialId: 'b',
    trials: [
      trial({ id: 'a', index: 0, state: 'COMPLETED', step: 400, metric: 0.5, paramsJson: params(2, 1) }),
      trial({ id: 'b', index: 1, state: 'COMPLETED', step: 400, metric: 0.7, paramsJson: params(5, 1) }),
      trial({ id: 'c', index: 2, state: 'FAILED', error: 'NaN loss at step 12' }),
    ],
  });
  const json = sweepJson(s);
  assert.equal(json.state, 'running');
  assert.equal(json.goal, 'maximize');
  assert.equal(json.bestTrialId, 'b');
  assert.deepEqual(
    json.trials.map((t) => [t.id, t.state, t.rank, t.metric, t.step]),
    [['a', 'completed', 2, 0.5, 400], ['b', 'completed', 1, 0.7, 400], ['c', 'failed', null, null, 0]],
  );
  assert.equal(json.trials[0].params['capacity.continuous.max'], 2);
  assert.equal(json.trials[2].error, 'NaN loss at step 12');
  assert.doesNotThrow(() => JSON.parse(JSON.stringify(json)));
});

test('counts, ages, the sweep list and the worker table read as a user expects', () => {
  assert.equal(formatCounts({ queued: 1, running: 2, completed: 0, stopped: 1, failed: 0, cancelled: 0 }), '2 running, 1 queued, 1 stopped');
  assert.equal(formatAge(0), 'never');
  assert.equal(formatAge(10_000, 75_000), '1m05s ago');
  const list = formatSweepList([sweep({ counts: { queued: 0, running: 0, completed: 4, stopped: 0, failed: 0, cancelled: 0 }, bestTrialId: 's1-t2', state: 'COMPLETED' })], 61_000);
  assert.match(list.split('\n')[1], /^s1\s+mnist-capacity\s+completed\s+discreteAccuracy \(maximize\)\s+s1-t2\s+1m00s ago\s+4 completed$/);
  assert.match(formatSweepList([]), /No sweeps yet/);
  const worker: Worker__Output = {
    id: 'w-1', host: 'box', pid: 4242, backend: 'wasm', state: 'BUSY', currentTrial: 's1-t0',
    lastHeartbeat: 58_000, startedAt: 1, threads: 2, device: 'cpu x2',
  };
  const table = formatWorkers([worker], 60_000).split('\n');
  assert.match(table[0], /^worker\s+host\s+pid\s+backend\s+threads\s+state\s+trial\s+heartbeat\s+device$/);
  assert.match(table[1], /^w-1\s+box\s+4242\s+wasm\s+2\s+busy\s+s1-t0\s+2s ago\s+cpu x2$/);
});

test('httpUrl reaches a wildcard bind address through loopback', () => {
  assert.equal(httpUrl('0.0.0.0:8080'), 'http://127.0.0.1:8080/');
  assert.equal(httpUrl('[::]:8080', '/queues'), 'http://[::1]:8080/queues');
  assert.equal(httpUrl('example.org:80', '/queues'), 'http://example.org:80/queues');
});

test('labels per category list the labels a category merges, largest share first', () => {
  const text = formatCategoryLabels(0, [
    [0, 98, 0, 2],
    [30, 0, 60, 10],
    [0, 0, 0, 0],
    [1, 0, 0, 0],
  ]);
  assert.deepEqual(text.split('\n'), [
    'labels per category of c0 (held-out samples):',
    '  category 0 (100 samples): 1 98%',
    '  category 1 (100 samples): 2 60%, 0 30%, 3 10%',
    '  category 2: no samples',
    '  category 3 (1 sample): 0 100%',
  ]);
});
