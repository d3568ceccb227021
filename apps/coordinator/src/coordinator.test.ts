// The coordinator end to end over real gRPC and HTTP on loopback, with real Redis and BullMQ.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { FailingWrites } from '@jvae/artifacts/testing';
import {
  MAX_TRIAL_PAGE,
  QUEUES,
  bullPrefix,
  coordinatorClient,
  type CheckpointChunk,
  type CheckpointChunk__Output,
  type SweepEvent__Output,
  type Trial__Output,
  checkHealth,
} from '@jvae/protocol';
import { SweepStore } from '@jvae/store';
import { REDIS_URL, TEST_WORKER, TOKEN, checkpointFiles, cleanUp, eventually, specText, startTestCoordinator, startTrial, testSettings, uploadChunks, type TestCoordinator } from './testing.js';

const settings = testSettings();
let coordinator: TestCoordinator;
let redis: Redis;
let store: SweepStore;
let queue: Queue;

before(async () => {
  coordinator = await startTestCoordinator(settings);
  redis = new Redis(REDIS_URL);
  store = new SweepStore(redis, settings.prefix);
  queue = new Queue(QUEUES.trials, { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix: bullPrefix(settings.prefix) });
});

after(async () => {
  await coordinator.close();
  await queue.close();
  await queue.disconnect();
  await cleanUp(settings);
  redis.disconnect();
});

async function prefixKeys(): Promise<string[]> {
  return (await redis.keys(`${settings.prefix}:*`)).sort();
}

async function submit(count: number): Promise<string[]> {
  const { id } = await coordinator.client.submitSweep({ spec: specText(count) });
  return store.trialIds(id);
}

/** A random search of `count` trials over 10 parameters. */
function largeSpec(count: number): string {
  return [
    'name: large',
    'method: random',
    `run_cap: ${count}`,
    'train: { preset: mnist, steps: 90 }',
    'metric: { name: loss, goal: minimize }',
    'parameters:',
    '  lr: { distribution: log_uniform_values, min: 0.0001, max: 0.01 }',
    '  temperature: { distribution: uniform, min: 0.5, max: 1.0 }',
    '  capacity.continuous.max: { distribution: uniform, min: 1, max: 50 }',
    '  capacity.continuous.gamma: { distribution: uniform, min: 1, max: 100 }',
    '  capacity.continuous.iters: { distribution: int_uniform, min: 100, max: 10000 }',
    '  capacity.discrete.max: { distribution: uniform, min: 0.5, max: 2.3 }',
    '  capacity.discrete.gamma: { distribution: uniform, min: 1, max: 100 }',
    '  capacity.discrete.iters: { distribution: int_uniform, min: 100, max: 10000 }',
    '  latent.continuous: { distribution: int_uniform, min: 4, max: 12 }',
    '  formulation: { distribution: categorical, values: [dupont, pytorch-vae] }',
  ].join('\n');
}

/** A watch's trials as a client keeps them: each message that carries a trial replaces it. */
function mergeTrials(events: readonly SweepEvent__Output[]): Map<string, Trial__Output> {
  const trials = new Map<string, Trial__Output>();
  for (const event of events) {
    for (const trial of [...(event.trials?.trials ?? []), ...(event.trial ? [event.trial] : [])]) trials.set(trial.id, trial);
  }
  return trials;
}

