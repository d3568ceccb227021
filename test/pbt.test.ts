// Population based training across processes: four trials on two workers take turns interval
// by interval; once all four are measured at an interval, the worse half continues from the
// better half's checkpoints with perturbed settings. The coordinator and a worker are killed
// right after the first exploit: it stands, and the sweep completes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, eventually } from './harness.js';

const STEPS = 40;
const INTERVAL = 10;
// Grid order: two learning rates that train, two that barely move, so that the workers take a
// good and a poor trial first and the poor ones are the bottom half at the first interval.
const LRS = [3e-3, 1e-9, 2e-3, 2e-9];

let cluster: Cluster;

before(async () => {
  // A short lock, so the killed worker's job is found stalled within seconds.
  cluster = await Cluster.start({ workers: 2, lockMs: 3000 });
});

after(async () => {
  await cluster?.close();
});

test('PBT: the worst trials continue from the best ones’ checkpoints, perturbed; exploits survive kills', { timeout: 240_000 }, () =>
  cluster.explainFailure(async () => {
    const sweepId = await cluster.submit({
      ...cluster.spec({
        name: 'pbt',
        train: { steps: STEPS, evalEvery: INTERVAL, checkpointEvery: INTERVAL },
        parameters: { lr: { values: LRS } },
        seed: 3,
      }),
      run_cap: LRS.length,
      scheduler: {
        type: 'pbt',
        interval: INTERVAL,
        quantile: 0.5,
        mutations: { lr: { factors: [0.8, 1.25] }, 'capacity.continuous.max': { values: [2, 5, 10] } },
      },
    });

    const first = await eventually('a first exploit', async () => {
      const trials = await cluster.store.getTrials(sweepId);
      const exploited = trials.find((t) => t.lineage.length > 0);
      return exploited ? { trialId: exploited.id, entry: exploited.lineage[0]! } : undefined;
    }, 120_000);
    await Promise.all([cluster.coordinator!.kill('SIGKILL'), cluster.workers[0]!.kill('SIGKILL')]);
    await cluster.startCoordinator();
    await cluster.startWorker('w3');

    const trials = await cluster.waitForSweepEnd(sweepId, 180_000);
    for (const trial of trials) {
      assert.equal(trial.state, 'completed', `${trial.id}: ${trial.error ?? ''}`);
      assert.equal(trial.step, STEPS);
      const decided = trial.lineage.map((e) => e.decidedAt);
      assert.equal(new Set(decided).size, decided.length, `${trial.id}: one exploit per interval at most, replays included`);
    }
    const byId = new Map(trials.map((t) => [t.id, t]));
    const log = cluster.logs();
    // Two workers, four trials: the first two wait at the first interval for the two behind them.
    for (const trial of trials.slice(0, 2)) {
      assert.match(log, new RegExp(`trial ${trial.id}: back to the queue at step ${INTERVAL}: PBT: population members behind it go first`));
    }

    // The first exploit stands as recorded before the kills.
    const exploited = byId.get(first.trialId)!;
    assert.deepEqual(exploited.lineage[0], first.entry);
    const { entry } = first;
    assert.equal(entry.decidedAt, INTERVAL);
    assert.ok(entry.step > 0 && entry.step <= INTERVAL, `continues from a step of the run, not from 0 (step ${entry.step})`);
    assert.notEqual(entry.from, first.trialId);
    assert.ok(LRS.indexOf(byId.get(entry.from)!.params.lr as number) % 2 === 0, `copied a trial that trains (${entry.from})`);
    const lr = entry.changes.lr!;
    assert.ok([0.8, 1.25].some((f) => Math.abs((lr.to as number) - (lr.from as number) * f) < 1e-12), JSON.stringify(lr));

    // Every exploit continued from the copied step: the next attempt trained from there, and the
    // evaluations after it are past that step.
    const exploits = trials.flatMap((t) => t.lineage.map((e) => ({ trial: t, entry: e })));
    for (const { trial, entry: e } of exploits) {
      assert.ok(
        new RegExp(`trial ${trial.id}: training .* from step ${e.step} to ${STEPS}`).test(log),
        `${trial.id} resumed at step ${e.step} after exploiting ${e.from}`,
      );
    }
    // The schedule of the exploited trial: the donor's history to the copied step, then its own.
    const last = exploited.lineage.at(-1)!;
    const schedule = exploited.schedule;
    assert.deepEqual(schedule.at(-1)!.trialId, exploited.id);
    assert.equal(schedule.at(-1)!.step, last.step);
    assert.equal(schedule.at(-1)!.settings.lr, exploited.config.lr);
    assert.equal(schedule.at(-1)!.capacity.continuous.max, exploited.config.capacity.continuous.max);
    assert.equal(schedule[0]!.step, 0);
    assert.ok(schedule.every((s, i) => i === 0 || s.step > schedule[i - 1]!.step), JSON.stringify(schedule));

    // Read back as a user does.
    const status = await cluster.cliJson<{
      bestTrialId: string;
      bestSchedule: { step: number; trial: string; settings: Record<string, unknown> }[];
      trials: { id: string; lineage: { step: number; from: string; changes: Record<string, unknown> }[] }[];
    }>(['sweep', 'status', sweepId]);
    const shown = status.trials.find((t) => t.id === exploited.id)!;
    assert.deepEqual(
      shown.lineage.map((e) => [e.step, e.from, e.changes]),
      exploited.lineage.map((e) => [e.step, e.from, e.changes]),
    );
    const best = byId.get(status.bestTrialId)!;
    assert.deepEqual(
      status.bestSchedule.map((s) => [s.step, s.trial, s.settings]),
      best.schedule.map((s) => [s.step, s.trialId, s.settings]),
    );
  }),
);
