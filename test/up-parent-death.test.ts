// `jvae up --workers 2` killed with SIGKILL, so it stops nothing itself: the coordinator it
// started sees its IPC channel close, stops its workers and exits, and no worker is left
// running or listed as live in the registry.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { binCommand } from '@jvae/orchestration';
import { WorkerRegistry, deletePrefix } from '@jvae/store';
import { testPrefix } from '@jvae/store/testing';
import { NodeProcess, REDIS_URL, REPO_ROOT, eventually } from './harness.js';

const WORKERS = 2;

let redis: Redis;
let prefix: string;
let dir: string;
let up: NodeProcess | undefined;
/** The coordinator's process group (its workers are in it), killed after a failed test. */
let coordinatorGroup: number | undefined;

before(async () => {
  redis = new Redis(REDIS_URL);
  prefix = testPrefix();
  dir = await mkdtemp(join(tmpdir(), 'jvae-e2e-up-'));
});

after(async () => {
  await up?.kill('SIGKILL');
  if (coordinatorGroup !== undefined) {
    try {
      process.kill(-coordinatorGroup, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
  await deletePrefix(redis, prefix);
  redis.disconnect();
  await rm(dir, { recursive: true, force: true });
});

/** False once no process has the id (ESRCH). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** The parent process id of `pid`, from ps. */
async function parentOf(pid: number): Promise<number> {
  const { stdout } = await promisify(execFile)('ps', ['-o', 'ppid=', '-p', String(pid)]);
  const parent = Number(stdout.trim());
  if (!Number.isSafeInteger(parent) || parent <= 0) throw new Error(`ps gave no parent for pid ${pid}: '${stdout}'`);
  return parent;
}

test('SIGKILL of jvae up: the coordinator stops its workers and exits, no worker stays registered', { timeout: 180_000 }, async () => {
  const registry = new WorkerRegistry(redis, prefix);
  const liveWorkers = async () => (await registry.list()).filter((w) => w.state === 'idle' || w.state === 'busy');
  const [program, ...args] = binCommand('jvae', REPO_ROOT);
  const jvaeUp = (up = new NodeProcess(
    'jvae up',
    spawn(program!, [...args, 'up', '--workers', String(WORKERS)], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        REDIS_URL,
        JVAE_PREFIX: prefix,
        JVAE_COORDINATOR: '127.0.0.1:0',
        JVAE_HTTP: '127.0.0.1:0',
        JVAE_TOKEN: `e2e-${randomBytes(6).toString('hex')}`,
        JVAE_ARTIFACTS: join(dir, 'artifacts'),
        JVAE_BACKEND: 'wasm',
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  ));
  try {
    await jvaeUp.waitFor(/jvae up: coordinator /);
    const workers = await eventually(`${WORKERS} workers to register`, async () => {
      const listed = await liveWorkers();
      return listed.length === WORKERS ? listed : undefined;
    });
    const workerPids = workers.map((w) => w.pid);
    const coordinatorPids = new Set(await Promise.all(workerPids.map(parentOf)));
    assert.equal(coordinatorPids.size, 1, `both workers are children of one coordinator (parents: ${[...coordinatorPids].join(', ')})`);
    const [coordinatorPid] = coordinatorPids;
    coordinatorGroup = coordinatorPid;
    assert.equal(await parentOf(coordinatorPid!), jvaeUp.child.pid, 'the coordinator is a child of jvae up');

    await jvaeUp.kill('SIGKILL');

    const pids = { coordinator: coordinatorPid!, ...Object.fromEntries(workers.map((w) => [`worker ${w.id}`, w.pid])) };
    await eventually(
      'the coordinator and its workers to exit',
      async () => (Object.values(pids).some(alive) ? undefined : true),
      60_000,
    ).catch((error: Error) => {
      const left = Object.entries(pids).filter(([, pid]) => alive(pid));
      throw new Error(`${error.message}; still running: ${left.map(([name, pid]) => `${name} (pid ${pid})`).join(', ')}`);
    });
    assert.deepEqual(
      (await liveWorkers()).map((w) => w.id),
      [],
      'no worker is listed as idle or busy once the processes are gone',
    );
  } catch (error) {
    if (error instanceof Error) error.message += `\n--- jvae up ---\n${jvaeUp.output}`;
    throw error;
  }
});
