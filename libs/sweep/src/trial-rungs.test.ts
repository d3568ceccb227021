import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trialRungs } from './trial-rungs.js';

describe('trialRungs', () => {
  it('ASHA: rungs at min_steps·eta^k below the trial steps, one pool for the sweep', () => {
    assert.deepEqual(trialRungs({ early_terminate: { type: 'asha', min_steps: 10, eta: 3 } }, 5, 100), { rungs: [10, 30, 90] });
    assert.deepEqual(trialRungs({}, 0, 100), { rungs: [] });
  });

  it('Hyperband: each trial in one bracket, with that bracket’s rungs; brackets of every size are used', () => {
    const spec = { type: 'hyperband' as const, min_steps: 1, max_steps: 81, eta: 3 };
    const seen = new Map<number, number[]>();
    for (let i = 0; i < 60; i++) {
      const { bracket, rungs } = trialRungs({ early_terminate: spec }, i, 81);
      assert.ok(bracket !== undefined);
      const expected = seen.get(bracket) ?? rungs;
      assert.deepEqual(rungs, expected, 'trials of one bracket share its rungs');
      seen.set(bracket, rungs);
      // Bracket s starts at max_steps·eta^-s and multiplies by eta up to max_steps.
      assert.equal(rungs[0] ?? 81, 81 / 3 ** bracket);
    }
    assert.deepEqual([...seen.keys()].sort(), [0, 1, 2, 3, 4]);
    assert.deepEqual(seen.get(4), [1, 3, 9, 27]);
    assert.deepEqual(seen.get(0), []);
  });

  it('PBT: every interval before the last step', () => {
    const scheduler = { type: 'pbt' as const, interval: 30, quantile: 0.25, mutations: {} };
    assert.deepEqual(trialRungs({ scheduler }, 3, 100), { rungs: [30, 60, 90] });
    assert.deepEqual(trialRungs({ scheduler }, 0, 90), { rungs: [30, 60] });
  });
});
