import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTerminalTrialState, sweepState, TRIAL_STATES, type TrialState } from './states.js';

describe('sweepState', () => {
  const cases: Array<[TrialState[], boolean, string]> = [
    [[], false, 'queued'],
    [['queued', 'queued'], false, 'queued'],
    [['running', 'queued'], false, 'running'],
    [['completed', 'queued'], false, 'running'],
    [['failed', 'queued'], false, 'running'],
    [['stopped', 'running'], false, 'running'],
    [['completed', 'stopped', 'failed'], false, 'completed'],
    [['stopped', 'stopped'], false, 'completed'],
    [['completed', 'cancelled'], false, 'completed'],
    [['failed', 'failed'], false, 'failed'],
    [['failed', 'cancelled'], false, 'failed'],
    [['cancelled', 'cancelled'], false, 'cancelled'],
    [['running', 'queued'], true, 'cancelled'],
    [['completed', 'completed'], true, 'cancelled'],
    [[], true, 'cancelled'],
  ];
  for (const [states, cancelled, expected] of cases) {
    it(`[${states.join(', ')}]${cancelled ? ' cancelled' : ''} → ${expected}`, () => {
      const counts = Object.fromEntries(TRIAL_STATES.map((s) => [s, states.filter((t) => t === s).length])) as Record<TrialState, number>;
      assert.equal(sweepState(counts, cancelled), expected);
    });
  }
});

describe('isTerminalTrialState', () => {
  it('is true exactly for states a trial never leaves', () => {
    assert.deepEqual(TRIAL_STATES.filter(isTerminalTrialState), ['completed', 'stopped', 'failed', 'cancelled']);
  });
});
