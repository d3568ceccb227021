import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareMetric } from './metrics.js';
import { bestTrial, rankTrials, type RankableTrial } from './rank.js';

const trials: Array<RankableTrial & { note: string }> = [
  { id: 't10', state: 'completed', metric: 0.5, note: 'kept' },
  { id: 't2', state: 'completed', metric: 0.5 },
  { id: 't3', state: 'completed', metric: 0.9 },
  { id: 't4', state: 'stopped', metric: 0.1 },
  { id: 't5', state: 'running', metric: 0.05 },
  { id: 't6', state: 'failed' },
  { id: 't7', state: 'completed' },
  { id: 't8', state: 'stopped', metric: 0.95 },
  { id: 't9', state: 'completed', metric: Number.NaN },
  { id: 't1', state: 'queued' },
].map((t) => ({ note: '', ...t })) as Array<RankableTrial & { note: string }>;

const ids = (list: readonly RankableTrial[]) => list.map((t) => t.id);

describe('compareMetric', () => {
  it('puts the better value first for each goal, non-finite values last', () => {
    assert.ok(compareMetric(1, 2, 'minimize') < 0);
    assert.ok(compareMetric(1, 2, 'maximize') > 0);
    assert.ok(compareMetric(Number.NaN, 2, 'minimize') > 0);
    assert.ok(compareMetric(Number.NEGATIVE_INFINITY, 2, 'minimize') > 0);
    assert.equal(compareMetric(Number.NaN, Number.NaN, 'maximize'), 0);
  });
});

describe('rankTrials', () => {
  it('orders completed, then stopped, then running by metric; trials without one last; ties by id', () => {
    assert.deepEqual(ids(rankTrials(trials, 'minimize')), ['t2', 't10', 't3', 't4', 't8', 't5', 't7', 't9', 't1', 't6']);
    assert.deepEqual(ids(rankTrials(trials, 'maximize')), ['t3', 't2', 't10', 't8', 't4', 't5', 't7', 't9', 't1', 't6']);
  });

  it('returns the same objects without reordering its input', () => {
    const before = ids(trials);
    const ranked = rankTrials(trials, 'minimize');
    assert.deepEqual(ids(trials), before);
    assert.equal(ranked.find((t) => t.id === 't10')?.note, 'kept');
  });
});

describe('bestTrial', () => {
  it('is the best completed trial with a metric, for either goal', () => {
    assert.equal(bestTrial(trials, 'minimize')?.id, 't2');
    assert.equal(bestTrial(trials, 'maximize')?.id, 't3');
  });

  it('falls back to the best stopped trial, and is undefined without results', () => {
    const noneCompleted = trials.filter((t) => t.state !== 'completed');
    assert.equal(bestTrial(noneCompleted, 'minimize')?.id, 't4');
    assert.equal(bestTrial(noneCompleted, 'maximize')?.id, 't8');
    assert.equal(bestTrial(trials.filter((t) => t.state === 'running' || t.state === 'failed'), 'minimize'), undefined);
    assert.equal(bestTrial([], 'minimize'), undefined);
  });
});
