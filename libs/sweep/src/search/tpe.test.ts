import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandTrials } from '../expand-trials.js';
import type { ParamValue, ParameterSpec } from '../spec.js';
import { validateSweepSpec } from '../validate-spec.js';
import { suggestTpe, type Observation, type TpeOptions } from './tpe.js';

type Objective = (params: Record<string, ParamValue>) => number;

/** `trials` suggestions one after another, each observed before the next. */
function runSequential(
  space: Record<string, ParameterSpec>,
  objective: Objective,
  trials: number,
  options: Omit<TpeOptions, 'index'>,
): Observation[] {
  const observations: Observation[] = [];
  for (let index = 0; index < trials; index++) {
    const params = suggestTpe(space, observations, [], { ...options, index });
    observations.push({ params, value: objective(params) });
  }
  return observations;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[(sorted.length - 1) >> 1]! + sorted[sorted.length >> 1]!) / 2;
}

const unit: Record<string, ParameterSpec> = { x: { distribution: 'uniform', min: 0, max: 1 } };
const parabola: Objective = (p) => ((p.x as number) - 0.3) ** 2;

describe('suggestTpe', () => {
  it('concentrates its suggestions near the optimum of a 1-D function', () => {
    for (const seed of [1, 2, 3]) {
      const observations = runSequential(unit, parabola, 30, { seed, startupTrials: 10 });
      const last = observations.slice(-10).map((o) => o.params.x as number);
      assert.ok(Math.abs(median(last) - 0.3) < 0.1, `seed ${seed}: median of the last 10 is ${median(last)}`);
    }
  });

  it('chooses the categorical value that is always best most often after startup', () => {
    const space: Record<string, ParameterSpec> = {
      optimizer: { distribution: 'categorical', values: ['sgd', 'adam', 'rmsprop', 'adagrad'] },
      x: { distribution: 'uniform', min: 0, max: 1 },
    };
    const objective: Objective = (p) => (p.optimizer === 'adam' ? 0 : 1) + 0.1 * (p.x as number);
    const observations = runSequential(space, objective, 40, { seed: 5, startupTrials: 10 });
    const counts = new Map<ParamValue, number>();
    for (const o of observations.slice(10)) counts.set(o.params.optimizer!, (counts.get(o.params.optimizer!) ?? 0) + 1);
    const [top] = [...counts].sort((a, b) => b[1] - a[1]);
    assert.equal(top![0], 'adam', `counts after startup: ${JSON.stringify([...counts])}`);
    assert.ok(top![1] > 15, `adam chosen ${top![1]} times of 30`);
  });

  it('keeps int and log ranges in bounds, ints integral, constants and JSON choices as written', () => {
    const space: Record<string, ParameterSpec> = {
      layers: { distribution: 'int_uniform', min: 1, max: 5 },
      lr: { distribution: 'log_uniform_values', min: 1e-5, max: 1e-1 },
      shape: { distribution: 'categorical', values: [{ width: 8 }, { width: 16 }, [1, 2]] },
      batchSize: { value: 32 },
    };
    const objective: Objective = (p) =>
      ((p.layers as number) - 5) ** 2 + (Math.log10(p.lr as number) + 1) ** 2 + (JSON.stringify(p.shape) === '[1,2]' ? 0 : 1);
    const observations = runSequential(space, objective, 40, { seed: 9, startupTrials: 10 });
    for (const { params } of observations) {
      const layers = params.layers as number;
      const lr = params.lr as number;
      assert.ok(Number.isInteger(layers) && layers >= 1 && layers <= 5, `layers ${layers}`);
      assert.ok(lr >= 1e-5 && lr <= 1e-1, `lr ${lr}`);
      assert.ok(['{"width":8}', '{"width":16}', '[1,2]'].includes(JSON.stringify(params.shape)), `shape ${JSON.stringify(params.shape)}`);
      assert.equal(params.batchSize, 32);
    }
    // Both ends of the int range are reachable: the optimum sits on the upper one.
    assert.ok(observations.slice(10).some((o) => o.params.layers === 5));
    // A suggested object is a copy: changing it leaves the space as written.
    for (const { params } of observations) (params.shape as ParamValue[]).reverse?.();
    assert.deepEqual((space.shape as { values: ParamValue[] }).values, [{ width: 8 }, { width: 16 }, [1, 2]]);
  });

  it('gives the same suggestion for the same inputs and another for another index', () => {
    const first = runSequential(unit, parabola, 25, { seed: 4, startupTrials: 10 });
    const second = runSequential(unit, parabola, 25, { seed: 4, startupTrials: 10 });
    assert.deepEqual(first, second);
    const history = first.slice(0, 20);
    const a = suggestTpe(unit, history, [], { seed: 4, index: 20, startupTrials: 10 });
    const b = suggestTpe(unit, history, [], { seed: 4, index: 21, startupTrials: 10 });
    assert.notDeepEqual(a, b);
  });

  it('moves away from a pending trial: a second suggestion with the first running differs', () => {
    const history = runSequential(unit, parabola, 15, { seed: 7, startupTrials: 10 });
    const options = { seed: 7, index: 15, startupTrials: 10 };
    const first = suggestTpe(unit, history, [], options);
    // Same seed and index, so the same candidates: only the pending point can change the choice.
    const second = suggestTpe(unit, history, [first], options);
    assert.notDeepEqual(second, first);
  });

  it('draws the startup trials exactly as random search does', () => {
    const spec = validateSweepSpec({
      name: 'random',
      method: 'random',
      run_cap: 6,
      seed: 21,
      train: { steps: 500 },
      parameters: {
        formulation: { values: ['pytorch-vae', 'dupont'] },
        'capacity.continuous.max': { distribution: 'uniform', min: 5, max: 15 },
        'latent.continuous': { distribution: 'int_uniform', min: 3, max: 8 },
        lr: { distribution: 'log_uniform_values', min: 1e-4, max: 3e-3 },
      },
    });
    const observations: Observation[] = [];
    for (const trial of expandTrials(spec)) {
      const params = suggestTpe(spec.parameters, observations, [], { seed: spec.seed, index: trial.index, startupTrials: 6 });
      assert.deepEqual(params, trial.params);
      observations.push({ params, value: trial.index });
    }
  });

  it('ranks a value that is not finite as the worst', () => {
    const history = (bad: number): Observation[] =>
      Array.from({ length: 12 }, (_, i) => ({ params: { x: i / 12 }, value: i === 4 ? bad : parabola({ x: i / 12 }) }));
    const options = { seed: 2, index: 12, startupTrials: 10 };
    // x = 4/12 is the best point; diverged there, it must count as the worst rather than the best.
    assert.deepEqual(suggestTpe(unit, history(NaN), [], options), suggestTpe(unit, history(Infinity), [], options));
    assert.notDeepEqual(suggestTpe(unit, history(NaN), [], options), suggestTpe(unit, history(parabola({ x: 4 / 12 })), [], options));
  });

  it('names the trial and parameter whose value does not fit the space, and bad options', () => {
    const history: Observation[] = [{ params: { x: 0.5 }, value: 1 }, { params: { x: 1.5 }, value: 2 }];
    assert.throws(
      () => suggestTpe(unit, history, [], { seed: 1, index: 2, startupTrials: 0 }),
      (err: Error) => err instanceof RangeError && /observation 1: parameter 'x' = 1\.5 is outside \[0, 1\]/.test(err.message),
    );
    assert.throws(
      () => suggestTpe(unit, [], [{ x: 'a' }], { seed: 1, index: 1, startupTrials: 0 }),
      /pending trial 0: parameter 'x' = "a" is not a finite number/,
    );
    assert.throws(() => suggestTpe(unit, [], [], { seed: 1, index: 0, startupTrials: 0, gamma: 0 }), /gamma must be in \(0, 1\]/);
    assert.throws(() => suggestTpe(unit, [], [], { seed: 1, index: 0, startupTrials: 0, candidates: 0 }), /candidates must be a positive integer/);
  });
});
