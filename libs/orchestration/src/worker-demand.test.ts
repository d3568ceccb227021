import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workerDemand } from './worker-demand.js';

describe('workerDemand', () => {
  it('counts the ranks of queued and running trials', () => {
    assert.deepEqual(workerDemand([{ queued: 2, running: 2, ranksPerTrial: 1 }]), { desiredWorkers: 4, queuedRanks: 2, runningRanks: 2 });
    assert.deepEqual(workerDemand([{ queued: 0, running: 2, ranksPerTrial: 1 }]), { desiredWorkers: 2, queuedRanks: 0, runningRanks: 2 });
    assert.deepEqual(workerDemand([]), { desiredWorkers: 0, queuedRanks: 0, runningRanks: 0 });
  });

  it('asks for every rank of a data-parallel trial, over all sweeps', () => {
    const demand = workerDemand([
      { queued: 1, running: 1, ranksPerTrial: 4 },
      { queued: 3, running: 0, ranksPerTrial: 1 },
    ]);
    assert.deepEqual(demand, { desiredWorkers: 11, queuedRanks: 7, runningRanks: 4 });
  });

  it('counts only the queued trials a sweep lets start at once', () => {
    assert.equal(workerDemand([{ queued: 10, running: 1, ranksPerTrial: 2, maxConcurrent: 3 }]).queuedRanks, 4);
    assert.equal(workerDemand([{ queued: 10, running: 3, ranksPerTrial: 1, maxConcurrent: 3 }]).desiredWorkers, 3);
  });
});
