import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveTrainConfig } from '@jvae/model/config';
import { awaitsDonorCheckpoint, donorCheckpoint, inheritSchedule, pbtIntervals, planExploit, scheduleSegment, scheduleSettingPaths } from './pbt-schedule.js';

const base = resolveTrainConfig({ preset: 'mnist', steps: 400, seed: 11, capacity: { continuous: { max: 5, gamma: 30 } } });

describe('pbtIntervals', () => {
  it('lists every interval strictly before the last step', () => {
    assert.deepEqual(pbtIntervals(100, 400), [100, 200, 300]);
    assert.deepEqual(pbtIntervals(150, 400), [150, 300]);
    assert.deepEqual(pbtIntervals(400, 400), []);
  });
});

describe('scheduleSettingPaths', () => {
  it('lists swept parameters, then mutated paths, each once', () => {
    const paths = scheduleSettingPaths({
      parameters: { lr: { distribution: 'categorical', values: [1e-3] }, 'capacity.continuous.max': { distribution: 'categorical', values: [5] } },
      scheduler: { type: 'pbt', interval: 10, quantile: 0.25, mutations: { 'capacity.continuous.max': { factors: [2], integer: false }, 'capacity.discrete.gamma': { factors: [2], integer: false } } },
    });
    assert.deepEqual(paths, ['lr', 'capacity.continuous.max', 'capacity.discrete.gamma']);
  });
});

describe('inheritSchedule', () => {
  it('keeps the donor’s segments before the copied step and continues with the new one', () => {
    const paths = ['capacity.continuous.max'];
    const donor = [
      scheduleSegment('s.t1', 0, base, paths),
      scheduleSegment('s.t3', 100, resolveTrainConfig(base, { 'capacity.continuous.max': 10 }), paths),
      scheduleSegment('s.t1', 300, resolveTrainConfig(base, { 'capacity.continuous.max': 20 }), paths),
    ];
    const next = scheduleSegment('s.t0', 200, resolveTrainConfig(base, { 'capacity.continuous.max': 8 }), paths);
    const schedule = inheritSchedule(donor, next);
    assert.deepEqual(
      schedule.map((s) => [s.step, s.trialId, s.settings['capacity.continuous.max'], s.capacity.continuous.max]),
      [
        [0, 's.t1', 5, 5],
        [100, 's.t3', 10, 10],
        [200, 's.t0', 8, 8],
      ],
    );
    schedule[0]!.settings['capacity.continuous.max'] = 99;
    assert.equal(donor[0]!.settings['capacity.continuous.max'], 5, 'the donor’s schedule is copied, not shared');
  });
});

describe('planExploit', () => {
  const scheduler = {
    mutations: {
      'capacity.continuous.max': { factors: [0.8, 1.25], integer: false },
      'capacity.continuous.gamma': { distribution: 'categorical' as const, values: [10, 30, 100] },
    },
  };
  const donorConfig = resolveTrainConfig(base, { seed: 23, lr: 2e-3 });

  it('continues the donor’s config, seed included, with each mutated path perturbed from the donor’s value', () => {
    const plan = planExploit({ trialId: 's.t0', step: 200, seed: 5, donorConfig, scheduler });
    assert.equal(plan.config.seed, 23);
    assert.equal(plan.config.lr, 2e-3);
    assert.equal(plan.config.steps, 400);
    const max = plan.changes['capacity.continuous.max']!;
    assert.equal(max.from, 5);
    assert.ok(max.to === 4 || max.to === 6.25, `5 × 0.8 or 5 × 1.25, got ${String(max.to)}`);
    assert.equal(plan.config.capacity.continuous.max, max.to);
    const gamma = plan.changes['capacity.continuous.gamma']!;
    assert.equal(gamma.from, 30);
    assert.ok([10, 30, 100].includes(gamma.to as number));
    assert.equal(plan.config.capacity.continuous.gamma, gamma.to);
    // Everything not mutated is the donor's.
    assert.deepEqual({ ...plan.config, capacity: undefined }, { ...donorConfig, capacity: undefined });
    assert.deepEqual(plan.config.capacity.discrete, donorConfig.capacity.discrete);
  });

  it('perturbs the same way for the same trial and step, differently elsewhere', () => {
    const again = (trialId: string, step: number) => planExploit({ trialId, step, seed: 5, donorConfig, scheduler }).changes;
    assert.deepEqual(again('s.t0', 200), again('s.t0', 200));
    const seen = new Set(Array.from({ length: 12 }, (_, i) => JSON.stringify(again(`s.t${i}`, 100 * (i + 1)))));
    assert.ok(seen.size > 1, 'draws depend on the trial and the step');
  });
});

describe('donorCheckpoint', () => {
  const kept = (...steps: number[]) => steps.map((step) => ({ id: `c${step}`, step }));

  it('takes the latest checkpoint at or before the interval step', () => {
    assert.equal(donorCheckpoint(kept(100, 200), 200, 400)?.id, 'c200');
    assert.equal(donorCheckpoint(kept(200, 100), 250, 400)?.id, 'c200');
    assert.equal(donorCheckpoint(kept(100, 300), 200, 400)?.id, 'c100');
  });

  it('else the earliest later one, but never step 0 or the last step', () => {
    assert.equal(donorCheckpoint(kept(300, 350), 200, 400)?.id, 'c300');
    assert.equal(donorCheckpoint(kept(0, 300), 200, 400)?.id, 'c300');
    assert.equal(donorCheckpoint(kept(300, 400), 350, 400)?.id, 'c300');
    assert.equal(donorCheckpoint(kept(400), 300, 400), null);
    assert.equal(donorCheckpoint(kept(), 300, 400), null);
  });
});

describe('awaitsDonorCheckpoint', () => {
  it('waits while a live donor has stored nothing at or past the interval step', () => {
    assert.equal(awaitsDonorCheckpoint({ state: 'running', checkpointStep: 100 }, 200), true);
    assert.equal(awaitsDonorCheckpoint({ state: 'queued' }, 200), true);
    assert.equal(awaitsDonorCheckpoint({ state: 'running', checkpointStep: 200 }, 200), false);
    assert.equal(awaitsDonorCheckpoint({ state: 'running', checkpointStep: 300 }, 200), false);
  });

  it('never for a donor that trains no more', () => {
    for (const state of ['completed', 'failed', 'cancelled', 'stopped'] as const) {
      assert.equal(awaitsDonorCheckpoint({ state, checkpointStep: 100 }, 200), false, state);
    }
  });
});
