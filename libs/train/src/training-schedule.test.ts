import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkpointsBeforeEnd, isCheckpointStep, isEvalStep } from './training-schedule.js';

const steps = (when: (step: number) => boolean) => Array.from({ length: 10 }, (_, i) => i + 1).filter(when);

test('evaluations fall every evalEvery steps and at the last step; 0 means only the last', () => {
  assert.deepEqual(steps((s) => isEvalStep({ steps: 10, evalEvery: 4, checkpointEvery: 0 }, s)), [4, 8, 10]);
  assert.deepEqual(steps((s) => isEvalStep({ steps: 10, evalEvery: 0, checkpointEvery: 3 }, s)), [10]);
});

test('checkpoints follow checkpointEvery the same way', () => {
  assert.deepEqual(steps((s) => isCheckpointStep({ steps: 10, evalEvery: 4, checkpointEvery: 3 }, s)), [3, 6, 9, 10]);
  assert.deepEqual(steps((s) => isCheckpointStep({ steps: 10, evalEvery: 4, checkpointEvery: 0 }, s)), [10]);
});

test('checkpoints before the end: only a cadence shorter than the run', () => {
  const run = (checkpointEvery: number) => checkpointsBeforeEnd({ steps: 10, evalEvery: 0, checkpointEvery });
  assert.deepEqual([0, 3, 9, 10, 20].map(run), [false, true, true, false, false]);
});
