// The sweep-side commands of the real `jvae` bin against a real coordinator on loopback
// (real Redis under a test prefix, real artifact store in a temporary directory). The
// trial that "trains" is moved through the store as a worker would move it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { CoordinatorProcess } from '@jvae/orchestration';
import { coordinatorClient, type CheckpointChunk, type CoordinatorConnection } from '@jvae/protocol';
import { deletePrefix, SweepStore, WorkerRegistry } from '@jvae/store';
import { REDIS_URL } from '@jvae/store/testing';

const BIN = fileURLToPath(new URL('../bin/jvae.js', import.meta.url));
const TOKEN = 'cli-test-token';
const prefix = `jvae-test-cli-${randomBytes(4).toString('hex')}`;

const SPEC = `
name: cli-test
method: grid
metric: {name: discreteAccuracy, goal: maximize}
dataset: {name: mnist-sample}
train: {preset: mnist, steps: 40, batchSize: 8, evalEvery: 20, checkpointEvery: 20}
parameters:
  capacity.discrete.max: {values: [1, 2.3]}
`;

let dir: string;
let coordinator: CoordinatorProcess;
let client: CoordinatorConnection;
let redis: Redis;
let store: SweepStore;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function jvae(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: dir,
        env: {
          ...process.env,
          JVAE_COORDINATOR: coordinator.grpcAddress,
          JVAE_HTTP: coordinator.httpAddress,
          JVAE_TOKEN: TOKEN,
          ...env,
        },
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const checkpoint: Record<string, Buffer> = {
  'manifest.json': Buffer.from('{"version":1,"files":[]}'),
  'encoder/weights.bin': randomBytes(70_000),
  'trial.json': Buffer.from('{"step":40}'),
};

/** The worker the trial that "trains" runs on. */
const WORKER = 'w-cli';

function* uploadChunks(trialId: string): Generator<CheckpointChunk> {
  yield {
    manifest: {
      trialId,
      step: 40,
      workerId: WORKER,
      files: Object.entries(checkpoint).map(([path, data]) => ({ path, size: data.length, sha256: sha256(data) })),
    },
  };
  for (const [path, data] of Object.entries(checkpoint)) yield { file: { path, offset: 0, data } };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jvae-cli-bin-'));
  // With a local pool of none, so that ScaleWorkers is served.
  coordinator = await CoordinatorProcess.start({
    args: ['--workers', '0'],
    env: { REDIS_URL, JVAE_PREFIX: prefix, JVAE_COORDINATOR: '127.0.0.1:0', JVAE_HTTP: '127.0.0.1:0', JVAE_TOKEN: TOKEN, JVAE_ARTIFACTS: join(dir, 'artifacts') },
  });
  client = coordinatorClient(coordinator.grpcAddress, { token: TOKEN });
  redis = new Redis(REDIS_URL);
  store = new SweepStore(redis, prefix);
});

