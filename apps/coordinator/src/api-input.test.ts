// What the coordinator's gRPC API answers to bad input, over real gRPC on loopback with real
// Redis: requests it cannot decode, oversized specs, specs that would only fail on a worker,
// and more watch streams than it serves.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { loadProtos, withToken, type SweepEvent__Output } from '@jvae/protocol';
import { SweepStore } from '@jvae/store';
import {
  REDIS_URL,
  TEST_WORKER,
  TOKEN,
  checkpointFiles,
  cleanUp,
  eventually,
  specText,
  startTestCoordinator,
  startTrial,
  testSettings,
  uploadChunks,
  type TestCoordinator,
} from './testing.js';

const MAX_WATCHES = 3;
const settings = { ...testSettings(), maxWatches: MAX_WATCHES };
let coordinator: TestCoordinator;
let redis: Redis;
let raw: grpc.Client;

before(async () => {
  coordinator = await startTestCoordinator(settings);
  redis = new Redis(REDIS_URL);
  raw = new grpc.Client(coordinator.grpcAddress, grpc.credentials.createInsecure());
});

after(async () => {
  raw.close();
  await coordinator.close();
  await cleanUp(settings);
  redis.disconnect();
});

async function prefixKeys(): Promise<string[]> {
  return (await redis.keys(`${settings.prefix}:*`)).sort();
}

const asIs = (bytes: Buffer) => bytes;

/** Sends `bytes` as the request of a unary method, as they are. */
function unaryBytes(method: string, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    raw.makeUnaryRequest(`/jvae.v1.Coordinator/${method}`, asIs, asIs, bytes, withToken(new grpc.Metadata(), TOKEN), {}, (error, response) =>
      error ? reject(error) : resolve(response!),
    );
  });
}

/** Sends each of `messages` as they are on a client stream (UploadCheckpoint). */
function clientStreamBytes(method: string, messages: Buffer[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const call = raw.makeClientStreamRequest(`/jvae.v1.Coordinator/${method}`, asIs, asIs, withToken(new grpc.Metadata(), TOKEN), {}, (error, response) =>
      error ? reject(error) : resolve(response!),
    );
    for (const message of messages) call.write(message);
    call.end();
  });
}

/** A length-delimited field: tag (field number, wire type 2), length, bytes. */
function field(number: number, bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(number << 3) | 2, bytes.length]), bytes]);
}

const LATIN1_NAME = Buffer.from('name: caf\xe9\nmethod: grid\n', 'latin1');

