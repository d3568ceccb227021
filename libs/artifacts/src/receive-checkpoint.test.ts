import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactError } from './artifact-error.js';
import { receiveCheckpoint } from './receive-checkpoint.js';
import { checkpointFiles, FailingWrites, sha256, uploadChunks, type TestChunk } from './testing.js';

const files = checkpointFiles('receive');
const WEIGHTS = 'encoder/weights.bin';

async function withDir(use: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'jvae-receive-'));
  try {
    await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function refusedAs(reason: ArtifactError['reason'], message: RegExp, file?: string) {
  return (err: unknown) => {
    assert.ok(err instanceof ArtifactError, String(err));
    assert.equal(err.reason, reason);
    assert.match(err.message, message);
    if (file !== undefined) assert.equal(err.file, file);
    return true;
  };
}

test('a verified checkpoint lands at the target with every file, nested and empty ones too, and nothing beside it', () =>
  withDir(async (root) => {
    const target = join(root, 'out', 'ck');
    const received = await receiveCheckpoint(uploadChunks('t-1', 20, files, { id: 'ck-1' }), { target });
    assert.equal(received.dir, target);
    assert.deepEqual(received.manifest, { trialId: 't-1', step: 20, files: [...files].map(([path, d]) => ({ path, sha256: sha256(d), size: d.length })) });
    assert.equal(received.message.id, 'ck-1');
    for (const [path, data] of files) assert.deepEqual(await readFile(join(target, path)), data);
    assert.deepEqual(await readdir(join(root, 'out')), ['ck']);
  }));

test('the target may be named from the manifest, with the temporary directory elsewhere on the same disk', () =>
  withDir(async (root) => {
    const received = await receiveCheckpoint(uploadChunks('t-2', 5, files), {
      target: (manifest) => join(root, manifest.trialId, `step-${manifest.step}`),
      tempParent: join(root, 'incoming'),
    });
    assert.equal(received.dir, join(root, 't-2', 'step-5'));
    assert.deepEqual(await readdir(join(root, 'incoming')), []);
  }));

/** Every case must fail as `check` says and leave `root` empty. */
async function refusesLeavingNothing(root: string, chunks: Iterable<TestChunk>, check: (err: unknown) => boolean) {
  await assert.rejects(receiveCheckpoint(chunks, { target: join(root, 'ck') }), check);
  assert.deepEqual(await readdir(root), []);
}

test('bytes that differ from the manifest are refused naming the file, leaving nothing', () =>
  withDir(async (root) => {
    const flipped = Buffer.from(files.get(WEIGHTS)!);
    flipped[1000]! ^= 1;
    const claims = { sha: { [WEIGHTS]: sha256(files.get(WEIGHTS)!) } };
    await refusesLeavingNothing(root, uploadChunks('t', 1, new Map(files).set(WEIGHTS, flipped), claims), refusedAs('invalid', /^checkpoint file 'encoder\/weights\.bin': SHA-256 [0-9a-f]{64} differs from the manifest's/, WEIGHTS));
  }));

test('missing bytes, extra bytes, chunks out of order and unlisted files are refused, leaving nothing', () =>
  withDir(async (root) => {
    const short = [...uploadChunks('t', 1, files)];
    short.splice(3, 1);
    await refusesLeavingNothing(root, short, refusedAs('invalid', /chunk at offset 131072, expected 65536/, WEIGHTS));
    const truncated = [...uploadChunks('t', 1, files)].filter((c) => !(c.file?.path === WEIGHTS && c.file.offset === 262_144));
    await refusesLeavingNothing(root, truncated, refusedAs('invalid', /received 262144 of the manifest's 300000 bytes/, WEIGHTS));
    const long = [...uploadChunks('t', 1, files)];
    long[0]!.manifest!.files.find((f) => f.path === 'trial.json')!.size = 3;
    await refusesLeavingNothing(root, long, refusedAs('invalid', /more than the manifest's 3 bytes/, 'trial.json'));
    await refusesLeavingNothing(root, uploadChunks('t', 1, files, { extraPath: 'evil.bin' }), refusedAs('invalid', /not listed in the manifest/, 'evil.bin'));
  }));

test('a manifest breaking a rule is refused before anything is written', () =>
  withDir(async (root) => {
    const escaping = new Map([['../escape', Buffer.from('x')]]);
    await refusesLeavingNothing(root, uploadChunks('t', 1, escaping), refusedAs('invalid', /"\.\.\/escape"/));
    const twice = [...uploadChunks('t', 1, files)];
    twice[0]!.manifest!.files.push({ ...twice[0]!.manifest!.files[0]! });
    await refusesLeavingNothing(root, twice, refusedAs('invalid', /listed twice/));
    await refusesLeavingNothing(root, uploadChunks('t', 1, files, { sha: { 'trial.json': sha256(files.get('trial.json')!).toUpperCase() } }), refusedAs('invalid', /lower-case hex/));
  }));

test('a stream that does not start with one manifest is refused', () =>
  withDir(async (root) => {
    await refusesLeavingNothing(root, [], refusedAs('invalid', /ended before the manifest/));
    const [manifest, ...rest] = [...uploadChunks('t', 1, files)];
    await refusesLeavingNothing(root, rest, refusedAs('invalid', /first message must carry the manifest/));
    await refusesLeavingNothing(root, [manifest!, rest[0]!, manifest!], refusedAs('invalid', /only the first message may carry a manifest/));
  }));

test('a refusal by `accept` comes before anything is written', () =>
  withDir(async (root) => {
    const no = new Error('not yours');
    await assert.rejects(
      receiveCheckpoint(uploadChunks('t', 1, files), { target: join(root, 'ck'), accept: () => Promise.reject(no) }),
      (err) => err === no,
    );
    assert.deepEqual(await readdir(root), []);
  }));

test('an existing directory at the target is replaced only when asked to', () =>
  withDir(async (root) => {
    const target = join(root, 'ck');
    await mkdir(target);
    await writeFile(join(target, 'stale.bin'), 'old');
    await assert.rejects(receiveCheckpoint(uploadChunks('t', 1, files), { target }), refusedAs('storage', /moving the checkpoint into/));
    assert.deepEqual(await readdir(root), ['ck']);
    await receiveCheckpoint(uploadChunks('t', 1, files), { target, replace: true });
    assert.deepEqual((await readdir(target)).sort(), ['empty.bin', 'encoder', 'trial.json']);
    assert.deepEqual(await readdir(root), ['ck']);
  }));

test('a full disk is a no-space error and any other IO failure a storage error; nothing is left either way', () =>
  withDir(async (root) => {
    const full = new FailingWrites('ENOSPC', 1);
    await assert.rejects(receiveCheckpoint(uploadChunks('t', 1, files), { target: join(root, 'ck'), fs: full.fs }), refusedAs('no-space', /ENOSPC/));
    assert.deepEqual(await readdir(root), []);
    const quota = new FailingWrites('EDQUOT', 1);
    await assert.rejects(receiveCheckpoint(uploadChunks('t', 1, files), { target: join(root, 'ck'), fs: quota.fs }), refusedAs('no-space', /EDQUOT/));
    const broken = new FailingWrites('EIO', 1);
    await assert.rejects(receiveCheckpoint(uploadChunks('t', 1, files), { target: join(root, 'ck'), fs: broken.fs }), refusedAs('storage', /EIO/));
    assert.deepEqual(await readdir(root), []);
    await receiveCheckpoint(uploadChunks('t', 1, files), { target: join(root, 'ck'), fs: broken.fs });
    assert.deepEqual(await readdir(root), ['ck']);
  }));
