import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandTrials } from './expand-trials.js';
import { parseSweepSpec } from './parse-spec.js';
import { concurrencyLimit, nextPlans, trialsToCreate } from './trial-supply.js';

const base = { name: 'supply', train: { preset: 'mnist', steps: 10 }, metric: { name: 'loss', goal: 'minimize' } };
const grid = (extra: object = {}) => parseSweepSpec(JSON.stringify({ ...base, method: 'grid', parameters: { lr: { values: [0.001, 0.002, 0.003, 0.004] } }, ...extra }));
const bayes = parseSweepSpec(
  JSON.stringify({ ...base, method: 'bayes', run_cap: 6, bayes: { startup_trials: 2 }, parameters: { lr: { distribution: 'log_uniform_values', min: 0.0001, max: 0.01 } } }),
);

describe('trial supply', () => {
  it('creates every trial at once without a limit, up to max_concurrent live ones with one', () => {
    assert.equal(concurrencyLimit(grid()), Infinity);
    assert.equal(trialsToCreate(grid(), 0, 0), 4);
    assert.equal(trialsToCreate(grid({ max_concurrent: 2 }), 0, 0), 2);
    assert.equal(trialsToCreate(grid({ max_concurrent: 2 }), 2, 2), 0);
    assert.equal(trialsToCreate(grid({ max_concurrent: 2 }), 3, 1), 1);
    assert.equal(trialsToCreate(grid({ max_concurrent: 2 }), 4, 0), 0, 'never past the trial count');
    assert.equal(concurrencyLimit(bayes), 2, 'bayes: its start-up trials at once');
  });

  it('grid and random take the expansion in index order', () => {
    const spec = grid({ max_concurrent: 2 });
    assert.deepEqual(nextPlans(spec, 2, 2, []), expandTrials(spec).slice(2, 4));
  });

  it('bayes suggests from the trials seen, reproducibly, never the same point for two live trials', () => {
    const first = nextPlans(bayes, 0, 2, []);
    assert.deepEqual(first.map((p) => p.index), [0, 1]);
    assert.notDeepEqual(first[0]!.params, first[1]!.params);
    assert.deepEqual(nextPlans(bayes, 0, 2, []), first, 'reproducible');
    const seen = first.map((plan, i) => ({ params: plan.params, state: 'completed' as const, metric: 10 + i }));
    const [third] = nextPlans(bayes, 2, 1, [...seen, { params: { lr: 0.005 }, state: 'running' }]);
    assert.equal(third!.index, 2);
    assert.equal(third!.config.lr, third!.params.lr);
    const lr = third!.params.lr as number;
    assert.ok(lr >= 0.0001 && lr <= 0.01 && lr !== 0.005);
  });
});
