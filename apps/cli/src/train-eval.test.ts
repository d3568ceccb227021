// `jvae train` and `jvae eval` as a user runs them: the real bin, the bundled digits, small runs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import '@tensorflow/tfjs-backend-cpu';
import { loadLayersModelFromDir } from '@jvae/train';

const BIN = fileURLToPath(new URL('../bin/jvae.js', import.meta.url));
const SMALL = ['--preset', 'mnist', '--batch-size', '8', '--threads', '1', '--backend', 'wasm'];
let dir: string;

async function jvae(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd: dir });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jvae-cli-train-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('train writes a checkpoint that eval reads and tf.loadLayersModel loads; resuming is exact', { timeout: 180_000 }, async () => {
  const straight = await jvae(['train', ...SMALL, '--steps', '6', '--out', 'straight']);
  assert.equal(straight.code, 0, straight.stderr);

  const evaluated = await jvae(['eval', 'straight', '--json']);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  const metrics = JSON.parse(evaluated.stdout) as Record<string, unknown>;
  for (const key of ['loss', 'recon', 'klCont', 'klDisc', 'discreteAccuracy', 'step']) {
    assert.equal(typeof metrics[key], 'number', `eval --json has ${key}`);
  }
  assert.equal(metrics.step, 6);

  // The traversal picture: 10 continuous rows and 1 categorical row of 10 tiles, 32 px images at 2×, 2 px gutters.
  const drawn = await jvae(['eval', 'straight', '--traversals', 'straight.png']);
  assert.equal(drawn.code, 0, drawn.stderr);
  assert.match(drawn.stderr, /latent traversals: straight\.png/);
  const png = await readFile(join(dir, 'straight.png'));
  assert.equal(png.subarray(1, 4).toString('ascii'), 'PNG');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [2 + 10 * 66, 2 + 11 * 66]);

  for (const part of ['encoder', 'decoder']) {
    const model = await loadLayersModelFromDir(join(dir, 'straight', part));
    assert.ok(model.countParams() > 0, `${part} loads with tf.loadLayersModel`);
  }

  // 3 steps, then 3 more from the checkpoint: the same weights as 6 at once.
  assert.equal((await jvae(['train', ...SMALL, '--steps', '3', '--out', 'split'])).code, 0);
  const resumed = await jvae(['train', '--resume', 'split', '--steps', '6', '--out', 'split', '--backend', 'wasm']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /resuming at step 3/);
  for (const file of ['encoder/weights.bin', 'decoder/weights.bin', 'optimizer.bin']) {
    assert.ok((await readFile(join(dir, 'split', file))).equals(await readFile(join(dir, 'straight', file))), `${file} identical`);
  }
});

test('resuming a checkpoint at its own last step says that nothing was trained and writes nothing', { timeout: 60_000 }, async () => {
  const before = await stat(join(dir, 'split', 'manifest.json'));
  const again = await jvae(['train', '--resume', 'split', '--steps', '6', '--out', 'split', '--backend', 'wasm']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /nothing to train: .*split is already at step 6/);
  assert.doesNotMatch(again.stdout, /^checkpoint:/m);
  assert.equal((await stat(join(dir, 'split', 'manifest.json'))).mtimeMs, before.mtimeMs);

  const json = await jvae(['train', '--resume', 'split', '--steps', '6', '--json', '--backend', 'wasm']);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(Object.keys(JSON.parse(json.stdout)), ['checkpoint', 'step', 'metrics']);
  assert.equal(JSON.parse(json.stdout).checkpoint, null);
});

test('--out refuses a directory that holds anything but a checkpoint, before training, and leaves it be', async () => {
  const mine = join(dir, 'mine');
  await mkdir(mine);
  await writeFile(join(mine, 'notes.txt'), 'x');
  const refused = await jvae(['train', ...SMALL, '--steps', '1', '--out', 'mine']);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /--out .*mine: not empty and not a jvae checkpoint \(it holds notes\.txt/);
  assert.doesNotMatch(refused.stdout, /jvae train: /, 'refused before training started');
  assert.deepEqual(await readdir(mine), ['notes.txt']);

  const here = await jvae(['train', ...SMALL, '--steps', '1', '--out', '.']);
  assert.equal(here.code, 2, here.stderr);
  assert.ok((await readdir(dir)).includes('mine'), 'the working directory is untouched');
});

test('bad flags and configs are refused with a message naming what is wrong', async () => {
  const flag = await jvae(['train', '--steps', 'many']);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /--steps must be an integer/);

  await writeFile(join(dir, 'bad.yaml'), 'preset: mnist\ncapacity:\n  continuous: {iters: -3}\n');
  const config = await jvae(['train', '--config', 'bad.yaml']);
  assert.equal(config.code, 1);
  assert.match(config.stderr, /capacity\.continuous\.iters/);

  const resumeWithConfig = await jvae(['train', '--resume', 'split', '--config', 'bad.yaml']);
  assert.equal(resumeWithConfig.code, 2);
  assert.match(resumeWithConfig.stderr, /--resume continues with the checkpoint's own config, so --config would be ignored/);

  const missing = await jvae(['eval', 'no-such-dir', '--json']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no-such-dir/);
});