after(async () => {
  client?.close();
  await coordinator?.stop();
  if (redis) {
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
  await rm(dir, { recursive: true, force: true });
});

describe('jvae against a running coordinator', () => {
  let sweepId = '';
  let trials: string[] = [];

  it('sweep submit --json prints exactly the id', async () => {
    await writeFile(join(dir, 'sweep.yaml'), SPEC);
    const run = await jvae(['sweep', 'submit', 'sweep.yaml', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const printed = JSON.parse(run.stdout) as { id: string };
    assert.deepEqual(Object.keys(printed), ['id']);
    sweepId = printed.id;
    trials = await store.trialIds(sweepId);
    assert.equal(trials.length, 2);
  });

  it('a bad spec is refused with the key at fault and exit code 1', async () => {
    await writeFile(join(dir, 'bad.yaml'), SPEC.replace('discreteAccuracy', 'accuracy'));
    const run = await jvae(['sweep', 'submit', 'bad.yaml']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /bad\.yaml: metric\.name/);
    assert.equal(run.stdout, '');
  });

  it('sweep list and sweep status show the sweep, its trials and the ranking', async () => {
    // One trial trains to the end and reports the metric, as a worker would.
    const [t0] = [...trials].sort();
    await store.transitionTrial(t0, ['queued'], 'running', { workers: [WORKER] });
    await store.recordEval(t0, 40, { discreteAccuracy: 0.75, loss: 120 });
    const uploaded = await client.uploadCheckpoint(uploadChunks(t0));
    await store.transitionTrial(t0, ['running'], 'completed', { step: 40 });

    const [list, status, table] = await Promise.all([
      jvae(['sweep', 'list', '--json']),
      jvae(['sweep', 'status', sweepId, '--json']),
      jvae(['sweep', 'status', sweepId]),
    ]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual((JSON.parse(list.stdout) as { id: string }[]).map((s) => s.id), [sweepId]);

    assert.equal(status.code, 0, status.stderr);
    const json = JSON.parse(status.stdout);
    assert.equal(json.id, sweepId);
    assert.equal(json.state, 'running');
    const first = json.trials.find((t: { id: string }) => t.id === t0);
    assert.deepEqual(
      { state: first.state, step: first.step, metric: first.metric, rank: first.rank, checkpoint: first.checkpoint.id },
      { state: 'completed', step: 40, metric: 0.75, rank: 1, checkpoint: uploaded.checkpointId },
    );
    assert.deepEqual(Object.keys(first.params), ['capacity.discrete.max']);

    assert.match(table.stdout, new RegExp(`^1\\s+${t0}\\s+completed\\s+40/40\\s+0\\.75\\s+capacity\\.discrete\\.max=`, 'm'));

    // Pages of the ranking: the second trial alone, and the first one as JSON.
    const t1 = trials.find((t) => t !== t0)!;
    const [second, top, badLimit] = await Promise.all([
      jvae(['sweep', 'status', sweepId, '--limit', '1', '--offset', '1']),
      jvae(['sweep', 'status', sweepId, '--json', '--limit', '1']),
      jvae(['sweep', 'status', sweepId, '--limit', '0']),
    ]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, new RegExp(`^-\\s+${t1}\\s+queued`, 'm'));
    assert.doesNotMatch(second.stdout, new RegExp(`${t0}\\s+completed`));
    assert.match(second.stdout, /^trials 2–2 of 2 shown$/m);
    const page = JSON.parse(top.stdout);
    assert.equal(page.totalTrials, 2);
    assert.deepEqual(page.trials.map((t: { id: string; rank: number }) => [t.id, t.rank]), [[t0, 1]]);
    assert.equal(badLimit.code, 2);
    assert.match(badLimit.stderr, /--limit must be an integer from 1/);
  });

  it('checkpoints best --out downloads the best trial; checkpoints fetch verifies every file', async () => {
    const [t0] = [...trials].sort();
    const [best, fetched] = await Promise.all([
      jvae(['checkpoints', 'best', sweepId, '--out', 'best', '--json']),
      jvae(['checkpoints', 'fetch', t0, '--out', 'fetched']),
    ]);
    assert.equal(best.code, 0, best.stderr);
    const result = JSON.parse(best.stdout);
    assert.equal(result.trial.id, t0);
    assert.equal(result.value, 0.75);
    assert.equal(result.path, join(dir, 'best'));
    for (const [path, data] of Object.entries(checkpoint)) assert.deepEqual(await readFile(join(dir, 'best', path)), data);

    assert.equal(fetched.code, 0, fetched.stderr);
    assert.match(fetched.stdout, /SHA-256 verified\) saved to .*fetched/);

    // Corrupt the stored copy: the download must be refused, naming the file, leaving nothing.
    const stored = join(result.checkpoint.location, 'encoder', 'weights.bin');
    const bytes = await readFile(stored);
    bytes[123] ^= 0xff;
    await writeFile(stored, bytes);
    const corrupt = await jvae(['checkpoints', 'fetch', t0, '--out', 'corrupt']);
    assert.equal(corrupt.code, 1);
    assert.match(corrupt.stderr, /checkpoint file 'encoder\/weights\.bin': SHA-256 .* differs from the manifest's/);
    assert.equal(existsSync(join(dir, 'corrupt')), false);
    assert.deepEqual((await readdir(dir)).filter((name) => name.includes('corrupt')), []);
  });

  it('checkpoints fetch refuses a directory of other files with one line, touching nothing', async () => {
    const [t0] = [...trials].sort();
    await mkdir(join(dir, 'home'));
    await writeFile(join(dir, 'home', 'notes.txt'), 'mine');
    const refused = await jvae(['checkpoints', 'fetch', t0, '--out', 'home']);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, `jvae checkpoints fetch: ${join(dir, 'home')} exists and is not a checkpoint directory; choose another --out\n`);
    assert.equal(refused.stdout, '');
    assert.deepEqual(await readdir(join(dir, 'home')), ['notes.txt']);
  });

  it('workers list shows the registered workers; workers scale resizes the local pool', async () => {
    await new WorkerRegistry(redis, prefix).register({ id: 'w-cli', host: 'box', pid: 4242, backend: 'wasm', threads: 2, device: 'cpu x2' });
    const [list, scale] = await Promise.all([jvae(['workers', 'list', '--json']), jvae(['workers', 'scale', '0'])]);
    assert.equal(list.code, 0, list.stderr);
    const [worker] = JSON.parse(list.stdout);
    assert.deepEqual(
      { id: worker.id, host: worker.host, pid: worker.pid, backend: worker.backend, state: worker.state, trial: worker.trial },
      { id: 'w-cli', host: 'box', pid: 4242, backend: 'wasm', state: 'idle', trial: null },
    );
    assert.ok(worker.lastHeartbeat > 0);
    assert.equal(scale.code, 0, scale.stderr);
    assert.equal(scale.stdout.trim(), 'workers: 0 → 0');
  });

  it('sweep cancel stops the rest; sweep watch then prints the final ranking', async () => {
    const cancel = await jvae(['sweep', 'cancel', sweepId]);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, /cancelled \(1 trial\(s\) cancelled now\)/);
    const watch = await jvae(['sweep', 'watch', sweepId]);
    assert.equal(watch.code, 1, 'a cancelled sweep exits 1');
    assert.match(watch.stderr, /trial \S+: cancelled step 0\/40/);
    assert.match(watch.stdout, /Ranking of sweep \S+ \(cancelled\):\nrank\s+trial/);
  });

  it('sweep retry queues the cancelled trial again and the sweep runs again', async () => {
    const retry = await jvae(['sweep', 'retry', sweepId]);
    assert.equal(retry.code, 0, retry.stderr);
    assert.match(retry.stdout, /: running \(1 trial\(s\) queued again\)/);
    const again = await store.requireSweep(sweepId);
    assert.equal(again.cancelled, false);
    assert.deepEqual(again.counts.queued, 1);
    assert.match((await jvae(['sweep', 'retry', 'sw-none'])).stderr, /sw-none/);
  });

  it('explains a missing token and an unreachable coordinator', async () => {
    const [denied, down] = await Promise.all([
      jvae(['sweep', 'list'], { JVAE_TOKEN: '' }),
      jvae(['sweep', 'list'], { JVAE_COORDINATOR: '127.0.0.1:1' }),
    ]);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /refused the call: missing bearer token.*Set JVAE_TOKEN/);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cannot reach the coordinator at 127\.0\.0\.1:1 .*\n.*jvae up/);
  });
});
