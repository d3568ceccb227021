// A sweep from submit to best checkpoint, through the CLI, on a coordinator and two worker
// processes: the JSON the CLI prints, the ranking, and the verified checkpoint download.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Cluster, fileHashes } from './harness.js';

interface TrialJson {
  id: string;
  index: number;
  rank: number | null;
  state: string;
  step: number;
  totalSteps: number;
  metric: number | null;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  workers: string[];
  error: string | null;
  checkpoint: CheckpointJson | null;
}

interface CheckpointJson {
  id: string;
  trialId: string;
  step: number;
  files: { path: string; size: number; sha256: string }[];
}

interface SweepJson {
  id: string;
  name: string;
  state: string;
  metric: string;
  goal: string;
  bestTrialId: string | null;
  counts: Record<string, number>;
  trials: TrialJson[];
}

const STEPS = 20;
const LRS = [0.001, 0.002, 0.003, 0.004];

let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start();
});

after(async () => {
  await cluster?.close();
});

/** Checks a downloaded checkpoint directory file by file against the manifest the coordinator listed. */
async function assertCheckpointVerifies(dir: string, checkpoint: CheckpointJson, trialId: string): Promise<void> {
  const onDisk = await fileHashes(dir);
  assert.deepEqual(
    [...onDisk.keys()],
    checkpoint.files.map((f) => f.path).sort((a, b) => a.localeCompare(b)),
    'the directory holds exactly the files of the manifest',
  );
  for (const file of checkpoint.files) assert.equal(onDisk.get(file.path), file.sha256, `${file.path} matches its SHA-256`);
  // The checkpoint's own manifest (written by the trainer) agrees with the bytes too.
  const own = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { files: { path: string; sha256: string }[] };
  assert.ok(own.files.length >= 5, 'model, weights and optimizer files are listed');
  for (const file of own.files) assert.equal(onDisk.get(file.path), file.sha256, `manifest.json entry ${file.path}`);
  const trial = JSON.parse(await readFile(join(dir, 'trial.json'), 'utf8')) as { trialId: string; step: number };
  assert.equal(trial.trialId, trialId);
  assert.equal(trial.step, checkpoint.step);
}

test('a 4-trial sweep completes; submit/status print the documented JSON; best and fetch give verified checkpoints', { timeout: 240_000 }, () =>
  cluster.explainFailure(async () => {
    const specPath = await cluster.writeSpec(cluster.spec({ name: 'lifecycle', train: { steps: STEPS }, parameters: { lr: { values: LRS } } }));
    const submitted = await cluster.cli(['sweep', 'submit', specPath, '--json']);
    assert.equal(submitted.code, 0, submitted.stderr);
    assert.match(submitted.stdout, /^\{"id":"[A-Za-z0-9._-]+"\}\n$/, 'stdout is exactly one {id} object');
    const { id } = JSON.parse(submitted.stdout) as { id: string };
    assert.deepEqual(Object.keys(JSON.parse(submitted.stdout)), ['id']);

    await cluster.waitForSweepEnd(id);
    const sweep = await cluster.cliJson<SweepJson>(['sweep', 'status', id]);
    // Trials come best first; in index order they are easier to check one by one.
    sweep.trials.sort((a, b) => a.index - b.index);

    // The documented shape: {id, name, state, metric, goal, bestTrialId, counts, totalTrials, trials: [{id, rank, state, step, metric, params, ...}]}.
    assert.equal(sweep.id, id);
    assert.equal(sweep.name, 'lifecycle');
    assert.equal(sweep.state, 'completed');
    assert.equal(sweep.metric, 'loss');
    assert.equal(sweep.goal, 'minimize');
    assert.deepEqual(sweep.counts, { queued: 0, running: 0, completed: 4, stopped: 0, failed: 0, cancelled: 0 });
    assert.equal(sweep.trials.length, 4);
    sweep.trials.forEach((trial, index) => {
      assert.equal(typeof trial.id, 'string');
      assert.equal(trial.index, index);
      assert.equal(trial.state, 'completed');
      assert.equal(trial.step, STEPS);
      assert.equal(trial.totalSteps, STEPS);
      assert.ok(typeof trial.metric === 'number' && Number.isFinite(trial.metric), `trial ${trial.id} has a metric`);
      assert.equal(trial.metrics.loss, trial.metric);
      assert.deepEqual(trial.params, { lr: LRS[index] });
      assert.equal(trial.error, null);
      assert.equal(trial.checkpoint?.step, STEPS);
    });
    // The trials were spread over both workers of the pool.
    for (const worker of cluster.workers) {
      const completedHere = sweep.trials.filter((t) => worker.output.includes(`trial ${t.id}: completed at step ${STEPS}`));
      assert.ok(completedHere.length > 0, `${worker.name} completed a trial:\n${worker.output}`);
    }

    // The expected best, computed here from the status: the lowest loss.
    const expected = [...sweep.trials].sort((a, b) => a.metric! - b.metric!)[0]!;
    assert.equal(sweep.bestTrialId, expected.id);
    assert.equal(sweep.trials.find((t) => t.rank === 1)?.id, expected.id);

    const bestDir = join(cluster.dir, 'best');
    const best = await cluster.cliJson<{ trial: TrialJson; checkpoint: CheckpointJson; value: number; path: string }>([
      'checkpoints', 'best', id, '--out', bestDir,
    ]);
    assert.equal(best.trial.id, expected.id);
    assert.equal(best.value, expected.metric);
    assert.equal(best.path, bestDir);
    assert.equal(best.checkpoint.trialId, expected.id);
    assert.equal(best.checkpoint.step, STEPS);
    await assertCheckpointVerifies(bestDir, best.checkpoint, expected.id);

    const worst = sweep.trials.find((t) => t.id !== expected.id)!;
    const fetchDir = join(cluster.dir, 'fetched');
    const fetched = await cluster.cliJson<{ path: string; checkpoint: CheckpointJson }>(['checkpoints', 'fetch', worst.id, '--out', fetchDir]);
    assert.equal(fetched.checkpoint.trialId, worst.id);
    assert.equal(fetched.checkpoint.id, worst.checkpoint!.id);
    await assertCheckpointVerifies(fetchDir, fetched.checkpoint, worst.id);
  }),
);
