// ASHA early stopping across processes: the workers report evaluations, the coordinator
// compares them at the rungs and asks the losers to stop, the workers obey.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from './harness.js';

const STEPS = 30;
const RUNG = 10;
// One rung, at step 10 (30 is the last step): a trial goes on only if it is in the top third so far.
const ASHA = { type: 'asha', min_steps: RUNG, eta: 3 } as const;
// The two good trials come first in the grid, so the two workers take them first and they
// reach the first rung before the others start. The others barely move from the initial
// weights in 10 steps, so their loss there is clearly the worst.
const GOOD = [0.003, 0.002];
const TINY = [1e-9, 2e-9];

let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start();
});

after(async () => {
  await cluster?.close();
});

test('ASHA stops the trials that are worst at the first rung; the good ones complete', { timeout: 180_000 }, () =>
  cluster.explainFailure(async () => {
    const sweepId = await cluster.submit(
      cluster.spec({
        name: 'asha',
        train: { steps: STEPS, evalEvery: RUNG, checkpointEvery: 0 },
        early_terminate: ASHA,
        parameters: { lr: { values: [...GOOD, ...TINY] } },
      }),
    );
    const trials = await cluster.waitForSweepEnd(sweepId, 150_000);
    const rung = await cluster.store.rungValues(sweepId, RUNG);
    const good = trials.slice(0, GOOD.length);
    const losers = trials.slice(GOOD.length);

    // The premise: at the rung, each loser's loss is worse than every good trial's.
    for (const loser of losers) {
      for (const winner of good) assert.ok(rung[loser.id]! > rung[winner.id]!, `rung ${RUNG}: ${JSON.stringify(rung)}`);
    }
    for (const loser of losers) {
      assert.equal(loser.state, 'stopped', loser.id);
      assert.ok(loser.step >= RUNG && loser.step < STEPS, `${loser.id} stopped soon after the rung (step ${loser.step})`);
      assert.equal(loser.error, undefined);
    }
    for (const winner of good) {
      assert.equal(winner.state, 'completed', winner.id);
      assert.equal(winner.step, STEPS);
    }
    const status = await cluster.cliJson<{ state: string; counts: Record<string, number>; trials: { id: string; state: string }[] }>([
      'sweep', 'status', sweepId,
    ]);
    assert.equal(status.state, 'completed');
    assert.deepEqual(status.trials.map((t) => t.state), ['completed', 'completed', 'stopped', 'stopped']);
    assert.equal(status.counts.stopped, 2);
  }),
);