describe('coordinator gRPC', () => {
  it('reports SERVING to health checks without a token', async () => {
    assert.equal((await checkHealth(coordinator.grpcAddress)).status, 'SERVING');
    assert.equal((await checkHealth(coordinator.grpcAddress, 'jvae.v1.Coordinator')).status, 'SERVING');
  });

  it('refuses calls without the right token', async () => {
    const anonymous = coordinatorClient(coordinator.grpcAddress);
    const wrong = coordinatorClient(coordinator.grpcAddress, { token: 'not-it' });
    try {
      await assert.rejects(anonymous.listSweeps(), { code: grpc.status.UNAUTHENTICATED, details: /missing bearer token/ });
      await assert.rejects(wrong.submitSweep({ spec: specText(1) }), { code: grpc.status.UNAUTHENTICATED, details: /wrong token/ });
      await assert.rejects(wrong.uploadCheckpoint(uploadChunks('t', 1, checkpointFiles('x'))), { code: grpc.status.UNAUTHENTICATED });
      const watch = wrong.watchSweep({ id: 'x' });
      await assert.rejects(
        (async () => {
          for await (const _ of watch) void _;
        })(),
        { code: grpc.status.UNAUTHENTICATED },
      );
    } finally {
      anonymous.close();
      wrong.close();
    }
  });

  it('rejects a bad spec with INVALID_ARGUMENT naming the key, writing nothing', async () => {
    const before = await prefixKeys();
    await assert.rejects(coordinator.client.submitSweep({ spec: specText(2).replace('method: grid', 'method: grdi') }), {
      code: grpc.status.INVALID_ARGUMENT,
      details: /^method: /,
    });
    await assert.rejects(coordinator.client.submitSweep({ spec: specText(2).replace('steps: 90', 'steps: -5') }), {
      code: grpc.status.INVALID_ARGUMENT,
      details: /train\.steps/,
    });
    await assert.rejects(coordinator.client.submitSweep({ spec: '  ' }), { code: grpc.status.INVALID_ARGUMENT, details: /spec: empty/ });
    await assert.rejects(coordinator.client.submitSweep({ spec: `${specText(2)}\nreplicas: {min: 3, max: 2}\n` }), {
      code: grpc.status.INVALID_ARGUMENT,
      details: /^replicas\.min: must not exceed max \(got 3 > 2\)/,
    });
    assert.deepEqual(await prefixKeys(), before);
  });

  it('stores a sweep and queues one job per trial, in index order, with job id = trial id', async () => {
    const { id, trialCount } = await coordinator.client.submitSweep({ spec: specText(3) });
    assert.equal(trialCount, 3);
    const sweep = await coordinator.client.getSweep({ id });
    assert.equal(sweep.state, 'RUNNING');
    assert.equal(sweep.goal, 'MINIMIZE');
    assert.deepEqual(sweep.trials.map((t) => [t.index, t.state, t.totalSteps]), [
      [0, 'QUEUED', 90],
      [1, 'QUEUED', 90],
      [2, 'QUEUED', 90],
    ]);
    assert.deepEqual(JSON.parse(sweep.trials[1]!.paramsJson), { lr: 0.002 });
    const waiting = await queue.getJobs(['waiting'], 0, -1, true);
    const ours = waiting.filter((job) => job.id!.startsWith(id));
    assert.deepEqual(ours.map((job) => job.id), sweep.trials.map((t) => t.id));
    assert.deepEqual(ours[0]!.data, { trialId: sweep.trials[0]!.id });
    const { sweeps } = await coordinator.client.listSweeps({ limit: 1 });
    assert.equal(sweeps[0]!.id, id);
    assert.equal(sweeps[0]!.trials.length, 0);
    assert.equal(sweeps[0]!.counts!.queued, 3);
    await assert.rejects(coordinator.client.getSweep({ id: 'sw-missing' }), { code: grpc.status.NOT_FOUND });
    await assert.rejects(coordinator.client.getSweep({ id: '../x' }), { code: grpc.status.INVALID_ARGUMENT });
  });

  it('applies ASHA to eval events: the loser at a rung is asked to stop', async () => {
    const [a, b, c] = await submit(3);
    for (const id of [a, b, c]) await store.transitionTrial(id!, ['queued'], 'running');
    await store.recordEval(a!, 10, { loss: 1 });
    await store.recordEval(b!, 10, { loss: 2 });
    await store.recordEval(c!, 12, { loss: 3 });
    assert.equal(await eventually(async () => (await store.stopRequest(c!)) ?? undefined, 'the stop request'), 'asha');
    assert.equal(await store.stopRequest(a!), null);
    assert.equal(await store.stopRequest(b!), null);
  });

  it('watches a sweep from a snapshot to its final snapshot, and ranks its trials', async () => {
    const { id } = await coordinator.client.submitSweep({ spec: specText(2) });
    const [a, b] = await store.trialIds(id);
    await assert.rejects(coordinator.client.bestTrial({ sweepId: id }), { code: grpc.status.NOT_FOUND, details: /loss/ });
    const events: SweepEvent__Output[] = [];
    const watch = coordinator.client.watchSweep({ id, metrics: true });
    const done = (async () => {
      for await (const event of watch) events.push(event as SweepEvent__Output);
    })();
    await eventually(async () => (events.length > 0 ? true : undefined), 'the first snapshot');
    for (const [trial, loss] of [
      [a!, 2],
      [b!, 1],
    ] as const) {
      await store.transitionTrial(trial, ['queued'], 'running');
      await store.recordEval(trial, 90, { loss });
      await store.transitionTrial(trial, ['running'], 'completed');
    }
    await done;
    assert.equal(events[0]!.event, 'snapshot');
    assert.equal(events[0]!.snapshot!.trials.length, 0, 'snapshots carry no trials');
    assert.equal(events[0]!.snapshot!.totalTrials, 2);
    assert.equal(events[1]!.event, 'trials');
    assert.deepEqual(events[1]!.trials!.trials.map((t) => [t.id, t.state]), [[a, 'QUEUED'], [b, 'QUEUED']]);
    const last = events.at(-1)!;
    assert.equal(last.event, 'snapshot');
    assert.equal(last.snapshot!.state, 'COMPLETED');
    assert.equal(last.snapshot!.bestTrialId, b);
    assert.ok(events.some((e) => e.event === 'metric' && e.metric!.trialId === a && e.metric!.values.loss === 2));
    assert.ok(events.some((e) => e.event === 'trial' && e.trial!.id === a && e.trial!.state === 'COMPLETED'));
    assert.deepEqual([...mergeTrials(events).values()].map((t) => t.state), ['COMPLETED', 'COMPLETED']);
    const best = await coordinator.client.bestTrial({ sweepId: id });
    assert.equal(best.trial!.id, b);
    assert.equal(best.trial!.metric, 1);
    assert.equal(best.metric, 'loss');
    assert.equal(best.checkpoint, null);
    // Completion is also recorded by the event consumer, once.
    await eventually(async () => ((await store.requireSweep(id)).finishedAt > 0 ? true : undefined), 'finishedAt');
  });

  it('serves a 10,000-trial sweep of 10 parameters: pages of its ranking, a watch of deltas, a cancel', async () => {
    const { id, trialCount } = await coordinator.client.submitSweep({ spec: largeSpec(10_000) });
    assert.equal(trialCount, 10_000);
    const ids = await store.trialIds(id);
    // Two trials with a metric lead the ranking; the rest follow in index order.
    for (const [trial, loss] of [[ids[7]!, 3], [ids[4242]!, 2]] as const) {
      await store.transitionTrial(trial, ['queued'], 'running');
      await store.recordEval(trial, 90, { loss });
      await store.transitionTrial(trial, ['running'], 'completed');
    }
    const top = await coordinator.client.getSweep({ id, limit: 3, offset: 0 });
    assert.equal(top.totalTrials, 10_000);
    assert.equal(top.bestTrialId, ids[4242]);
    assert.deepEqual(top.trials.map((t) => [t.id, t.rank]), [[ids[4242], 1], [ids[7], 2], [ids[0], 0]]);
    const page = await coordinator.client.getSweep({ id, limit: 5, offset: 9_997 });
    assert.deepEqual(page.trials.map((t) => t.id), ids.slice(9_997));
    const capped = await coordinator.client.getSweep({ id, limit: 0, offset: 0 });
    assert.equal(capped.trials.length, MAX_TRIAL_PAGE);
    assert.equal(Object.keys(JSON.parse(capped.trials[0]!.paramsJson)).length, 10);

    const events: SweepEvent__Output[] = [];
    const watch = coordinator.client.watchSweep({ id, metrics: false });
    const done = (async () => {
      for await (const event of watch) events.push(event as SweepEvent__Output);
    })();
    await eventually(async () => (mergeTrials(events).size === 10_000 ? true : undefined), 'every trial listed', 60_000);
    assert.deepEqual((await coordinator.client.cancelSweep({ id })).cancelledTrials, 9_998);
    await done;
    const last = events.at(-1)!;
    assert.equal(last.snapshot?.state, 'CANCELLED');
    const merged = mergeTrials(events);
    assert.equal(merged.size, 10_000);
    assert.equal([...merged.values()].filter((t) => t.state === 'CANCELLED').length, 9_998);
    assert.deepEqual(last.snapshot!.counts, { queued: 0, running: 0, completed: 2, stopped: 0, failed: 0, cancelled: 9_998 });
  });

  it('max_concurrent: a sweep has at most that many trials live; the next ones come as trials end', async () => {
    const { id, trialCount } = await coordinator.client.submitSweep({ spec: `${specText(4)}\nmax_concurrent: 2\n` });
    assert.equal(trialCount, 4);
    const first = await store.trialIds(id);
    assert.equal(first.length, 2);
    assert.deepEqual((await queue.getJobs(['waiting'])).map((j) => j.id).filter((j) => first.includes(j!)).sort(), [...first].sort());
    await store.transitionTrial(first[0]!, ['queued'], 'running');
    await store.transitionTrial(first[0]!, ['running'], 'completed');
    const three = await eventually(async () => ((await store.trialIds(id)).length === 3 ? store.trialIds(id) : undefined), 'a third trial');
    assert.ok(await queue.getJob(three[2]!), 'queued as a job');
    for (const trial of three.slice(1)) {
      await store.transitionTrial(trial, ['queued'], 'running');
      await store.transitionTrial(trial, ['running'], 'completed');
    }
    assert.equal((await store.requireSweep(id)).state, 'running', 'not finished while a trial is still to come');
    const last = await eventually(async () => (await store.trialIds(id))[3], 'the fourth trial');
    await store.transitionTrial(last, ['queued'], 'running');
    await store.transitionTrial(last, ['running'], 'completed');
    await eventually(async () => ((await store.requireSweep(id)).finishedAt > 0 ? true : undefined), 'the sweep finished');
    assert.equal((await store.requireSweep(id)).state, 'completed');
  });

  it('bayes: start-up trials first, then each suggestion once trials end, learning from their results', async () => {
    const spec = [
      'name: bayes-test',
      'method: bayes',
      'run_cap: 4',
      'bayes: { startup_trials: 2 }',
      'train: { preset: mnist, steps: 90 }',
      'metric: { name: loss, goal: minimize }',
      'parameters:',
      '  lr: { distribution: log_uniform_values, min: 0.0001, max: 0.01 }',
    ].join('\n');
    const { id, trialCount } = await coordinator.client.submitSweep({ spec });
    assert.equal(trialCount, 4);
    assert.equal((await store.trialIds(id)).length, 2, 'the start-up trials');
    let done = 0;
    while (done < 4) {
      const trials = await eventually(async () => {
        const all = await store.getTrials(id);
        return all.length > done ? all : undefined;
      }, `trial ${done}`);
      const trial = trials[done]!;
      await store.transitionTrial(trial.id, ['queued'], 'running');
      await store.recordEval(trial.id, 90, { loss: Math.abs(Math.log10(trial.params.lr as number) + 3) });
      await store.transitionTrial(trial.id, ['running'], 'completed');
      done++;
    }
    await eventually(async () => ((await store.requireSweep(id)).finishedAt > 0 ? true : undefined), 'the sweep finished');
    const trials = await store.getTrials(id);
    assert.equal(trials.length, 4);
    for (const trial of trials) {
      const lr = trial.params.lr as number;
      assert.ok(lr >= 0.0001 && lr <= 0.01, `lr ${lr} in range`);
      assert.equal(trial.config.lr, lr);
    }
    assert.equal(new Set(trials.map((t) => t.params.lr)).size, 4, 'four different points');
  });

  it('cancels: queued trials cancelled and their jobs removed, running ones asked to stop', async () => {
    const { id } = await coordinator.client.submitSweep({ spec: specText(3) });
    const [a, b, c] = await store.trialIds(id);
    await store.transitionTrial(a!, ['queued'], 'running');
    const response = await coordinator.client.cancelSweep({ id });
    assert.deepEqual(response, { state: 'CANCELLED', cancelledTrials: 3 });
    assert.equal(await store.stopRequest(a!), 'cancel');
    assert.equal((await store.requireTrial(b!)).state, 'cancelled');
    assert.equal(await queue.getJob(b!), undefined);
    assert.equal(await queue.getJob(c!), undefined);
    assert.deepEqual(await coordinator.client.cancelSweep({ id }), { state: 'CANCELLED', cancelledTrials: 0 });
    await assert.rejects(coordinator.client.cancelSweep({ id: 'sw-none' }), { code: grpc.status.NOT_FOUND });
  });

  it('ListWorkers lists the registry; ScaleWorkers needs a local pool', async () => {
    const { workers } = await coordinator.client.listWorkers();
    assert.deepEqual(workers, []);
    await assert.rejects(coordinator.client.scaleWorkers({ count: 2 }), {
      code: grpc.status.FAILED_PRECONDITION,
      details: /KEDA/,
    });
  });
});

