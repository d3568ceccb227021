// GET /api/trials/:id/traversals on a real coordinator (real Redis, checkpoints uploaded over
// gRPC), and the grid cache of TrialTraversals with a counting renderer.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { JointVae, latentTraversal, type TraversalGrid } from '@jvae/model';
import { PRESETS } from '@jvae/model/config';
import { newCheckpointId, SweepStore } from '@jvae/store';
import { CHECKPOINT_VERSION, writeCheckpoint, type EvalMetrics } from '@jvae/train';
import { ArtifactStore } from '../artifacts/artifact-store.js';
import { REDIS_URL, TEST_WORKER, TOKEN, cleanUp, sha256, specText, startTestCoordinator, startTrial, testSettings, uploadChunks, type TestCoordinator } from '../testing.js';
import { categoryLabelsOf, type CheckpointTraversals, type TraversalRenderer } from './checkpoint-traversal-renderer.js';
import { TrialTraversals, type TraversalsResponse } from './trial-traversals.js';

const CONFIG = PRESETS.mnist;
const settings = testSettings();
let coordinator: TestCoordinator;
let redis: Redis;
let store: SweepStore;
let scratch: string;

before(async () => {
  coordinator = await startTestCoordinator(settings);
  redis = new Redis(REDIS_URL);
  store = new SweepStore(redis, settings.prefix);
  scratch = await mkdtemp(join(tmpdir(), 'jvae-traversals-'));
});

after(async () => {
  await coordinator.close();
  await cleanUp(settings);
  redis.disconnect();
  await rm(scratch, { recursive: true, force: true });
});

async function newTrial(): Promise<string> {
  const { id } = await coordinator.client.submitSweep({ spec: specText(1, 'traversals-test') });
  const trial = (await store.trialIds(id))[0]!;
  await startTrial(store, trial);
  return trial;
}

/** Every file under `dir` by relative path. */
async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
  return new Map(await Promise.all(files.sort().map(async (path) => [path, await readFile(join(dir, path))] as const)));
}

/** Puts `config` into the checkpoint's trial.json, and the manifest's entry in line with it. */
function withTrialConfig(files: Map<string, Buffer>, config: unknown): Map<string, Buffer> {
  const trial = Buffer.from(JSON.stringify({ ...JSON.parse(files.get('trial.json')!.toString()), config }));
  const manifest = JSON.parse(files.get('manifest.json')!.toString()) as { files: { path: string; size: number; sha256: string }[] };
  Object.assign(manifest.files.find((f) => f.path === 'trial.json')!, { size: trial.length, sha256: sha256(trial) });
  return new Map([...files, ['trial.json', trial], ['manifest.json', Buffer.from(JSON.stringify(manifest))]]);
}

/**
 * Writes a real checkpoint of a model drawn from `seed` and uploads it as the trial's checkpoint
 * at `step`; with `trialConfig`, its trial.json holds that config instead of the model's.
 */
async function uploadCheckpoint(
  trialId: string,
  step: number,
  seed: number,
  metrics: EvalMetrics | null = null,
  trialConfig?: unknown,
): Promise<Float32Array> {
  const dir = join(scratch, `${trialId}-${step}`);
  const model = JointVae.create(CONFIG, seed);
  const weights = model.getWeights();
  try {
    await writeCheckpoint(
      dir,
      {
        trial: { version: CHECKPOINT_VERSION, config: CONFIG, step, seed, metrics, dataCursor: { epoch: 0, index: 0 } },
        weights,
        optimizer: { t: step, m: new Float32Array(model.size), v: new Float32Array(model.size) },
      },
      model,
    );
  } finally {
    model.dispose();
  }
  const files = await filesOf(dir);
  const uploaded = trialConfig === undefined ? files : withTrialConfig(files, trialConfig);
  assert.equal((await coordinator.client.uploadCheckpoint(uploadChunks(trialId, step, uploaded, { workerId: TEST_WORKER }))).ok, true);
  return weights;
}

/** The grid rendered here from the same weights, in the endpoint's encoding. */
function expectedRows(weights: Float32Array): TraversalsResponse['rows'] {
  const model = JointVae.create(CONFIG, 0);
  try {
    model.setWeights(weights);
    return latentTraversal(model).rows.map(({ images, ...row }) => ({ ...row, images: Buffer.concat(images).toString('base64') }));
  } finally {
    model.dispose();
  }
}

