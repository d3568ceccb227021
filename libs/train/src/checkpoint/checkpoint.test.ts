import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { JointVae, selectBackend } from '@jvae/model';
import { smallConfig } from '../test-fixtures.js';
import { CheckpointError } from './checkpoint-error.js';
import { CheckpointTargetError } from './checkpoint-target-error.js';
import { checkCheckpointTarget, isCheckpointDir, readCheckpoint, writeCheckpoint, type CheckpointState } from './checkpoint.js';
import { fileIOHandler, loadLayersModelFromDir } from './layers-files.js';

const config = smallConfig();
let model: JointVae;
let root: string;

function sampleState(): CheckpointState {
  const weights = model.getWeights().map((w, i) => w + (i % 7) * 1e-3);
  const m = Float32Array.from({ length: model.size }, (_, i) => Math.sin(i));
  const v = Float32Array.from({ length: model.size }, (_, i) => (i % 13) * 1e-6);
  return {
    trial: {
      version: 1,
      config,
      step: 42,
      seed: config.seed,
      metrics: null,
      dataCursor: { epoch: 1, index: 8 },
      trialId: 'trial-1',
    },
    weights,
    optimizer: { t: 42, m, v },
  };
}

before(async () => {
  await selectBackend('wasm');
  model = JointVae.create(config, config.seed);
  root = await mkdtemp(join(tmpdir(), 'jvae-ckpt-'));
});

after(async () => {
  model.dispose();
  await rm(root, { recursive: true, force: true });
});

test('a checkpoint reads back exactly what was written', async () => {
  const dir = join(root, 'round-trip');
  const state = sampleState();
  const manifest = await writeCheckpoint(dir, state, model);
  assert.deepEqual(manifest.files.map((f) => f.path).sort(), [
    'decoder/model.json',
    'decoder/weights.bin',
    'encoder/model.json',
    'encoder/weights.bin',
    'optimizer.bin',
    'optimizer.json',
    'trial.json',
  ]);
  const read = await readCheckpoint(dir);
  assert.deepEqual(read.weights, state.weights);
  // The Layers files hold the weights in the model's own flat order.
  assert.deepEqual(read.weights, model.getWeights());
  assert.deepEqual(read.optimizer, state.optimizer);
  assert.deepEqual(read.trial, state.trial);
});

test('rewriting replaces the directory and leaves no temporary siblings', async () => {
  const dir = join(root, 'replaced');
  const first = sampleState();
  await writeCheckpoint(dir, first, model);
  const second = sampleState();
  second.trial.step = 43;
  second.weights[0] += 1;
  await writeCheckpoint(dir, second, model);
  const read = await readCheckpoint(dir);
  assert.equal(read.trial.step, 43);
  assert.equal(read.weights[0], second.weights[0]);
  assert.deepEqual((await readdir(root)).filter((name) => name.startsWith('.')), []);
});

/** The permission bits of `path`. */
async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o7777;
}

test('a new checkpoint directory gets the mode a plain mkdir gives, a replaced one keeps its own', async () => {
  const plain = join(root, 'plain-mkdir');
  await mkdir(plain);
  const fresh = join(root, 'fresh');
  await writeCheckpoint(fresh, sampleState(), model);
  assert.equal((await modeOf(fresh)).toString(8), (await modeOf(plain)).toString(8));

  await chmod(fresh, 0o750);
  await writeCheckpoint(fresh, sampleState(), model);
  assert.equal((await modeOf(fresh)).toString(8), '750');

  const empty = join(root, 'empty-751');
  await mkdir(empty);
  await chmod(empty, 0o751);
  await writeCheckpoint(empty, sampleState(), model);
  assert.equal((await modeOf(empty)).toString(8), '751');
  assert.equal(await isCheckpointDir(empty), true);
});

test('a directory holding anything but a checkpoint is refused and left exactly as it was', async () => {
  const notes = join(root, 'notes');
  await mkdir(notes);
  await chmod(notes, 0o755);
  await writeFile(join(notes, 'notes.txt'), 'x');
  await assert.rejects(writeCheckpoint(notes, sampleState(), model), (err: unknown) => {
    assert.ok(err instanceof CheckpointTargetError, String(err));
    assert.equal(err.dir, notes);
    assert.match(err.message, /notes\.txt/);
    assert.match(err.message, /not a jvae checkpoint/);
    return true;
  });
  assert.deepEqual(await readdir(notes), ['notes.txt']);
  assert.equal((await modeOf(notes)).toString(8), '755');

  // A checkpoint with a file of the user's added, and a manifest.json of some other program.
  const added = join(root, 'checkpoint-plus');
  await writeCheckpoint(added, sampleState(), model);
  await writeFile(join(added, 'encoder', 'notes.txt'), 'mine');
  await assert.rejects(writeCheckpoint(added, sampleState(), model), /encoder\/notes\.txt/);
  assert.equal(await readFile(join(added, 'encoder', 'notes.txt'), 'utf8'), 'mine');
  const webApp = join(root, 'web-app');
  await mkdir(webApp);
  await writeFile(join(webApp, 'manifest.json'), JSON.stringify({ name: 'app', icons: [] }));
  await assert.rejects(writeCheckpoint(webApp, sampleState(), model), /manifest\.json/);
  assert.deepEqual(await readdir(webApp), ['manifest.json']);

  const file = join(root, 'a-file');
  await writeFile(file, 'x');
  await assert.rejects(checkCheckpointTarget(file), /not a directory/);
  assert.deepEqual((await readdir(root)).filter((name) => name.startsWith('.')), []);
});

