// CheckpointTransfer against a real gRPC server on loopback serving the Coordinator's two
// checkpoint RPCs from memory, so that tests can make it misbehave (corrupt bytes, unsafe
// paths) or be unreachable for a while.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  coordinatorClient,
  loadProtos,
  type CheckpointChunk__Output,
  type CheckpointInfo,
  type CoordinatorConnection,
  type CoordinatorHandlers,
} from '@jvae/protocol';
import { CheckpointIntegrityError } from './checkpoint-integrity-error.js';
import { CheckpointTransfer, isSafeRelativePath } from './checkpoint-transfer.js';

interface Stored {
  manifest: CheckpointInfo;
  files: Map<string, Buffer>;
}

/** Checkpoints by id, and a hook to change what a download sends. */
class MemoryCheckpoints {
  readonly stored = new Map<string, Stored>();
  tamper: ((stored: Stored) => Stored) | undefined;

  handlers(): Pick<CoordinatorHandlers, 'UploadCheckpoint' | 'DownloadCheckpoint'> {
    return {
      UploadCheckpoint: (call, callback) => {
        const chunks: CheckpointChunk__Output[] = [];
        call.on('data', (chunk: CheckpointChunk__Output) => chunks.push(chunk));
        call.on('end', () => {
          const manifest = chunks[0]?.manifest;
          if (!manifest) return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'manifest first' });
          const files = new Map<string, Buffer>();
          for (const { file } of chunks.slice(1)) {
            files.set(file!.path, Buffer.concat([files.get(file!.path) ?? Buffer.alloc(0), file!.data]));
          }
          for (const entry of manifest.files) {
            const data = files.get(entry.path) ?? Buffer.alloc(0);
            if (createHash('sha256').update(data).digest('hex') !== entry.sha256) {
              return callback({ code: grpc.status.INVALID_ARGUMENT, details: `${entry.path}: SHA-256 mismatch` });
            }
          }
          const id = `ckpt-${this.stored.size + 1}`;
          this.stored.set(id, { manifest: { ...manifest, id }, files });
          callback(null, { ok: true, checkpointId: id });
        });
      },
      DownloadCheckpoint: (call) => {
        const found = this.stored.get(call.request.checkpointId ?? '');
        if (!found) return call.emit('error', { code: grpc.status.NOT_FOUND, details: 'no such checkpoint' });
        const { manifest, files } = this.tamper ? this.tamper(found) : found;
        call.write({ manifest });
        for (const [path, data] of files) call.write({ file: { path, offset: 0, data } });
        call.end();
      },
    };
  }
}

async function serve(checkpoints: MemoryCheckpoints, port = 0): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(loadProtos().proto.jvae.v1.Coordinator.service, checkpoints.handlers());
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port: bound };
}

const checkpoints = new MemoryCheckpoints();
let server: grpc.Server;
let connection: CoordinatorConnection;
let transfer: CheckpointTransfer;
let work: string;
let source: string;

before(async () => {
  const started = await serve(checkpoints);
  server = started.server;
  connection = coordinatorClient(`127.0.0.1:${started.port}`);
  transfer = new CheckpointTransfer(connection);
  work = await mkdtemp(join(tmpdir(), 'jvae-transfer-test-'));
  source = join(work, 'source');
  await mkdir(join(source, 'encoder'), { recursive: true });
  await writeFile(join(source, 'encoder', 'weights.bin'), Buffer.alloc(600_000, 7)); // several chunks
  await writeFile(join(source, 'trial.json'), '{"step":3}');
  await writeFile(join(source, 'empty.txt'), '');
});

after(async () => {
  connection.close();
  server.forceShutdown();
  await rm(work, { recursive: true, force: true });
});

async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile())) {
    const path = join(name.parentPath, name.name);
    out[path.slice(dir.length + 1)] = createHash('sha256').update(await readFile(path)).digest('hex');
  }
  return out;
}

