// CheckpointTransfer against a real coordinator process on loopback (real Redis, real artifact
// store): round trips, and the retries while the coordinator is unreachable or its store fails.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { listCheckpointFiles } from '@jvae/artifacts';
import type { CoordinatorProcess } from '@jvae/orchestration';
import { coordinatorClient } from '@jvae/protocol';
import { CheckpointTransfer } from './checkpoint-transfer.js';
import { TEST_BACKOFF, breakArtifactStore, startTestBed, startTestCoordinator, sweepInput, tinySpec, type TestBed } from './test-support.js';

const WORKER = 'w-transfer';
let bed: TestBed;
let transfer: CheckpointTransfer;
let source: string;

before(async () => {
  bed = await startTestBed();
  transfer = new CheckpointTransfer(bed.client, TEST_BACKOFF);
  source = join(bed.dir, 'source');
  await mkdir(join(source, 'encoder'), { recursive: true });
  await writeFile(join(source, 'encoder', 'weights.bin'), Buffer.alloc(600_000, 7)); // several chunks
  await writeFile(join(source, 'trial.json'), '{"step":3}');
  await writeFile(join(source, 'empty.txt'), '');
});

after(() => bed.close());

/** A trial of a new sweep, running on WORKER. */
async function runningTrial(): Promise<string> {
  const sweep = await bed.store.createSweep(sweepInput(tinySpec(bed.datasetDir, { steps: 10 }, {})));
  const [id] = await bed.store.trialIds(sweep.id);
  assert.ok((await bed.store.transitionTrial(id!, ['queued'], 'running', { workers: [WORKER] })).applied);
  return id!;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('uploads a directory as the trial checkpoint and downloads it back identical', async () => {
  const trialId = await runningTrial();
  const id = await transfer.upload(source, { trialId, step: 3, workerId: WORKER });
  const stored = (await bed.store.getCheckpoint(id))!;
  assert.deepEqual([stored.trialId, stored.step], [trialId, 3]);
  assert.deepEqual(stored.files.map((f) => [f.path, f.size]), [
    ['empty.txt', 0],
    ['encoder/weights.bin', 600_000],
    ['trial.json', 10],
  ]);
  const target = join(bed.dir, 'download-ok');
  const manifest = await transfer.download(id, target);
  assert.deepEqual(manifest.files, stored.files);
  assert.deepEqual(await listCheckpointFiles(target), await listCheckpointFiles(source));
  assert.deepEqual(await readFile(join(target, 'encoder', 'weights.bin')), await readFile(join(source, 'encoder', 'weights.bin')));
});

test('an upload retries with backoff while the artifact store fails, and is stored once it is repaired', async () => {
  const trialId = await runningTrial();
  const repair = await breakArtifactStore(bed);
  const codes: number[] = [];
  const id = await transfer.upload(
    source,
    { trialId, step: 4, workerId: WORKER },
    {
      onRetry: async (err) => {
        codes.push((err as grpc.ServiceError).code);
        if (codes.length === 3) await repair();
      },
    },
  );
  assert.deepEqual(codes, [grpc.status.UNAVAILABLE, grpc.status.UNAVAILABLE, grpc.status.UNAVAILABLE]);
  assert.equal((await bed.store.requireTrial(trialId)).checkpointId, id);
});

test('a refusal for good is not retried', async () => {
  const trialId = await runningTrial();
  const retries: unknown[] = [];
  await assert.rejects(transfer.upload(source, { trialId, step: 1, workerId: 'w-stranger' }, { onRetry: (err) => void retries.push(err) }), {
    code: grpc.status.FAILED_PRECONDITION,
  });
  assert.deepEqual(retries, []);
});

test('an upload waits with backoff while the coordinator is unreachable, then succeeds', async () => {
  const trialId = await runningTrial();
  const port = await freePort();
  const client = coordinatorClient(`127.0.0.1:${port}`);
  let late: CoordinatorProcess | undefined;
  let retries = 0;
  try {
    const id = await new CheckpointTransfer(client, TEST_BACKOFF).upload(
      source,
      { trialId, step: 1, workerId: WORKER },
      {
        onRetry: async (err) => {
          assert.equal((err as grpc.ServiceError).code, grpc.status.UNAVAILABLE);
          if (++retries === 2) {
            late = await startTestCoordinator(bed.prefix, join(bed.dir, 'late-artifacts'), `127.0.0.1:${port}`);
          }
        },
      },
    );
    assert.ok(retries >= 2);
    assert.equal((await bed.store.requireTrial(trialId)).checkpointId, id);
  } finally {
    client.close();
    await late?.stop();
  }
});

test('aborting while the coordinator is unreachable rejects with the abort reason', async () => {
  const client = coordinatorClient(`127.0.0.1:${await freePort()}`);
  const controller = new AbortController();
  const reason = new Error('stop now');
  try {
    await assert.rejects(
      new CheckpointTransfer(client, TEST_BACKOFF).download('ckpt-1', join(bed.dir, 'never'), {
        signal: controller.signal,
        onRetry: () => controller.abort(reason),
      }),
      (err) => err === reason,
    );
  } finally {
    client.close();
  }
});
