// Bad input against running processes: a bad sweep spec, a wrong or missing token, a
// checkpoint upload for a finished trial and a checkpoint corrupted in the store. Each gets an
// error naming what is wrong, and none changes anything: no Redis key or value, no trial, no
// artifact file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { coordinatorClient, keys } from '@jvae/protocol';
import { uploadChunks } from '@jvae/artifacts/testing';
import { Cluster, fileHashes, sha256 } from './harness.js';

const STEPS = 10;
const CORRUPTED = 'encoder/weights.bin';

let cluster: Cluster;
let sweepId: string;
let trialId: string;
/** A real checkpoint of the trial, as trained and uploaded by the worker, downloaded. */
let checkpointDir: string;

before(async () => {
  // One worker is enough to produce a real checkpoint to corrupt.
  cluster = await Cluster.start({ workers: 1 });
  sweepId = await cluster.submit(cluster.spec({ name: 'bad-input', train: { steps: STEPS }, parameters: { lr: { values: [0.002] } } }));
  const [trial] = await cluster.waitForSweepEnd(sweepId);
  assert.equal(trial!.state, 'completed', cluster.logs());
  trialId = trial!.id;
  checkpointDir = join(cluster.dir, 'checkpoint');
  await cluster.cliJson(['checkpoints', 'fetch', trialId, '--out', checkpointDir]);
});

after(async () => {
  await cluster?.close();
});

/**
 * The installation's persistent state: every key under the prefix with its value, and every
 * artifact file. Left out: the worker registry's heartbeats, BullMQ's stalled-job check
 * marker, and consumer bookkeeping inside streams (only a stream's entries count).
 */
async function state(): Promise<{ redis: Map<string, string>; files: Map<string, string> }> {
  const ignored = new Set([keys(cluster.prefix).workers(), `${cluster.prefix}:bull:trials:stalled-check`]);
  const redis = new Map<string, string>();
  for (const [name, dump] of await cluster.redisSnapshot()) {
    if (ignored.has(name)) continue;
    const type = await cluster.redis.type(name);
    redis.set(name, type === 'stream' ? JSON.stringify(await cluster.redis.xrange(name, '-', '+')) : dump);
  }
  return { redis, files: await cluster.artifactFiles() };
}

/** Runs `action` and checks the installation is exactly as before. */
async function changesNothing(action: () => Promise<void>): Promise<void> {
  const before = await state();
  await action();
  const after = await state();
  assert.deepEqual([...after.redis.keys()], [...before.redis.keys()], 'no key added or removed');
  assert.deepEqual(after.redis, before.redis, 'no value changed');
  assert.deepEqual(after.files, before.files, 'no artifact file added, removed or changed');
}

test('a bad sweep spec is refused naming the key at fault, and nothing is written', async () => {
  const good = cluster.spec({ name: 'bad-spec', train: { steps: STEPS }, parameters: { lr: { values: [0.001] } } });
  const cases: [string, string, RegExp][] = [
    ['unknown method', JSON.stringify({ ...good, method: 'grdi' }), /: method: must be one of grid, random, bayes \(got "grdi"\)/],
    ['negative steps', JSON.stringify({ ...good, train: { ...(good.train as object), steps: -5 } }), /: train\.steps: .*got -5/],
    ['unknown metric', JSON.stringify({ ...good, metric: { name: 'accuracy!', goal: 'maximize' } }), /: metric\.name: must be one of .*\(got "accuracy!"\)/],
    ['broken YAML', 'name: [unclosed\nmethod: grid\n', /: spec: not valid YAML or JSON at line 2/],
    ['unknown scheduler type', JSON.stringify({ ...good, run_cap: 1, scheduler: { type: 'pb2', interval: 10, mutations: { lr: { factors: [2] } } } }), /: scheduler\.type: must be one of pbt \(got "pb2"\)/],
    [
      'mutation of the architecture',
      JSON.stringify({ ...good, run_cap: 1, train: { ...(good.train as object), checkpointEvery: 5 }, scheduler: { type: 'pbt', interval: 5, mutations: { 'latent.continuous': { values: [8, 10] } } } }),
      /: scheduler\.mutations\.latent\.continuous: cannot be perturbed/,
    ],
  ];
  await changesNothing(async () => {
    for (const [what, text, message] of cases) {
      const path = await cluster.writeSpec(text, `bad-${what.replace(/\W/g, '-')}.yaml`);
      const result = await cluster.cli(['sweep', 'submit', path, '--json']);
      assert.equal(result.code, 1, `${what}: ${result.stderr}`);
      assert.equal(result.stdout, '', `${what}: no sweep id printed`);
      assert.ok(result.stderr.includes(path), `${what}: the error names the file: ${result.stderr}`);
      assert.match(result.stderr, message, what);
      assert.doesNotMatch(result.stderr, /\n\s+at /, `${what}: a message, not a stack trace`);
    }
  });
  assert.deepEqual((await cluster.store.listSweeps()).map((s) => s.id), [sweepId]);
});

