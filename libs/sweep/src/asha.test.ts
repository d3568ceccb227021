import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ashaDecision, ashaRungs } from './asha.js';
import type { MetricGoal } from './metrics.js';

function decide(value: number, recorded: number[], goal: MetricGoal = 'minimize', eta = 3) {
  return ashaDecision({ rung: 500, value, goal, recorded, eta });
}

describe('ashaRungs', () => {
  it('places rungs at min_steps * eta^k below the step budget', () => {
    assert.deepEqual(ashaRungs(500, 3, 3000), [500, 1500]);
    assert.deepEqual(ashaRungs(500, 3, 4500), [500, 1500]);
    assert.deepEqual(ashaRungs(500, 3, 4501), [500, 1500, 4500]);
    assert.deepEqual(ashaRungs(100, 2, 400), [100, 200]);
    assert.deepEqual(ashaRungs(1, 2, 20), [1, 2, 4, 8, 16]);
    assert.deepEqual(ashaRungs(400, 2, 400), []);
  });

  it('rejects arguments that would not make rungs', () => {
    assert.throws(() => ashaRungs(0, 3, 100), /minSteps must be an integer ≥ 1/);
    assert.throws(() => ashaRungs(10, 1, 100), /eta must be an integer ≥ 2/);
    assert.throws(() => ashaRungs(10, 2.5, 100), /eta/);
    assert.throws(() => ashaRungs(10, 3, Number.NaN), /maxSteps/);
  });
});

describe('ashaDecision', () => {
  it('lets trials continue while fewer than eta results exist at the rung', () => {
    assert.equal(decide(100, []), 'continue');
    assert.equal(decide(100, [0.1]), 'continue');
    assert.equal(decide(100, [], 'minimize', 2), 'continue');
  });

  it('keeps the top floor(n/eta) when minimising', () => {
    assert.equal(decide(0.5, [1, 2]), 'continue', 'n=3: best of three');
    assert.equal(decide(1.5, [1, 2]), 'stop', 'n=3: second of three');
    assert.equal(decide(1.5, [1, 2, 3, 4, 5]), 'continue', 'n=6: second of six');
    assert.equal(decide(2.5, [1, 2, 3, 4, 5]), 'stop', 'n=6: third of six');
    assert.equal(decide(5, [1], 'minimize', 2), 'stop', 'eta 2: worse of two');
    assert.equal(decide(0.5, [1], 'minimize', 2), 'continue', 'eta 2: better of two');
  });

  it('keeps the top floor(n/eta) when maximising', () => {
    assert.equal(decide(0.95, [0.9, 0.8], 'maximize'), 'continue');
    assert.equal(decide(0.85, [0.9, 0.8], 'maximize'), 'stop');
    assert.equal(decide(0.85, [0.9, 0.8, 0.7, 0.6, 0.5], 'maximize'), 'continue');
    assert.equal(decide(0.75, [0.9, 0.8, 0.7, 0.6, 0.5], 'maximize'), 'stop');
  });

  it('breaks ties in favour of the trial', () => {
    assert.equal(decide(1, [1, 1]), 'continue');
    assert.equal(decide(0.8, [0.9, 0.85, 0.8], 'maximize', 2), 'stop', 'n=4 keeps 2; two values are strictly better');
    assert.equal(decide(0.8, [0.9, 0.8, 0.8], 'maximize', 2), 'continue', 'n=4 keeps 2; one value is strictly better');
    assert.equal(decide(0.8, [0.8, 0.8, 0.7], 'maximize', 2), 'continue');
  });

  it('ranks a non-finite value last and never lets one beat a finite value', () => {
    assert.equal(decide(Number.NaN, [1, 2]), 'stop');
    assert.equal(decide(Number.NaN, [1]), 'continue', 'still too few results');
    assert.equal(decide(3, [Number.NaN, Number.POSITIVE_INFINITY]), 'continue');
    assert.equal(decide(3, [Number.NaN, Number.NEGATIVE_INFINITY], 'maximize'), 'continue');
  });

  it('always lets the best trial continue, whatever the arrival order', () => {
    const values = [0.31, 0.12, 0.58, 0.44, 0.09, 0.77, 0.25, 0.66, 0.5];
    for (let shift = 0; shift < values.length; shift++) {
      const order = [...values.slice(shift), ...values.slice(0, shift)];
      const stopped = order.map((value, i) => decide(value, order.slice(0, i)));
      assert.equal(stopped[order.indexOf(0.09)], 'continue');
      assert.equal(stopped[order.indexOf(0.77)], order.indexOf(0.77) < 2 ? 'continue' : 'stop');
    }
  });

  it('rejects a bad rung or eta', () => {
    assert.throws(() => ashaDecision({ rung: 0, value: 1, goal: 'minimize', recorded: [], eta: 3 }), /rung/);
    assert.throws(() => ashaDecision({ rung: 10, value: 1, goal: 'minimize', recorded: [], eta: 1 }), /eta/);
  });
});
