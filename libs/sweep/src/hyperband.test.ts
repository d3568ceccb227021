import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hyperbandBracketOf, hyperbandBrackets, hyperbandRungs } from './hyperband.js';

const classic = { min_steps: 1, max_steps: 81, eta: 3 };

describe('hyperbandBrackets', () => {
  it('lays out the classic table for R = 81, eta = 3', () => {
    const brackets = hyperbandBrackets(classic);
    // Li et al. 2017, table 1: n_i = 81, 34, 15, 8, 5 trials starting at r_i = 1, 3, 9, 27, 81.
    assert.deepEqual(
      brackets.map(({ s, rungs, trials }) => ({ s, rungs, trials })),
      [
        { s: 0, rungs: [], trials: 5 },
        { s: 1, rungs: [27], trials: 8 },
        { s: 2, rungs: [9, 27], trials: 15 },
        { s: 3, rungs: [3, 9, 27], trials: 34 },
        { s: 4, rungs: [1, 3, 9, 27], trials: 81 },
      ],
    );
    assert.deepEqual(brackets.map((b) => b.share), [5 / 143, 8 / 143, 15 / 143, 34 / 143, 81 / 143]);
  });

  it('scales rungs by min_steps and stops below max_steps when the ratio is not a power of eta', () => {
    // 100 * 2^3 = 800 ≤ 1000 < 1600: s_max = 3; sizes ceil(4 / (s + 1) * 2^s) = 4, 4, 6, 8.
    assert.deepEqual(
      hyperbandBrackets({ min_steps: 100, max_steps: 1000, eta: 2 }).map(({ rungs, trials }) => [rungs, trials]),
      [
        [[], 4],
        [[400], 4],
        [[200, 400], 6],
        [[100, 200, 400], 8],
      ],
    );
    assert.deepEqual(
      hyperbandBrackets({ min_steps: 10, max_steps: 20, eta: 3 }).map(({ rungs, trials }) => [rungs, trials]),
      [[[], 1]],
      'below one halving it is plain training',
    );
  });

  it('rejects settings that make no brackets', () => {
    assert.throws(() => hyperbandBrackets({ min_steps: 0, max_steps: 81, eta: 3 }), /min_steps must be an integer ≥ 1 \(got 0\)/);
    assert.throws(() => hyperbandBrackets({ min_steps: 81, max_steps: 81, eta: 3 }), /max_steps must be an integer above min_steps 81 \(got 81\)/);
    assert.throws(() => hyperbandBrackets({ min_steps: 1, max_steps: 81, eta: 1.5 }), /eta must be an integer ≥ 2 \(got 1.5\)/);
  });
});

describe('hyperbandBracketOf', () => {
  const brackets = hyperbandBrackets(classic);

  it('deals one round of 143 trials within one of the table', () => {
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 143; i++) counts[hyperbandBracketOf(i, brackets)]!++;
    counts.forEach((count, s) => assert.ok(Math.abs(count - brackets[s]!.trials) <= 1, `bracket ${s}: ${count} trials`));
  });

  it('keeps any run of consecutive trials close to the shares', () => {
    for (const start of [0, 500, 9000]) {
      const counts = [0, 0, 0, 0, 0];
      for (let i = start; i < start + 50; i++) counts[hyperbandBracketOf(i, brackets)]!++;
      counts.forEach((count, s) => assert.ok(Math.abs(count - 50 * brackets[s]!.share) < 3, `trials ${start}+: bracket ${s} has ${count}`));
    }
  });

  it('is a function of the index alone', () => {
    const first = Array.from({ length: 12 }, (_, i) => hyperbandBracketOf(i, brackets));
    assert.deepEqual(first, [0, 4, 3, 4, 4, 1, 4, 3, 4, 4, 2, 4]);
    assert.deepEqual(Array.from({ length: 12 }, (_, i) => hyperbandBracketOf(i, hyperbandBrackets(classic))), first);
  });

  it('rejects a bad index and an empty bracket list', () => {
    assert.throws(() => hyperbandBracketOf(-1, brackets), /trialIndex must be an integer ≥ 0 \(got -1\)/);
    assert.throws(() => hyperbandBracketOf(0.5, brackets), /trialIndex/);
    assert.throws(() => hyperbandBracketOf(0, []), /no brackets/);
  });
});

describe('hyperbandRungs', () => {
  it("gives the rungs of the trial's bracket", () => {
    assert.deepEqual(hyperbandRungs(classic, 0, 81), []);
    assert.deepEqual(hyperbandRungs(classic, 1, 81), [1, 3, 9, 27]);
    assert.deepEqual(hyperbandRungs(classic, 2, 81), [3, 9, 27]);
    assert.deepEqual(hyperbandRungs(classic, 5, 81), [27]);
  });

  it("drops rungs at or past the trial's own steps", () => {
    assert.deepEqual(hyperbandRungs(classic, 1, 27), [1, 3, 9]);
    assert.deepEqual(hyperbandRungs(classic, 1, 10), [1, 3, 9]);
    assert.deepEqual(hyperbandRungs(classic, 1, 1), []);
    assert.deepEqual(hyperbandRungs(classic, 1, 500), [1, 3, 9, 27]);
  });
});