test('a wrong or missing token is refused with what to do, and nothing is written', async () => {
  const spec = await cluster.writeSpec(cluster.spec({ name: 'intruder', parameters: { lr: { values: [0.001] } } }));
  await changesNothing(async () => {
    const wrong = await cluster.cli(['sweep', 'submit', spec], { JVAE_TOKEN: 'not-the-token' });
    assert.equal(wrong.code, 1, wrong.stderr);
    assert.match(wrong.stderr, /refused the call: .*wrong token.*Set JVAE_TOKEN/);
    const missing = await cluster.cli(['sweep', 'cancel', sweepId], { JVAE_TOKEN: undefined });
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, /refused the call: .*missing bearer token.*Set JVAE_TOKEN/);
  });
  assert.deepEqual((await cluster.store.listSweeps()).map((s) => s.id), [sweepId]);
  assert.equal((await cluster.store.requireSweep(sweepId)).cancelled, false);
});

test('a checkpoint upload for a finished trial is refused naming the trial, be it sound or corrupt; the trial keeps its checkpoint', async () => {
  const trial = await cluster.store.requireTrial(trialId);
  const files = new Map<string, Buffer>();
  for (const [path] of await fileHashes(checkpointDir)) files.set(path, await readFile(join(checkpointDir, path)));
  const original = files.get(CORRUPTED)!;
  const flipped = Buffer.from(original);
  flipped[flipped.length >> 1]! ^= 0xff;

  const client = coordinatorClient(cluster.grpcAddress, { token: cluster.token });
  const refusal = { code: status.FAILED_PRECONDITION, details: new RegExp(`^trial '${trialId}' is completed: checkpoints are accepted only while it runs$`) };
  try {
    await changesNothing(async () => {
      // A sound checkpoint, at a step beyond the trial's: it would become the sweep's best.
      await assert.rejects(client.uploadCheckpoint(uploadChunks(trialId, STEPS + 1, files, { workerId: 'w-intruder' })), refusal);
      // The bytes changed in transit: the manifest still carries the original SHA-256.
      const corrupt = new Map(files).set(CORRUPTED, flipped);
      await assert.rejects(client.uploadCheckpoint(uploadChunks(trialId, STEPS, corrupt, { sha: { [CORRUPTED]: sha256(original) } })), refusal);
    });
  } finally {
    client.close();
  }
  const after = await cluster.store.requireTrial(trialId);
  assert.equal(after.checkpointId, trial.checkpointId);
  assert.equal(after.checkpointStep, STEPS);
  assert.deepEqual(await readdir(join(cluster.artifacts, trialId)), (await cluster.store.listCheckpoints(trialId)).map((c) => c.id).sort());
});

test('a checkpoint corrupted in the artifact store is refused by fetch, naming the file and writing nothing', async () => {
  const checkpoint = (await cluster.store.latestCheckpoint(trialId))!;
  const stored = join(cluster.artifacts, trialId, checkpoint.id, CORRUPTED);
  const original = await readFile(stored);
  const flipped = Buffer.from(original);
  flipped[0]! ^= 0xff;
  await writeFile(stored, flipped);
  try {
    const out = join(cluster.dir, 'fetched-corrupt');
    const result = await cluster.cli(['checkpoints', 'fetch', trialId, '--out', out]);
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stderr, new RegExp(`${CORRUPTED}.*SHA-256|SHA-256.*${CORRUPTED}`));
    assert.equal(existsSync(out), false, 'nothing at the target');
    assert.deepEqual((await readdir(cluster.dir)).filter((name) => name.includes('fetched-corrupt')), [], 'no partial download left');
  } finally {
    await writeFile(stored, original);
  }
});
