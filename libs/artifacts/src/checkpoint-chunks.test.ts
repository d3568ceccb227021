import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactError } from './artifact-error.js';
import { checkpointChunks, listCheckpointFiles } from './checkpoint-chunks.js';
import { receiveCheckpoint } from './receive-checkpoint.js';
import { checkpointFiles, sha256 } from './testing.js';

let root: string;
let source: string;
const files = checkpointFiles('chunks');

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'jvae-chunks-'));
  source = join(root, 'source');
  for (const [path, data] of files) {
    await mkdir(join(source, path, '..'), { recursive: true });
    await writeFile(join(source, path), data);
  }
});

after(() => rm(root, { recursive: true, force: true }));

test('listCheckpointFiles lists every file under the directory with its size and SHA-256, sorted', async () => {
  const expected = [...files].map(([path, data]) => ({ path, size: data.length, sha256: sha256(data) }));
  assert.deepEqual(await listCheckpointFiles(source), expected.sort((a, b) => (a.path < b.path ? -1 : 1)));
});

test('checkpointChunks sends the manifest, then each file in chunks, which receiveCheckpoint puts back byte for byte', async () => {
  const manifest = { trialId: 't-1', step: 3, files: await listCheckpointFiles(source) };
  const chunks = [];
  for await (const chunk of checkpointChunks(source, manifest, 100_000)) chunks.push(chunk);
  assert.deepEqual(chunks[0], { manifest });
  const weights = chunks.filter((c) => c.file?.path === 'encoder/weights.bin').map((c) => [c.file!.offset, c.file!.data.length]);
  assert.deepEqual(weights, [[0, 100_000], [100_000, 100_000], [200_000, 100_000]]);
  assert.deepEqual(chunks.filter((c) => c.file?.path === 'empty.bin').map((c) => c.file!.data.length), [0]);

  const target = join(root, 'copy');
  await receiveCheckpoint(checkpointChunks(source, manifest), { target });
  for (const [path, data] of files) assert.deepEqual(await readFile(join(target, path)), data);
});

test('a path that could leave the directory is refused before anything is read; a missing file is a storage error', async () => {
  const escaping = { trialId: 't', step: 0, files: [{ path: '../source/trial.json', size: 1, sha256: 'a'.repeat(64) }] };
  const chunks = checkpointChunks(source, escaping);
  assert.ok((await chunks.next()).value?.manifest);
  await assert.rejects(chunks.next(), (err) => err instanceof ArtifactError && err.reason === 'invalid' && /no '\.\.'/.test(err.message));
  const missing = { trialId: 't', step: 0, files: [{ path: 'gone.bin', size: 1, sha256: 'a'.repeat(64) }] };
  await assert.rejects(
    (async () => {
      for await (const _ of checkpointChunks(source, missing)) void _;
    })(),
    (err) => err instanceof ArtifactError && err.reason === 'storage' && /reading gone\.bin: ENOENT/.test(err.message),
  );
});

test('a file whose name breaks the path rules is refused when listing', async () => {
  const odd = join(root, 'odd');
  await mkdir(odd);
  await writeFile(join(odd, 'a b.bin'), 'x');
  await assert.rejects(listCheckpointFiles(odd), /"a b\.bin"/);
});