/** Held-out samples per category and label of a 10-way categorical latent: category k holds label k, and 9 also 4. */
const LABEL_COUNTS = Array.from({ length: 10 }, (_, k) => Array.from({ length: 10 }, (_, label) => (label === k ? 50 : k === 9 && label === 4 ? 20 : 0)));

function metricsWithLabels(step: number): EvalMetrics {
  return {
    step,
    loss: 1,
    recon: 1,
    klCont: 0,
    klDisc: 0,
    klPerDim: new Array(10).fill(0),
    activeDims: 0,
    capacityCont: 0,
    capacityDisc: 0,
    tau: 0.67,
    discreteAccuracy: 0.96,
    categoryLabels: { latent: 0, counts: LABEL_COUNTS },
  };
}

describe('GET /api/trials/:id/traversals', () => {
  const url = (trialId: string) => `http://${coordinator.httpAddress}/api/trials/${trialId}/traversals`;
  const auth = { headers: { authorization: `Bearer ${TOKEN}` } };

  it('needs the token', async () => {
    const trial = await newTrial();
    const response = await fetch(url(trial));
    assert.equal(response.status, 401);
    assert.match(((await response.json()) as { error: string }).error, /missing token/);
  });

  it('is 404 naming the trial when it does not exist or has no checkpoint yet, 400 for a malformed id', async () => {
    const unknown = await fetch(url('sw-nothing-t0'), auth);
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), { error: "no trial 'sw-nothing-t0'" });
    const trial = await newTrial();
    const bare = await fetch(url(trial), auth);
    assert.equal(bare.status, 404);
    assert.deepEqual(await bare.json(), { error: `trial '${trial}' has no checkpoint yet` });
    assert.equal((await fetch(url('bad%20id'), auth)).status, 400);
  });

  it("returns the grid of the trial's latest checkpoint, and that of a newer one once it is uploaded", async () => {
    const trial = await newTrial();
    const weights = await uploadCheckpoint(trial, 10, 21);
    const response = await fetch(url(trial), auth);
    assert.equal(response.status, 200);
    const grid = (await response.json()) as TraversalsResponse;
    assert.equal(grid.trialId, trial);
    assert.equal(grid.checkpointId, (await store.requireTrial(trial)).checkpointId);
    assert.deepEqual([grid.step, grid.imageSize, grid.columns, grid.fixedCategories], [10, 32, 10, [0]]);
    assert.deepEqual(grid.rows.map((row) => row.label), [...Array.from({ length: 10 }, (_, d) => `z${d}`), 'c0']);
    for (const row of grid.rows) assert.equal(Buffer.from(row.images, 'base64').length, row.values.length * 32 * 32, row.label);
    assert.ok(Math.abs(grid.rows[0]!.values[0]! + 1.6448536269514726) < 1e-12);
    assert.deepEqual(grid.rows, expectedRows(weights));

    assert.equal(grid.categoryLabels, undefined, 'a checkpoint without an evaluation has no labels per category');

    const newer = await uploadCheckpoint(trial, 20, 22, metricsWithLabels(20));
    const updated = (await (await fetch(url(trial), auth)).json()) as TraversalsResponse;
    assert.equal(updated.step, 20);
    assert.deepEqual(updated.rows, expectedRows(newer));
    assert.notDeepEqual(updated.rows, grid.rows);
    assert.deepEqual(updated.categoryLabels, { step: 20, latent: 0, counts: LABEL_COUNTS });
  });
});

describe('GET /api/trials/:id/traversals of a checkpoint whose trial.json is not a train config', () => {
  const url = (trialId: string) => `http://${coordinator.httpAddress}/api/trials/${trialId}/traversals`;
  const auth = { headers: { authorization: `Bearer ${TOKEN}` } };

  it('is 422 naming the file and the key, and builds no model', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /trial\.json: config\.dataset: must be a non-empty string, got undefined/],
      // A model of a billion latent dimensions would not fit in memory.
      [{ ...CONFIG, latent: { continuous: 1e9, discrete: [10] } }, /trial\.json: config\.latent\.continuous: must be an integer from 1 to 1024/],
    ];
    for (const [config, message] of cases) {
      const trial = await newTrial();
      await uploadCheckpoint(trial, 10, 21, null, config);
      const response = await fetch(url(trial), auth);
      assert.equal(response.status, 422);
      assert.match(((await response.json()) as { error: string }).error, message);
    }
  });
});

