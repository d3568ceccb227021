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
import { CHECKPOINT_VERSION, writeCheckpoint } from '@jvae/train';
import { ArtifactStore } from '../artifacts/artifact-store.js';
import { REDIS_URL, TOKEN, cleanUp, specText, startTestCoordinator, testSettings, uploadChunks, type TestCoordinator } from '../testing.js';
import type { TraversalRenderer } from './checkpoint-traversal-renderer.js';
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
  return (await store.trialIds(id))[0]!;
}

/** Every file under `dir` by relative path. */
async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
  return new Map(await Promise.all(files.sort().map(async (path) => [path, await readFile(join(dir, path))] as const)));
}

/** Writes a real checkpoint of a model drawn from `seed` and uploads it as the trial's checkpoint at `step`. */
async function uploadCheckpoint(trialId: string, step: number, seed: number): Promise<Float32Array> {
  const dir = join(scratch, `${trialId}-${step}`);
  const model = JointVae.create(CONFIG, seed);
  const weights = model.getWeights();
  try {
    await writeCheckpoint(
      dir,
      {
        trial: { version: CHECKPOINT_VERSION, config: CONFIG, step, seed, metrics: null, dataCursor: { epoch: 0, index: 0 } },
        weights,
        optimizer: { t: step, m: new Float32Array(model.size), v: new Float32Array(model.size) },
      },
      model,
    );
  } finally {
    model.dispose();
  }
  assert.equal((await coordinator.client.uploadCheckpoint(uploadChunks(trialId, step, await filesOf(dir)))).ok, true);
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

    const newer = await uploadCheckpoint(trial, 20, 22);
    const updated = (await (await fetch(url(trial), auth)).json()) as TraversalsResponse;
    assert.equal(updated.step, 20);
    assert.deepEqual(updated.rows, expectedRows(newer));
    assert.notDeepEqual(updated.rows, grid.rows);
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
      async render(): Promise<TraversalGrid> {
        renderer.renders++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (renderer.failing) throw new Error('render failed');
        return GRID;
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
