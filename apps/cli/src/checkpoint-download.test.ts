import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckpointChunk__Output } from '@jvae/protocol';
import { checkManifestPath, saveCheckpointStream } from './checkpoint-download.js';
import { CheckpointDownloadError } from './checkpoint-download-error.js';

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const files: Record<string, Buffer> = {
  'manifest.json': Buffer.from('{"version":1}'),
  'encoder/weights.bin': Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256)),
  'trial.json': Buffer.alloc(0),
};

/** The manifest, then every file in chunks of `chunk` bytes, as DownloadCheckpoint sends them. */
function* stream(contents = files, listed = files, chunk = 128): Generator<CheckpointChunk__Output> {
  yield {
    part: 'manifest',
    manifest: {
      id: 'ck-1', trialId: 't1', step: 100, createdAt: 1, location: '/store/t1/ck-1',
      files: Object.entries(listed).map(([path, data]) => ({ path, size: data.length, sha256: sha(data) })),
    },
  };
  for (const [path, data] of Object.entries(contents)) {
    for (let offset = 0; offset < data.length; offset += chunk) {
      yield { part: 'file', file: { path, offset, data: data.subarray(offset, offset + chunk) } };
    }
  }
}

async function withDir(use: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'jvae-cli-download-'));
  try {
    await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a verified checkpoint lands at the target with every file and nothing else left beside it', () =>
  withDir(async (root) => {
    const target = join(root, 'out', 'best');
    const saved = await saveCheckpointStream(stream(), target);
    assert.equal(saved.dir, target);
    assert.equal(saved.checkpoint.id, 'ck-1');
    for (const [path, data] of Object.entries(files)) assert.deepEqual(await readFile(join(target, path)), data);
    assert.deepEqual(await readdir(join(root, 'out')), ['best']);
  }));

test('a checksum mismatch names the file and leaves nothing at the target', () =>
  withDir(async (root) => {
    const target = join(root, 'best');
    const tampered = { ...files, 'encoder/weights.bin': Buffer.from(files['encoder/weights.bin']).fill(7, 200, 201) };
    await assert.rejects(saveCheckpointStream(stream(tampered, files), target), (err: Error) => {
      assert.ok(err instanceof CheckpointDownloadError);
      assert.equal(err.file, 'encoder/weights.bin');
      assert.match(err.message, /encoder\/weights\.bin.*SHA-256/);
      return true;
    });
    assert.deepEqual(await readdir(root), []);
  }));

test('missing bytes, extra bytes and unlisted files are refused', () =>
  withDir(async (root) => {
    const target = join(root, 'best');
    const short = { ...files, 'encoder/weights.bin': files['encoder/weights.bin'].subarray(0, 299) };
    await assert.rejects(saveCheckpointStream(stream(short, files), target), /encoder\/weights\.bin.*received 299 of the manifest's 300 bytes/);
    const long = { ...files, 'trial.json': Buffer.from('x') };
    await assert.rejects(saveCheckpointStream(stream(long, files), target), /trial\.json.*more than the manifest's 0 bytes/);
    const extra = { ...files, 'evil.bin': Buffer.from('x') };
    await assert.rejects(saveCheckpointStream(stream(extra, files), target), /evil\.bin.*not listed in the manifest/);
    assert.deepEqual(await readdir(root), []);
  }));

test('paths that could escape the directory are refused before anything is written', () =>
  withDir(async (root) => {
    for (const bad of ['../x', '/etc/passwd', 'a/../../b', 'a//b', '', 'a\\b']) {
      assert.throws(() => checkManifestPath(bad), CheckpointDownloadError, bad);
    }
    assert.equal(checkManifestPath('encoder/model.json'), 'encoder/model.json');
    const evil = { '../escape': Buffer.from('x') };
    await assert.rejects(saveCheckpointStream(stream(evil, evil), join(root, 'best')), /unsafe path/);
    assert.deepEqual(await readdir(root), []);
  }));

test('an older checkpoint at the target is replaced; a directory of other files is not touched', () =>
  withDir(async (root) => {
    const target = join(root, 'best');
    await mkdir(target);
    await writeFile(join(target, 'manifest.json'), 'old');
    await writeFile(join(target, 'stale.bin'), 'old');
    await saveCheckpointStream(stream(), target);
    assert.deepEqual((await readdir(target)).sort(), ['encoder', 'manifest.json', 'trial.json']);
    assert.deepEqual(await readdir(root), ['best']);

    const home = join(root, 'home');
    await mkdir(home);
    await writeFile(join(home, 'notes.txt'), 'mine');
    await assert.rejects(saveCheckpointStream(stream(), home), /exists and is not a checkpoint directory/);
    assert.deepEqual(await readdir(home), ['notes.txt']);
  }));

test('a stream without a manifest is an error', () =>
  withDir(async (root) => {
    await assert.rejects(saveCheckpointStream([], join(root, 'best')), /sent no manifest/);
    const dataFirst: CheckpointChunk__Output[] = [{ part: 'file', file: { path: 'a', offset: 0, data: Buffer.from('x') } }];
    await assert.rejects(saveCheckpointStream(dataFirst, join(root, 'best')), /before the manifest/);
    assert.deepEqual(await readdir(root), []);
  }));