describe('TrialTraversals', () => {
  const GRID: TraversalGrid = {
    imageSize: 1,
    columns: 2,
    fixedCategories: [],
    rows: [{ label: 'z0', kind: 'continuous', values: [-1, 1], images: [Uint8Array.of(0), Uint8Array.of(255)] }],
  };

  /** A renderer that counts its renders and fails while `failing` is set. */
  function countingRenderer() {
    const renderer = {
      renders: 0,
      failing: false,
      async render(): Promise<CheckpointTraversals> {
        renderer.renders++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (renderer.failing) throw new Error('render failed');
        return { grid: GRID };
      },
    };
    return renderer satisfies TraversalRenderer;
  }

  async function addCheckpoint(trialId: string, step: number): Promise<void> {
    await store.addCheckpoint({ id: newCheckpointId(), trialId, step, files: [], createdAt: Date.now(), location: settings.artifacts });
  }

  it('renders once per checkpoint step, sharing a render between requests that arrive during it', async () => {
    const renderer = countingRenderer();
    const traversals = new TrialTraversals(store, new ArtifactStore(settings.artifacts), renderer);
    const trial = await newTrial();
    await addCheckpoint(trial, 10);
    const [first, second] = await Promise.all([traversals.forTrial(trial), traversals.forTrial(trial)]);
    assert.equal(renderer.renders, 1);
    assert.deepEqual(second, first);
    assert.deepEqual(first.rows, [{ label: 'z0', kind: 'continuous', values: [-1, 1], images: Buffer.from([0, 255]).toString('base64') }]);
    await traversals.forTrial(trial);
    assert.equal(renderer.renders, 1);
    await addCheckpoint(trial, 20);
    assert.equal((await traversals.forTrial(trial)).step, 20);
    assert.equal(renderer.renders, 2);
  });

  it('does not keep a failed render', async () => {
    const renderer = countingRenderer();
    const traversals = new TrialTraversals(store, new ArtifactStore(settings.artifacts), renderer);
    const trial = await newTrial();
    await addCheckpoint(trial, 10);
    renderer.failing = true;
    await assert.rejects(traversals.forTrial(trial), /render failed/);
    renderer.failing = false;
    assert.equal((await traversals.forTrial(trial)).step, 10);
    assert.equal(renderer.renders, 2);
  });
});

describe('categoryLabelsOf', () => {
  it('takes the labels per category of a well-formed evaluation with the step it was made at', () => {
    assert.deepEqual(categoryLabelsOf(metricsWithLabels(7), [10]), { step: 7, latent: 0, counts: LABEL_COUNTS });
    assert.deepEqual(categoryLabelsOf({ ...metricsWithLabels(7), categoryLabels: { latent: 1, counts: [[1], [2], [0]] } }, [10, 3]), {
      step: 7,
      latent: 1,
      counts: [[1], [2], [0]],
    });
  });

  it('has none without an evaluation, without the table, or when the table does not fit the latents', () => {
    const { categoryLabels: _, ...unlabelled } = metricsWithLabels(7);
    assert.equal(categoryLabelsOf(null, [10]), undefined);
    assert.equal(categoryLabelsOf(unlabelled, [10]), undefined);
    const withTable = (latent: number, counts: unknown) =>
      categoryLabelsOf({ ...metricsWithLabels(7), categoryLabels: { latent, counts: counts as number[][] } }, [10]);
    assert.equal(withTable(1, LABEL_COUNTS), undefined, 'no latent c1');
    assert.equal(withTable(0, LABEL_COUNTS.slice(1)), undefined, 'nine rows for ten categories');
    assert.equal(withTable(0, [...LABEL_COUNTS.slice(1), [-1]]), undefined, 'a negative count');
    assert.equal(withTable(0, [...LABEL_COUNTS.slice(1), ['3']]), undefined, 'a string');
  });
});
