import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng } from '@jvae/rng';
import { explore, pbtDecision, yieldsToPopulation, type PbtDecisionInput, type PbtMember } from './pbt.js';
import type { PbtMutation } from './spec.js';

/** Eight trials t0..t7 at step 100; t0 has the lowest loss. */
function population(): PbtMember[] {
  return Array.from({ length: 8 }, (_, i) => ({ trialId: `t${i}`, value: 1 + i / 10, step: 100 }));
}

function decide(trialId: string, overrides: Partial<PbtDecisionInput> = {}) {
  return pbtDecision({ trialId, step: 100, population: population(), goal: 'minimize', quantile: 0.25, seed: 7, ...overrides });
}

/** A stream that returns the given draws in turn. */
function draws(...values: number[]): () => number {
  return () => {
    const next = values.shift();
    assert.ok(next !== undefined, 'explore drew more often than expected');
    return next;
  };
}

describe('pbtDecision', () => {
  it('has a bottom trial exploit one of the top quantile', () => {
    for (const trialId of ['t6', 't7']) {
      const decision = decide(trialId);
      assert.equal(decision.action, 'exploit');
      assert.ok(decision.action === 'exploit' && ['t0', 't1'].includes(decision.from), JSON.stringify(decision));
    }
  });

  it('lets the top and the middle continue', () => {
    for (const trialId of ['t0', 't1', 't2', 't3', 't4', 't5']) assert.deepEqual(decide(trialId), { action: 'continue' });
  });

  it('ranks toward the goal', () => {
    assert.equal(decide('t0', { goal: 'maximize' }).action, 'exploit');
    assert.deepEqual(decide('t7', { goal: 'maximize' }), { action: 'continue' });
  });

  it('continues while the population is too small for a quantile of one', () => {
    const three = population().slice(0, 3);
    assert.deepEqual(decide('t2', { population: three }), { action: 'continue' });
    assert.equal(decide('t3', { population: population().slice(0, 4) }).action, 'exploit');
  });

  it('compares only with members that reported at its step or later', () => {
    // Six of the eight are still behind at step 50: the trial and one other make too few.
    const behind = population().map((m, i) => (i < 6 ? { ...m, step: 50 } : m));
    assert.deepEqual(decide('t7', { population: behind }), { action: 'continue' });
    const ahead = population().map((m) => ({ ...m, step: 150 }));
    assert.equal(decide('t7', { population: ahead }).action, 'exploit');
  });

  it('ranks a diverged trial last and never copies one', () => {
    const diverged = population().map((m) => (m.trialId === 't0' ? { ...m, value: Number.NaN } : m));
    assert.equal(decide('t0', { population: diverged }).action, 'exploit');
    assert.deepEqual(decide('t7', { population: diverged, quantile: 0.125 }), { action: 'continue' });
  });

  it('draws the donor reproducibly from the seed, the trial and the step', () => {
    const donor = (overrides: Partial<PbtDecisionInput>) => {
      const decision = decide('t7', overrides);
      assert.equal(decision.action, 'exploit');
      return decision.action === 'exploit' ? decision.from : '';
    };
    assert.equal(donor({ seed: 3 }), donor({ seed: 3 }));
    const bySeed = new Set(Array.from({ length: 32 }, (_, seed) => donor({ seed })));
    assert.deepEqual([...bySeed].sort(), ['t0', 't1']);
    const shuffled = population().reverse();
    assert.equal(donor({ seed: 3, population: shuffled }), donor({ seed: 3 }), 'order of the population does not matter');
  });

  it('rejects a quantile outside (0, 0.5] and a trial missing from the population', () => {
    assert.throws(() => decide('t7', { quantile: 0.6 }), /quantile must be in \(0, 0\.5\] \(got 0\.6\)/);
    assert.throws(() => decide('t7', { quantile: 0 }), /quantile/);
    assert.throws(() => decide('t9'), /trial t9 is not in the population/);
  });
});