test('isCheckpointDir: only a directory holding a checkpoint and nothing else', async () => {
  const dir = join(root, 'is-checkpoint');
  await writeCheckpoint(dir, sampleState(), model);
  assert.equal(await isCheckpointDir(dir), true);
  assert.equal(await isCheckpointDir(join(dir, 'encoder')), false);
  assert.equal(await isCheckpointDir(join(root, 'no-such-dir')), false);
  const empty = join(root, 'is-checkpoint-empty');
  await mkdir(empty);
  assert.equal(await isCheckpointDir(empty), false);
  // A damaged checkpoint is still one (writing replaces it), as long as it holds nothing else.
  await unlink(join(dir, 'optimizer.bin'));
  assert.equal(await isCheckpointDir(dir), true);
});

test('saved encoder and decoder load with tf.loadLayersModel and compute the same outputs', async () => {
  const dir = join(root, 'layers');
  await writeCheckpoint(dir, sampleState(), model);
  const encoder = await loadLayersModelFromDir(join(dir, 'encoder'));
  const decoder = await loadLayersModel(fileIOHandler(join(dir, 'decoder')));
  const images = tf.randomUniform([3, 32, 32, 1], 0, 1, 'float32', 5);
  const latent = tf.randomNormal([3, 20], 0, 1, 'float32', 6);
  try {
    for (const [loaded, original, input] of [
      [encoder, model.encoder, images],
      [decoder, model.decoder, latent],
    ] as const) {
      const want = original.predict(input) as tf.Tensor;
      const got = loaded.predict(input) as tf.Tensor;
      assert.deepEqual(got.shape, want.shape);
      assert.deepEqual(await got.data(), await want.data());
      tf.dispose([want, got]);
    }
  } finally {
    tf.dispose([images, latent]);
    encoder.dispose();
    decoder.dispose();
  }
});

async function corrupted(name: string, damage: (dir: string) => Promise<void>): Promise<CheckpointError> {
  const dir = join(root, name);
  await writeCheckpoint(dir, sampleState(), model);
  await damage(dir);
  const err = await readCheckpoint(dir).then(
    () => assert.fail('readCheckpoint accepted a damaged checkpoint'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CheckpointError, `expected CheckpointError, got ${String(err)}`);
  return err;
}

/** Rewrites a file and its manifest entry, so only its content is wrong. */
async function replaceListed(dir: string, path: string, content: string): Promise<void> {
  await writeFile(join(dir, path), content);
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  const entry = manifest.files.find((f: { path: string }) => f.path === path);
  entry.size = Buffer.byteLength(content);
  entry.sha256 = createHash('sha256').update(content).digest('hex');
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
}

test('a changed byte is a CheckpointError naming the file', async () => {
  const err = await corrupted('flipped', async (dir) => {
    const path = join(dir, 'decoder/weights.bin');
    const data = await readFile(path);
    data[100] ^= 0x01;
    await writeFile(path, data);
  });
  assert.equal(err.file, 'decoder/weights.bin');
  assert.match(err.message, /SHA-256/);
});

test('a missing file is a CheckpointError naming it', async () => {
  const err = await corrupted('missing', (dir) => unlink(join(dir, 'optimizer.bin')));
  assert.equal(err.file, 'optimizer.bin');
  assert.match(err.message, /missing/);
});

test('a missing manifest is a CheckpointError naming it', async () => {
  const err = await corrupted('no-manifest', (dir) => unlink(join(dir, 'manifest.json')));
  assert.equal(err.file, 'manifest.json');
});

test('bad JSON is a CheckpointError naming the file, even with matching checksums', async () => {
  const trial = await corrupted('bad-trial', (dir) => replaceListed(dir, 'trial.json', '{"version": 1,'));
  assert.equal(trial.file, 'trial.json');
  assert.match(trial.message, /invalid JSON/);
  const model = await corrupted('bad-model', (dir) => replaceListed(dir, 'encoder/model.json', '[]'));
  assert.equal(model.file, 'encoder/model.json');
  const manifest = await corrupted('bad-manifest', (dir) => writeFile(join(dir, 'manifest.json'), 'not json'));
  assert.equal(manifest.file, 'manifest.json');
});

test('a trial.json config that is not a full, valid train config is a CheckpointError naming the file and key', async () => {
  const withConfig = (config: unknown) => (dir: string) =>
    replaceListed(dir, 'trial.json', JSON.stringify({ ...sampleState().trial, config }));
  const cases: [string, unknown, RegExp][] = [
    ['empty-config', {}, /^checkpoint file trial\.json: config\.dataset: must be a non-empty string, got undefined$/],
    ['huge-latent', { ...config, latent: { continuous: 1e9, discrete: [10] } }, /config\.latent\.continuous: must be an integer from 1 to 1024, got 1000000000/],
    ['unknown-dataset', { ...config, dataset: 'nosuch' }, /config\.dataset: unknown dataset reference; expected one of mnist-sample/],
    ['unknown-key', { ...config, extra: true }, /config\.extra: unknown key/],
    ['config-list', [1], /config: must be an object/],
  ];
  for (const [name, bad, message] of cases) {
    const err = await corrupted(name, withConfig(bad));
    assert.equal(err.file, 'trial.json');
    assert.match(err.message, message, name);
  }
});

test('a truncated weights file with a matching manifest entry is a CheckpointError naming it', async () => {
  const err = await corrupted('short-weights', (dir) => replaceListed(dir, 'encoder/weights.bin', 'abcd'));
  assert.equal(err.file, 'encoder/weights.bin');
  assert.match(err.message, /bytes/);
});
