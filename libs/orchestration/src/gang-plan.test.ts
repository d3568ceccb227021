import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseFollowers, comparePriority, reformMembers } from './gang-plan.js';
import type { GangPriority } from '@jvae/store';

const rank = (sweepCreatedAt: number, trialIndex: number, sweepId = 's'): GangPriority => ({ sweepCreatedAt, sweepId, trialIndex });

describe('comparePriority', () => {
  it('orders by sweep creation, then sweep id, then trial index', () => {
    assert.ok(comparePriority(rank(1, 9), rank(2, 0)) < 0);
    assert.ok(comparePriority(rank(1, 0, 'a'), rank(1, 0, 'b')) < 0);
    assert.ok(comparePriority(rank(1, 0), rank(1, 1)) < 0);
    assert.equal(comparePriority(rank(1, 1), rank(1, 1)), 0);
  });
});

describe('chooseFollowers', () => {
  it('claims idle workers up to max − 1', () => {
    const got = chooseFollowers(rank(1, 0), { min: 2, max: 3 }, [{ workerId: 'a' }, { workerId: 'b' }, { workerId: 'c' }]);
    assert.deepEqual(got, ['a', 'b']);
  });

  it('claims nothing when fewer than min − 1 are claimable', () => {
    assert.deepEqual(chooseFollowers(rank(1, 0), { min: 3, max: 3 }, [{ workerId: 'a' }]), []);
  });

  it('takes the leader of a younger forming gang, never of an older one', () => {
    // Two workers, two replicas-2 trials each led by one worker: only the older trial's leader can claim.
    const older = rank(1, 0);
    const younger = rank(1, 1);
    assert.deepEqual(chooseFollowers(older, { min: 2, max: 2 }, [{ workerId: 'w2', forming: younger }]), ['w2']);
    assert.deepEqual(chooseFollowers(younger, { min: 2, max: 2 }, [{ workerId: 'w1', forming: older }]), []);
  });

  it('prefers idle workers, then the youngest forming leaders', () => {
    const got = chooseFollowers(rank(1, 0), { min: 1, max: 3 }, [
      { workerId: 'mid', forming: rank(1, 2) },
      { workerId: 'young', forming: rank(1, 5) },
      { workerId: 'idle' },
    ]);
    assert.deepEqual(got, ['idle', 'young']);
  });

  it('refuses a bad range', () => {
    assert.throws(() => chooseFollowers(rank(1, 0), { min: 3, max: 2 }, []), /1 ≤ min ≤ max \(got min 3, max 2\)/);
  });
});

describe('reformMembers', () => {
  it('keeps the live members in rank order while at least min remain', () => {
    assert.deepEqual(reformMembers(['l', 'a', 'b'], new Set(['a']), { min: 1, max: 3 }), ['l', 'b']);
  });

  it('gives up when fewer than min remain', () => {
    assert.equal(reformMembers(['l', 'a'], new Set(['a']), { min: 2, max: 2 }), undefined);
  });
});