describe('explore', () => {
  const mutations: Record<string, PbtMutation> = {
    lr: { factors: [0.8, 1.2], integer: false },
    batchSize: { factors: [0.5, 2], integer: true },
    formulation: { distribution: 'categorical', values: ['dupont', 'pytorch-vae'] },
    temperature: { distribution: 'uniform', min: 0.5, max: 1 },
  };
  const params = { lr: 1e-3, batchSize: 64, formulation: 'dupont', temperature: 0.67, 'latent.continuous': 10 };

  it('changes exactly the mutated paths and records from and to', () => {
    // lr × 1.2, batchSize × 0.5, formulation: no resample, so its only neighbour, temperature at 0.5 + 0.4 * 0.5.
    const { params: next, changes } = explore(params, mutations, draws(0.9, 0.1, 0.5, 0.4));
    assert.deepEqual(next, { lr: 1e-3 * 1.2, batchSize: 32, formulation: 'pytorch-vae', temperature: 0.7, 'latent.continuous': 10 });
    assert.deepEqual(changes, {
      lr: { from: 1e-3, to: 1e-3 * 1.2 },
      batchSize: { from: 64, to: 32 },
      formulation: { from: 'dupont', to: 'pytorch-vae' },
      temperature: { from: 0.67, to: 0.7 },
    });
    assert.deepEqual(Object.keys(changes), Object.keys(mutations));
    assert.equal(params.batchSize, 64, 'the input is left as it was');
  });

  it('rounds integer fields and keeps them at least 1', () => {
    const halve: Record<string, PbtMutation> = { batchSize: { factors: [0.3], integer: true } };
    assert.equal(explore({ batchSize: 10 }, halve, draws(0)).params.batchSize, 3);
    assert.equal(explore({ batchSize: 1 }, halve, draws(0)).params.batchSize, 1);
    assert.equal(explore({ lr: 1 }, { lr: { factors: [0.3], integer: false } }, draws(0)).params.lr, 0.3);
  });

  it('moves listed values to a neighbour, or resamples them', () => {
    const list: Record<string, PbtMutation> = { 'latent.continuous': { distribution: 'categorical', values: [4, 8, 16, 32] } };
    const move = (from: number, ...random: number[]) => explore({ 'latent.continuous': from }, list, draws(...random)).params['latent.continuous'];
    assert.equal(move(8, 0.5, 0.2), 4, 'down');
    assert.equal(move(8, 0.5, 0.7), 16, 'up');
    assert.equal(move(4, 0.5), 8, 'the first moves up without a draw');
    assert.equal(move(32, 0.5), 16, 'the last moves down');
    assert.equal(move(8, 0.1, 0.9), 32, 'resampled with probability 1/4');
    assert.equal(move(12, 0.3), 8, 'a value not in the list is resampled');
  });

  it('is reproducible with the same stream and varies with it', () => {
    const run = (seed: number) => explore(params, mutations, createRng(seed));
    assert.deepEqual(run(1), run(1));
    const lrs = new Set(Array.from({ length: 16 }, (_, seed) => run(seed).params.lr));
    assert.deepEqual([...lrs].sort(), [1e-3 * 0.8, 1e-3 * 1.2].sort());
    const temperatures = Array.from({ length: 16 }, (_, seed) => run(seed).params.temperature as number);
    assert.ok(temperatures.every((t) => t >= 0.5 && t < 1));
  });

  it('needs the current value of every mutated path', () => {
    assert.throws(() => explore({ lr: 1e-3 }, mutations, createRng(1)), /params has no value for batchSize/);
    assert.throws(() => explore({ lr: 'fast' }, { lr: mutations.lr! }, createRng(1)), /lr is "fast", which factors cannot multiply/);
  });
});

describe('yieldsToPopulation', () => {
  const standing = (trialId: string, state: 'queued' | 'running' | 'completed', step: number) => ({ trialId, state, step });

  it('gives the worker up while a queued member is behind the interval', () => {
    assert.equal(yieldsToPopulation('a', 100, [standing('a', 'running', 100), standing('b', 'queued', 0)]), true);
    assert.equal(yieldsToPopulation('a', 100, [standing('a', 'running', 100), standing('b', 'queued', 99)]), true);
  });

  it('goes on when the others are running, level with it, ahead, or finished', () => {
    const others = [standing('b', 'running', 0), standing('c', 'queued', 100), standing('d', 'queued', 200), standing('e', 'completed', 50)];
    assert.equal(yieldsToPopulation('a', 100, [standing('a', 'running', 100), ...others]), false);
    assert.equal(yieldsToPopulation('a', 100, [standing('a', 'queued', 0)]), false, 'never to itself');
  });
});