describe('coordinator API input', () => {
  it('answers a request it cannot decode with INVALID_ARGUMENT, not INTERNAL', async () => {
    // Field 1 says 127 bytes follow; 2 do.
    const truncated = Buffer.from([0x0a, 0x7f, 0x61, 0x62]);
    await assert.rejects(unaryBytes('SubmitSweep', truncated), {
      code: grpc.status.INVALID_ARGUMENT,
      details: /^request: not a valid jvae\.v1\.SubmitSweepRequest message/,
    });
    await assert.rejects(unaryBytes('GetSweep', Buffer.from([0x0f])), { code: grpc.status.INVALID_ARGUMENT, details: /GetSweepRequest/ });
    await assert.rejects(clientStreamBytes('UploadCheckpoint', [truncated]), {
      code: grpc.status.INVALID_ARGUMENT,
      details: /CheckpointChunk/,
    });
    // The server still answers well-formed calls.
    assert.ok(Array.isArray((await coordinator.client.listSweeps()).sweeps));
  });

  it('discards an upload whose later chunk cannot be decoded', async () => {
    const { id } = await coordinator.client.submitSweep({ spec: specText(1, 'upload') });
    const store = new SweepStore(redis, settings.prefix);
    const [trialId] = await store.trialIds(id);
    await startTrial(store, trialId!);
    const serialize = loadProtos().proto.jvae.v1.Coordinator.service.UploadCheckpoint.requestSerialize;
    const [manifest, first] = uploadChunks(trialId!, 10, checkpointFiles('half'), { workerId: TEST_WORKER });
    await assert.rejects(clientStreamBytes('UploadCheckpoint', [serialize(manifest!), serialize(first!), Buffer.from([0x0f])]), {
      code: grpc.status.INVALID_ARGUMENT,
    });
    // The call may end before the upload began, and its temporary directory was made.
    const uploads = join(settings.artifacts, '.uploads');
    await eventually(async () => (!existsSync(uploads) || readdirSync(uploads).length === 0 ? true : undefined), 'the temp dir to go');
    assert.equal((await store.requireTrial(trialId!)).checkpointId, undefined);
    await coordinator.client.cancelSweep({ id });
  });

  it('refuses strings that are not valid UTF-8, naming the field, and stores nothing', async () => {
    const before = await prefixKeys();
    await assert.rejects(unaryBytes('SubmitSweep', field(1, LATIN1_NAME)), {
      code: grpc.status.INVALID_ARGUMENT,
      details: 'spec: not valid UTF-8',
    });
    await assert.rejects(unaryBytes('GetSweep', field(1, Buffer.from([0x73, 0x77, 0xff]))), {
      code: grpc.status.INVALID_ARGUMENT,
      details: 'id: not valid UTF-8',
    });
    // CheckpointChunk.manifest (1) → CheckpointInfo.files (repeated, 4) → CheckpointFile.path (1).
    const files = [field(1, Buffer.from('trial.json')), field(1, Buffer.from([0x65, 0x76, 0x69, 0x6c, 0xc0]))];
    const manifest = field(1, Buffer.concat(files.map((file) => field(4, file))));
    await assert.rejects(clientStreamBytes('UploadCheckpoint', [manifest]), {
      code: grpc.status.INVALID_ARGUMENT,
      details: 'manifest.files[1].path: not valid UTF-8',
    });
    assert.deepEqual(await prefixKeys(), before);
    // Valid UTF-8, U+FFFD itself included, is fine.
    const { id } = await coordinator.client.submitSweep({ spec: specText(1, 'caf\u00e9-\ufffd') });
    assert.equal((await coordinator.client.getSweep({ id })).name, 'caf\u00e9-\ufffd');
    await coordinator.client.cancelSweep({ id });
  });

  it('answers a 50 MB spec with the spec limit of 1 MiB, not a transport error', async () => {
    const spec = `${specText(1)}\n# ${'x'.repeat(50_000_000)}\n`;
    await assert.rejects(coordinator.client.submitSweep({ spec }), {
      code: grpc.status.INVALID_ARGUMENT,
      details: /^spec: is 50000\d+ bytes, more than the limit of 1 MiB \(1048576 bytes\)$/,
    });
  });

  it('refuses at submit what would only fail on a worker, queueing nothing', async () => {
    const before = await prefixKeys();
    const refused: [string, RegExp][] = [
      [specText(2).replace('method: grid', 'method: grid\ndataset: { name: nosuch }'), /^dataset\.name: unknown dataset reference; expected one of mnist-sample/],
      [specText(2).replace('steps: 90', 'steps: 90, batchSize: 1e8'), /^train\.batchSize: must be an integer from 1 to 8192, got 100000000$/],
      [specText(2).replace('steps: 90', 'steps: 90, latent: { continuous: 1e9 }'), /^train\.latent\.continuous: must be an integer from 1 to 1024/],
      [`${specText(2)}\n  batchSize: { distribution: int_uniform, min: 8, max: 100000000 }`, /^parameters\.batchSize\.max: must be an integer from 1 to 8192/],
      [`${specText(2)}\n  latent.continuous: { values: [10, 1000000000] }`, /^parameters\.latent\.continuous\.values\[1\]: must be an integer from 1 to 1024/],
    ];
    for (const [spec, details] of refused) {
      await assert.rejects(coordinator.client.submitSweep({ spec }), { code: grpc.status.INVALID_ARGUMENT, details });
    }
    assert.deepEqual(await prefixKeys(), before, 'no sweep, trial, event or job key was written');
  });

  it(`serves at most ${MAX_WATCHES} WatchSweep streams at once; the next gets RESOURCE_EXHAUSTED until one ends`, { timeout: 30_000 }, async () => {
    const { id } = await coordinator.client.submitSweep({ spec: specText(1, 'watched') });
    const open = Array.from({ length: MAX_WATCHES }, () => coordinator.client.watchSweep({ id }));
    const firstEvents = open.map((watch) => new Promise<SweepEvent__Output>((resolve) => watch.once('data', resolve)));
    for (const watch of open) watch.on('error', () => undefined);
    await Promise.all(firstEvents);

    const refused = coordinator.client.watchSweep({ id });
    await assert.rejects(
      (async () => {
        for await (const _ of refused) void _;
      })(),
      { code: grpc.status.RESOURCE_EXHAUSTED, details: `too many WatchSweep streams: this coordinator serves at most ${MAX_WATCHES} at once (JVAE_MAX_WATCHES); close one and retry` },
    );

    open.pop()!.cancel();
    const next = await eventually(async () => {
      const watch = coordinator.client.watchSweep({ id });
      const first = await new Promise<SweepEvent__Output | undefined>((resolve) => {
        watch.once('data', resolve);
        watch.once('error', () => resolve(undefined));
      });
      if (first) return watch;
      return undefined;
    }, 'a free watch slot');
    for (const watch of [...open, next]) watch.cancel();
    await coordinator.client.cancelSweep({ id });
  });
});
