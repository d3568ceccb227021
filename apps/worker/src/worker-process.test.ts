// The worker as a real process (its jvae-worker command), as the coordinator's pool runs it:
// a worker killed with SIGKILL mid-trial loses nothing (its job stalls back to the queue and the
// next worker resumes from the latest checkpoint), and SIGTERM releases the trial unharmed and
// exits 0.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { QUEUES, bullPrefix } from '@jvae/protocol';
import { WorkerRegistry, type TrialRecord } from '@jvae/store';
import { REDIS_URL, TEST_BACKEND, startTestBed, tinySpec, waitFor, type TestBed } from './test-support.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/jvae-worker.js', import.meta.url));

let bed: TestBed;
const children: ChildProcess[] = [];

before(async () => {
  bed = await startTestBed();
});

after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await bed.close();
});

function spawnWorker(id: string): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, [BIN], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      REDIS_URL,
      JVAE_PREFIX: bed.prefix,
      JVAE_COORDINATOR: bed.coordinator.grpcAddress,
      JVAE_BACKEND: TEST_BACKEND,
      JVAE_THREADS: '1',
      JVAE_LOCK_MS: '3000',
      JVAE_STALLED_MS: '1000',
      JVAE_WORKER_ID: id,
      JVAE_WORK_DIR: bed.workDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr!.on('data', (data: Buffer) => (output += data.toString()));
  children.push(child);
  return { child, output: () => output };
}

function trialWhere(id: string, what: string, ok: (trial: TrialRecord) => boolean): Promise<TrialRecord> {
  return waitFor(
    what,
    async () => {
      const trial = await bed.store.requireTrial(id);
      return ok(trial) ? trial : undefined;
    },
    25_000,
  );
}

test('SIGKILL mid-trial: the job stalls back and the next worker resumes; SIGTERM releases the trial and exits 0', async () => {
  const { id: sweepId } = await bed.client.submitSweep({
    spec: tinySpec(bed.datasetDir, { steps: 12, evalEvery: 4, checkpointEvery: 4 }, {}),
  });
  const [id] = await bed.store.trialIds(sweepId);
  const registry = new WorkerRegistry(bed.redis, bed.prefix);

  // Both start together; whichever takes the trial first is killed, the other takes over.
  const workers = { 'proc-a': spawnWorker('proc-a'), 'proc-b': spawnWorker('proc-b') };
  const first = await trialWhere(id!, 'a worker to upload the checkpoint of step 4', (t) => (t.checkpointStep ?? 0) >= 4);
  const killedId = first.workers[0] as keyof typeof workers;
  const otherId = killedId === 'proc-a' ? 'proc-b' : 'proc-a';
  workers[killedId].child.kill('SIGKILL');
  await once(workers[killedId].child, 'exit');

  const taken = await trialWhere(id!, 'the other worker to take the stalled trial and checkpoint again', (t) =>
    t.attempts === 2 && (t.checkpointStep ?? 0) >= 8,
  );
  assert.deepEqual(taken.workers, [otherId]);
  const other = workers[otherId];
  assert.match(other.output(), new RegExp(`trial ${id}: training .* from step ${first.checkpointStep} to 12`));
  other.child.kill('SIGTERM');
  const [code] = (await once(other.child, 'exit')) as [number | null];
  assert.equal(code, 0, other.output());
  assert.match(other.output(), new RegExp(`\\[worker ${otherId}\\] stopped`));

  const released = await bed.store.requireTrial(id!);
  assert.equal(released.state, 'queued');
  assert.equal(released.error, undefined);
  const queue = new Queue(QUEUES.trials, { connection: bed.redis, prefix: bullPrefix(bed.prefix) });
  try {
    assert.equal(await (await queue.getJob(id!))!.getState(), 'waiting');
  } finally {
    await queue.close();
  }
  assert.ok(!(await registry.list()).some((w) => w.id === otherId));
});
