// Search and retries across processes: a bayes sweep whose later trials the coordinator
// suggests as earlier ones end, and a failed attempt that max_failures sends back to the
// queue, which succeeds once the cause is gone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeIdxDataset } from '@jvae/data';
import { Cluster, eventually } from './harness.js';

interface TrialJson {
  id: string;
  index: number;
  rank: number | null;
  state: string;
  metric: number | null;
  params: Record<string, unknown>;
  error: string | null;
  failures: { attempt: number; step: number; error: string; time: number }[];
}

interface SweepJson {
  state: string;
  bestTrialId: string | null;
  counts: Record<string, number>;
  trials: TrialJson[];
}

const STEPS = 20;
const RUN_CAP = 4;
const STARTUP = 2;
const LR = { min: 1e-4, max: 1e-2 };
// Long enough to see the retried trial waiting in the queue and fix its dataset meanwhile.
const RETRY_DELAY_MS = 4000;

let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start({ workerEnv: { JVAE_RETRY_DELAY_MS: String(RETRY_DELAY_MS) } });
});

after(async () => {
  await cluster?.close();
});

test('a bayes sweep completes', { timeout: 120_000 }, () =>
  cluster.explainFailure(async () => {
    const sweepId = await cluster.submit({
      ...cluster.spec({
        name: 'bayes',
        train: { steps: STEPS, checkpointEvery: 0 },
        parameters: { lr: { distribution: 'log_uniform_values', ...LR } },
      }),
      method: 'bayes',
      run_cap: RUN_CAP,
      bayes: { startup_trials: STARTUP },
    });
    const trials = (await cluster.waitForSweepEnd(sweepId)).sort((a, b) => a.index - b.index);

    assert.equal(trials.length, RUN_CAP);
    for (const trial of trials) {
      assert.equal(trial.state, 'completed', trial.id);
      assert.ok(typeof trial.metric === 'number' && Number.isFinite(trial.metric), `${trial.id} has a metric`);
      const lr = trial.params.lr as number;
      assert.ok(lr >= LR.min && lr < LR.max, `${trial.id}: lr ${lr} in the range`);
    }
    assert.equal(new Set(trials.map((t) => t.params.lr)).size, RUN_CAP, 'every trial tries another lr');
    // Bayes keeps only the start-up trials live at once, so each later one is suggested after
    // an earlier one ended: when trial k is created, at least k - 1 of the k before it have finished.
    for (const trial of trials.slice(STARTUP)) {
      const finishedBefore = trials.filter((t) => t.index < trial.index && t.finishedAt > 0 && t.finishedAt <= trial.createdAt);
      assert.ok(
        finishedBefore.length >= trial.index - 1,
        `trial ${trial.index} created at ${trial.createdAt}; finished: ${trials.map((t) => `${t.index}@${t.finishedAt}`).join(' ')}`,
      );
    }

    const status = await cluster.cliJson<SweepJson>(['sweep', 'status', sweepId]);
    assert.equal(status.state, 'completed');
    assert.equal(status.counts.completed, RUN_CAP);
    const best = [...trials].sort((a, b) => a.metric! - b.metric!)[0]!;
    assert.equal(status.bestTrialId, best.id);
    assert.equal(status.trials.find((t) => t.rank === 1)?.id, best.id);
    assert.deepEqual(
      status.trials.map((t) => t.rank),
      [1, 2, 3, 4],
      'trials are listed best first',
    );
  }),
);

test('a trial with max_failures: 1 fails once, then succeeds from a retry', { timeout: 120_000 }, () =>
  cluster.explainFailure(async () => {
    // The dataset directory does not exist yet: submitting only parses the reference, the worker's load fails.
    const lateDir = join(cluster.dir, 'late-data');
    const sweepId = await cluster.submit({
      ...cluster.spec({ name: 'retry', train: { steps: STEPS, checkpointEvery: 0 }, parameters: { lr: { value: 0.001 } } }),
      dataset: { name: `idx:${lateDir}` },
      max_failures: 1,
    });
    const created = await cluster.store.getTrials(sweepId);
    assert.equal(created.length, 1);
    const id = created[0]!.id;
    const waiting = await eventually(
      'the first attempt to fail and the trial to wait in the queue',
      async () => {
        const trial = await cluster.store.getTrial(id);
        return trial?.failures.length === 1 && trial.state === 'queued' ? trial : undefined;
      },
      60_000,
    );
    assert.equal(waiting.attempts, 1);
    await writeIdxDataset(lateDir);

    const [trial] = await cluster.waitForSweepEnd(sweepId);
    assert.equal(trial!.state, 'completed', trial!.error);
    assert.equal(trial!.step, STEPS);
    assert.equal(trial!.attempts, 2);
    assert.equal(trial!.error, undefined);
    assert.equal(trial!.failures.length, 1);
    const [failure] = trial!.failures;
    assert.equal(failure!.attempt, 1);
    assert.equal(failure!.step, 0);
    assert.ok(failure!.error.includes(lateDir) && /not a directory/.test(failure!.error), failure!.error);
    // The retry waited its delay in the queue before a worker took it again.
    assert.ok(trial!.finishedAt - failure!.time >= RETRY_DELAY_MS, `failed at ${failure!.time}, finished at ${trial!.finishedAt}`);

    const status = await cluster.cliJson<SweepJson>(['sweep', 'status', sweepId]);
    assert.equal(status.state, 'completed');
    const shown = status.trials.find((t) => t.id === id)!;
    assert.equal(shown.state, 'completed');
    assert.equal(shown.error, null);
    assert.deepEqual(shown.failures, [{ attempt: 1, step: 0, error: failure!.error, time: failure!.time }]);
  }),
);