test('uploads a directory with its manifest and downloads it back identical', async () => {
  const id = await transfer.upload(source, { trialId: 'sweep-1.t0', step: 3 });
  const stored = checkpoints.stored.get(id)!;
  assert.equal(stored.manifest.trialId, 'sweep-1.t0');
  assert.equal(stored.manifest.step, 3);
  assert.deepEqual(stored.manifest.files!.map((f) => [f.path, f.size]), [
    ['empty.txt', 0],
    ['encoder/weights.bin', 600_000],
    ['trial.json', 10],
  ]);

  const target = join(work, 'download-ok');
  const manifest = await transfer.download(id, target);
  assert.equal(manifest.id, id);
  assert.deepEqual(await tree(target), await tree(source));
});

test('a download whose bytes differ from the manifest fails, naming the file, and writes nothing', async () => {
  const id = await transfer.upload(source, { trialId: 'sweep-1.t0', step: 4 });
  checkpoints.tamper = ({ manifest, files }) => {
    const copy = new Map(files);
    const bad = Buffer.from(copy.get('trial.json')!);
    bad[0] ^= 1;
    copy.set('trial.json', bad);
    return { manifest, files: copy };
  };
  const target = join(work, 'download-corrupt');
  try {
    await assert.rejects(transfer.download(id, target), (err: unknown) => {
      assert.ok(err instanceof CheckpointIntegrityError);
      assert.equal(err.file, 'trial.json');
      assert.match(err.message, new RegExp(`checkpoint ${id}: trial\\.json: SHA-256 differs`));
      return true;
    });
  } finally {
    checkpoints.tamper = undefined;
  }
  await assert.rejects(readdir(target), { code: 'ENOENT' });
});

test('a manifest naming a path outside the directory is refused', async () => {
  const id = await transfer.upload(source, { trialId: 'sweep-1.t0', step: 5 });
  checkpoints.tamper = ({ manifest, files }) => ({
    manifest: { ...manifest, files: [{ path: '../escape', sha256: 'a'.repeat(64), size: 1 }] },
    files,
  });
  try {
    await assert.rejects(transfer.download(id, join(work, 'download-escape')), /"\.\.\/escape": not a safe relative path/);
  } finally {
    checkpoints.tamper = undefined;
  }
});

test('isSafeRelativePath accepts nested names and refuses traversal, absolute and odd names', () => {
  assert.ok(isSafeRelativePath('encoder/model.json'));
  for (const bad of ['', '/etc/passwd', '../x', 'a/../b', 'a//b', './a', 'a\\b', 'a b']) {
    assert.ok(!isSafeRelativePath(bad), bad);
  }
});

test('an upload waits with backoff while the coordinator is unreachable, then succeeds', async () => {
  const probe = await serve(new MemoryCheckpoints());
  const port = probe.port;
  probe.server.forceShutdown();
  const late = new MemoryCheckpoints();
  const client = coordinatorClient(`127.0.0.1:${port}`);
  let retries = 0;
  let lateServer: grpc.Server | undefined;
  try {
    const id = await new CheckpointTransfer(client, { initialDelayMs: 50, maxDelayMs: 200 }).upload(
      source,
      { trialId: 'sweep-1.t1', step: 1 },
      {
        onRetry: async (err) => {
          assert.equal((err as grpc.ServiceError).code, grpc.status.UNAVAILABLE);
          if (++retries === 2) lateServer = (await serve(late, port)).server;
        },
      },
    );
    assert.ok(retries >= 2);
    assert.equal(late.stored.get(id)?.manifest.trialId, 'sweep-1.t1');
  } finally {
    client.close();
    lateServer?.forceShutdown();
  }
});

test('aborting while the coordinator is unreachable rejects with the abort reason', async () => {
  const probe = await serve(new MemoryCheckpoints());
  probe.server.forceShutdown();
  const client = coordinatorClient(`127.0.0.1:${probe.port}`);
  const controller = new AbortController();
  const reason = new Error('stop now');
  try {
    await assert.rejects(
      new CheckpointTransfer(client, { initialDelayMs: 20 }).download('ckpt-1', join(work, 'never'), {
        signal: controller.signal,
        onRetry: () => controller.abort(reason),
      }),
      (err) => err === reason,
    );
  } finally {
    client.close();
  }
});
