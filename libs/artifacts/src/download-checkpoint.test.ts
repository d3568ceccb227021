// downloadCheckpoint against a real gRPC server on loopback that serves DownloadCheckpoint from
// a directory with sendCheckpoint, and that tests can make misbehave.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { coordinatorClient, loadProtos, type CheckpointInfo, type CoordinatorConnection } from '@jvae/protocol';
import { ArtifactError } from './artifact-error.js';
import { listCheckpointFiles, sendCheckpoint } from './checkpoint-chunks.js';
import { downloadCheckpoint } from './download-checkpoint.js';
import { checkpointFiles } from './testing.js';

let root: string;
let source: string;
let manifest: CheckpointInfo;
let server: grpc.Server;
let client: CoordinatorConnection;
/** Changes what the server sends: a manifest, or a directory to read the files from. */
let tamper: { manifest?: CheckpointInfo; dir?: string } = {};
/** Resolves when the server sees the client cancel. */
let cancelled: Promise<void> = Promise.resolve();
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

before(async () => {
  process.on('uncaughtException', onUncaught);
  root = await mkdtemp(join(tmpdir(), 'jvae-download-'));
  source = join(root, 'store');
  const files = checkpointFiles('download').set('big.bin', Buffer.alloc(8 * 1024 * 1024, 3));
  for (const [path, data] of files) {
    await mkdir(join(source, path, '..'), { recursive: true });
    await writeFile(join(source, path), data);
  }
  manifest = { id: 'ck-1', trialId: 't-1', step: 7, files: await listCheckpointFiles(source), createdAt: 1, location: source };
  server = new grpc.Server();
  server.addService(loadProtos().proto.jvae.v1.Coordinator.service, {
    DownloadCheckpoint: (call: grpc.ServerWritableStream<{ checkpointId?: string }, never>) => {
      if (call.request.checkpointId !== 'ck-1') return call.emit('error', { code: grpc.status.NOT_FOUND, details: 'no such checkpoint' });
      cancelled = new Promise((resolve) => call.once('cancelled', () => resolve()));
      sendCheckpoint(call, tamper.dir ?? source, tamper.manifest ?? manifest).then(
        () => call.end(),
        (err: Error) => call.emit('error', { code: grpc.status.INTERNAL, details: err.message }),
      );
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  client = coordinatorClient(`127.0.0.1:${port}`);
});

after(async () => {
  client.close();
  server.forceShutdown();
  process.off('uncaughtException', onUncaught);
  await rm(root, { recursive: true, force: true });
});

/** Runs `use` with the server changed as given, then checks that no 'error' event went unhandled. */
async function serving(change: typeof tamper, use: () => Promise<void>): Promise<void> {
  tamper = change;
  try {
    await use();
    await cancelled;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(uncaught, []);
  } finally {
    tamper = {};
  }
}

test('downloads a checkpoint into the target, verified, with the manifest as sent', async () => {
  const target = join(root, 'ok');
  const received = await downloadCheckpoint(client, { checkpointId: 'ck-1' }, { target });
  assert.equal(received.message.id, 'ck-1');
  assert.equal(received.message.location, source);
  assert.deepEqual(received.manifest.files, manifest.files);
  for (const file of manifest.files!) assert.deepEqual(await readFile(join(target, file.path!)), await readFile(join(source, file.path!)));
});

test('bytes that differ from the manifest cancel the call, name the file and leave nothing; no unhandled error', async () => {
  const corrupt = join(root, 'corrupt-store');
  await rm(corrupt, { recursive: true, force: true });
  await mkdir(corrupt);
  for (const file of manifest.files!) {
    await mkdir(join(corrupt, file.path!, '..'), { recursive: true });
    const data = await readFile(join(source, file.path!));
    if (file.path === 'trial.json') data[0]! ^= 1;
    await writeFile(join(corrupt, file.path!), data);
  }
  await serving({ dir: corrupt }, async () => {
    const target = join(root, 'refused-corrupt');
    await assert.rejects(
      downloadCheckpoint(client, { checkpointId: 'ck-1' }, { target }),
      (err) => err instanceof ArtifactError && err.file === 'trial.json' && /SHA-256 .* differs from the manifest's/.test(err.message),
    );
    assert.deepEqual((await readdir(root)).filter((name) => name.includes('refused-corrupt')), []);
  });
});

test('a checkpoint other than the one asked for is refused at its manifest, cancelling the call mid-stream', async () => {
  await serving({ manifest: { ...manifest, id: 'ck-2' } }, async () => {
    await assert.rejects(downloadCheckpoint(client, { checkpointId: 'ck-1' }, { target: join(root, 'other') }), /sent checkpoint 'ck-2' instead of 'ck-1'/);
  });
  await serving({ manifest: { ...manifest, files: [{ path: '/etc/passwd', size: 1, sha256: 'a'.repeat(64) }] } }, async () => {
    await assert.rejects(downloadCheckpoint(client, { checkpointId: 'ck-1' }, { target: join(root, 'escape') }), /"\/etc\/passwd"/);
  });
  assert.deepEqual((await readdir(root)).sort(), ['corrupt-store', 'ok', 'store']);
});

test('aborting mid-stream rejects with the reason and leaves nothing; an error of the call passes through', async () => {
  const controller = new AbortController();
  const reason = new Error('stop now');
  await serving({}, async () => {
    const target = join(root, 'aborted');
    const download = downloadCheckpoint(client, { checkpointId: 'ck-1' }, { target, signal: controller.signal });
    setImmediate(() => controller.abort(reason));
    await assert.rejects(download, (err) => err === reason);
    assert.deepEqual((await readdir(root)).filter((name) => name.includes('aborted')), []);
  });
  await assert.rejects(downloadCheckpoint(client, { checkpointId: 'ck-9' }, { target: join(root, 'missing') }), { code: grpc.status.NOT_FOUND });
});