describe('artifact store', () => {
  async function download(request: { trialId?: string; checkpointId?: string }) {
    const chunks: CheckpointChunk__Output[] = [];
    for await (const chunk of coordinator.client.downloadCheckpoint(request)) chunks.push(chunk as CheckpointChunk__Output);
    const [first, ...rest] = chunks;
    const files = new Map<string, Buffer>();
    for (const chunk of rest) {
      const { path, offset, data } = chunk.file!;
      const sofar = files.get(path) ?? Buffer.alloc(0);
      assert.equal(offset, sofar.length);
      files.set(path, Buffer.concat([sofar, data]));
    }
    return { manifest: first!.manifest!, files };
  }

  function stored(root = settings.artifacts): string[] {
    return existsSync(root) ? readdirSync(root, { recursive: true }).map(String) : [];
  }

  /** A trial running on TEST_WORKER. */
  async function runningTrial(): Promise<string> {
    const [trial] = await submit(1);
    await startTrial(store, trial!);
    return trial!;
  }

  const as = { workerId: TEST_WORKER };

  it('rejects a corrupt upload naming the file, keeping nothing', async () => {
    const trial = await runningTrial();
    const files = checkpointFiles('bad');
    await assert.rejects(coordinator.client.uploadCheckpoint(uploadChunks(trial, 10, files, { ...as, sha: { 'encoder/weights.bin': 'ab'.repeat(32) } })), {
      code: grpc.status.INVALID_ARGUMENT,
      details: /encoder\/weights\.bin.*SHA-256/,
    });
    await assert.rejects(coordinator.client.uploadCheckpoint(uploadChunks(trial, 10, files, { ...as, extraPath: 'notes.txt' })), {
      code: grpc.status.INVALID_ARGUMENT,
      details: /notes\.txt.*not listed/,
    });
    const traversal = new Map([['../escape.bin', Buffer.from('x')]]);
    await assert.rejects(coordinator.client.uploadCheckpoint(uploadChunks(trial, 10, traversal, as)), {
      code: grpc.status.INVALID_ARGUMENT,
      details: /\.\.\/escape\.bin/,
    });
    const truncated = [...uploadChunks(trial, 10, files, as)].slice(0, -2);
    await assert.rejects(coordinator.client.uploadCheckpoint(truncated), {
      code: grpc.status.INVALID_ARGUMENT,
      details: /encoder\/weights\.bin.*received/,
    });
    await assert.rejects(coordinator.client.uploadCheckpoint(uploadChunks('no-such-trial', 10, files, as)), { code: grpc.status.NOT_FOUND });
    assert.equal((await store.requireTrial(trial)).checkpointId, undefined);
    assert.deepEqual(stored().filter((p) => !p.startsWith('.uploads')), []);
    assert.deepEqual(readdirSync(join(settings.artifacts, '.uploads')), []);
  });

  it('accepts uploads only of a running trial, from its worker, at a step within its steps', async () => {
    const trial = await runningTrial();
    const files = checkpointFiles('admission');
    const refused = async (chunks: Iterable<CheckpointChunk>, code: grpc.status, details: RegExp) =>
      assert.rejects(coordinator.client.uploadCheckpoint(chunks), { code, details });
    await refused(uploadChunks(trial, 10, files), grpc.status.INVALID_ARGUMENT, new RegExp(`trial '${trial}': the manifest's worker_id is empty`));
    await refused(uploadChunks(trial, 10, files, { workerId: 'w-other' }), grpc.status.FAILED_PRECONDITION, new RegExp(`trial '${trial}' runs on worker ${TEST_WORKER}, not on worker 'w-other'`));
    await refused(uploadChunks(trial, 91, files, as), grpc.status.INVALID_ARGUMENT, new RegExp(`trial '${trial}': step 91 is beyond its 90 steps`));
    const ok = await coordinator.client.uploadCheckpoint(uploadChunks(trial, 90, files, as));

    // Once the trial is over, nobody may replace its checkpoint, least of all at a step it never reached.
    await store.transitionTrial(trial, ['running'], 'completed', { step: 90 });
    await refused(uploadChunks(trial, 500, files, as), grpc.status.FAILED_PRECONDITION, new RegExp(`trial '${trial}' is completed: checkpoints are accepted only while it runs`));
    const [queued] = await submit(1);
    await refused(uploadChunks(queued!, 1, files, as), grpc.status.FAILED_PRECONDITION, new RegExp(`trial '${queued}' is queued`));
    const after = await store.requireTrial(trial);
    assert.equal(after.checkpointId, ok.checkpointId);
    assert.equal(after.checkpointStep, 90);
    assert.deepEqual(readdirSync(join(settings.artifacts, trial)), [ok.checkpointId]);
    assert.deepEqual(readdirSync(join(settings.artifacts, '.uploads')), []);
  });

  it('discards an upload the client abandons midway', async () => {
    const trial = await runningTrial();
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${TOKEN}`);
    const failed = new Promise((resolve) => {
      const call = coordinator.client.client.uploadCheckpoint(metadata, (error) => resolve(error));
      const [manifest, first] = uploadChunks(trial, 10, checkpointFiles('abandoned'), as);
      call.write(manifest!);
      call.write(first!, () => setTimeout(() => call.cancel(), 200));
    });
    assert.equal(((await failed) as grpc.ServiceError).code, grpc.status.CANCELLED);
    await eventually(async () => (readdirSync(join(settings.artifacts, '.uploads')).length === 0 ? true : undefined), 'the temp dir to go');
    assert.equal((await store.requireTrial(trial)).checkpointId, undefined);
  });

  it('round-trips an upload byte for byte and keeps the two newest checkpoints', async () => {
    const trial = await runningTrial();
    const ids: string[] = [];
    const versions = [10, 20, 30].map((step) => ({ step, files: checkpointFiles(`v${step}`) }));
    for (const { step, files } of versions) {
      const response = await coordinator.client.uploadCheckpoint(uploadChunks(trial, step, files, as));
      assert.equal(response.ok, true);
      ids.push(response.checkpointId);
    }
    const latest = await download({ trialId: trial });
    assert.equal(latest.manifest.id, ids[2]);
    assert.equal(latest.manifest.step, 30);
    assert.deepEqual(latest.files, versions[2]!.files);
    const second = await download({ checkpointId: ids[1]! });
    assert.deepEqual(second.files, versions[1]!.files);
    await assert.rejects(download({ checkpointId: ids[0]! }), { code: grpc.status.NOT_FOUND });
    assert.deepEqual(readdirSync(join(settings.artifacts, trial)).sort(), [ids[1], ids[2]].sort());
    const sweep = await coordinator.client.getSweep({ id: (await store.requireTrial(trial)).sweepId });
    assert.equal(sweep.trials[0]!.checkpoint!.id, ids[2]);
    assert.equal(sweep.trials[0]!.checkpoint!.files.length, 3);
  });

  it('answers a full disk with RESOURCE_EXHAUSTED and other storage failures with UNAVAILABLE, keeping nothing; then stores again', async () => {
    // Another coordinator on the same Redis prefix, with an artifact store of its own.
    const failing = { ...testSettings(), prefix: settings.prefix };
    const writes = new FailingWrites('ENOSPC', Infinity);
    const logged: string[] = [];
    const other = await startTestCoordinator({ ...failing, artifactFs: writes.fs, log: (line) => logged.push(line) });
    try {
      const trial = await runningTrial();
      const files = checkpointFiles('full');
      await assert.rejects(other.client.uploadCheckpoint(uploadChunks(trial, 10, files, as)), {
        code: grpc.status.RESOURCE_EXHAUSTED,
        details: /ENOSPC/,
      });
      assert.ok(logged.some((line) => /^artifact store: checkpoint storage: .*ENOSPC/.test(line)), logged.join('\n'));
      writes.remaining = 0;
      const broken = new FailingWrites('EIO', 1);
      const io = await startTestCoordinator({ ...failing, artifactFs: broken.fs });
      try {
        await assert.rejects(io.client.uploadCheckpoint(uploadChunks(trial, 10, files, as)), { code: grpc.status.UNAVAILABLE, details: /EIO/ });
      } finally {
        await io.close();
      }
      assert.equal((await store.requireTrial(trial)).checkpointId, undefined);
      assert.deepEqual(stored(failing.artifacts).filter((p) => !p.startsWith('.uploads')), []);
      assert.deepEqual(readdirSync(join(failing.artifacts, '.uploads')), []);

      const ok = await other.client.uploadCheckpoint(uploadChunks(trial, 10, files, as));
      assert.equal((await store.requireTrial(trial)).checkpointId, ok.checkpointId);
      assert.deepEqual(readdirSync(join(failing.artifacts, trial)), [ok.checkpointId]);
    } finally {
      await other.close();
      rmSync(failing.artifacts, { recursive: true, force: true });
    }
  });
});

describe('coordinator HTTP', () => {
  const url = (path: string) => `http://${coordinator.httpAddress}${path}`;
  const auth = { headers: { authorization: `Bearer ${TOKEN}` } };

  it('serves sweeps with trials and series under the token; metrics, health and the dashboard', async () => {
    const [trial] = await submit(1);
    await store.transitionTrial(trial!, ['queued'], 'running');
    await store.recordEval(trial!, 10, { loss: 4, klCont: 1, capacityCont: 0.5 });
    const sweepId = (await store.requireTrial(trial!)).sweepId;

    assert.equal((await fetch(url('/api/sweeps'))).status, 401);
    assert.equal((await fetch(url('/api/sweeps'), { headers: { authorization: 'Bearer nope' } })).status, 401);
    const list = (await (await fetch(url(`/api/sweeps?token=${TOKEN}`))).json()) as { sweeps: { id: string }[] };
    assert.ok(list.sweeps.some((s) => s.id === sweepId));
    const detail = (await (await fetch(url(`/api/sweeps/${sweepId}`), auth)).json()) as {
      state: string;
      trials: { id: string; state: string; series: { step: number; values: Record<string, number> }[] }[];
    };
    assert.equal(detail.state, 'running');
    assert.equal(detail.trials[0]!.series[0]!.values.capacityCont, 0.5);
    const [, second] = await submit(3);
    const paged = (await (await fetch(url(`/api/sweeps/${(await store.requireTrial(second!)).sweepId}?limit=1&offset=1`), auth)).json()) as {
      total: number;
      trials: { id: string }[];
    };
    assert.equal(paged.total, 3);
    assert.deepEqual(paged.trials.map((t) => t.id), [second]);
    const refused = await fetch(url(`/api/sweeps/${sweepId}?limit=-1`), auth);
    assert.equal(refused.status, 400);
    assert.match(((await refused.json()) as { error: string }).error, /^limit: /);
    assert.equal((await fetch(url('/api/sweeps/sw-missing'), auth)).status, 404);
    assert.equal((await fetch(url('/api/workers'), auth)).status, 200);

    const metrics = await (await fetch(url('/metrics'))).text();
    assert.match(metrics, /jvae_trials\{state="running"\} [1-9]/);
    assert.match(metrics, new RegExp(`jvae_trial_step\\{sweep="${sweepId}",trial="${trial}"\\} 10`));
    assert.match(metrics, /jvae_queue_jobs\{state="waiting"\} \d+/);
    assert.deepEqual(await (await fetch(url('/healthz'))).json(), { ok: true });
    const page = await (await fetch(url('/'))).text();
    assert.match(page, /<canvas id="loss">/);
    // The PBT schedule panel ships hidden: a sweep without a schedule looks as it did before PBT.
    assert.match(page, /<div id="schedule" class="schedule" hidden>/);

    assert.equal((await fetch(url('/queues'))).status, 401);
    const board = await fetch(url(`/queues?token=${TOKEN}`));
    assert.equal(board.status, 200);
    const cookie = board.headers.get('set-cookie')!.split(';')[0]!;
    const api = await fetch(url('/queues/api/queues'), { headers: { cookie } });
    assert.equal(api.status, 200);
  });
});

describe('restart', () => {
  it('re-enqueues trials whose jobs went missing, so a restarted coordinator loses nothing', async () => {
    const [a, b] = await submit(2);
    await store.transitionTrial(a!, ['queued'], 'running');
    await coordinator.close();
    await (await queue.getJob(a!))!.remove();
    await (await queue.getJob(b!))!.remove();
    coordinator = await startTestCoordinator(settings);
    assert.ok(await queue.getJob(a!), 'the running trial is queued again');
    assert.ok(await queue.getJob(b!), 'the queued trial is queued again');
    assert.equal((await checkHealth(coordinator.grpcAddress)).status, 'SERVING');
  });
});
