// The local worker pool, with real child processes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkerPool, threadsPerWorker } from './worker-pool.js';

/** A stand-in worker: records its pid and environment, exits on SIGTERM unless told to ignore it. */
const FAKE_WORKER = `
import { writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
const out = process.env.FAKE_OUT;
writeFileSync(join(out, String(process.pid)), JSON.stringify({
  threads: process.env.JVAE_THREADS, prefix: process.env.JVAE_PREFIX, coordinator: process.env.JVAE_COORDINATOR,
  token: process.env.JVAE_TOKEN, redis: process.env.REDIS_URL, backend: process.env.JVAE_BACKEND,
}));
process.on('SIGTERM', () => {
  if (process.env.FAKE_STUBBORN) return;
  appendFileSync(join(out, 'terminated'), process.pid + '\\n');
  process.exit(0);
});
setInterval(() => {}, 1000);
`;

let dir: string;
let command: string[];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'jvae-pool-'));
  const entry = join(dir, 'fake-worker.mjs');
  writeFileSync(entry, FAKE_WORKER);
  command = [process.execPath, entry];
});
after(() => rmSync(dir, { recursive: true, force: true }));

function outDir(name: string): string {
  const out = join(dir, name);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  return out;
}

function started(out: string): Record<string, Record<string, string>> {
  return Object.fromEntries(
    readdirSync(out)
      .filter((name) => /^\d+$/.test(name))
      .map((pid) => [pid, JSON.parse(readFileSync(join(out, pid), 'utf8')) as Record<string, string>]),
  );
}

async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('threadsPerWorker', () => {
  it('shares the cores evenly, at least one thread each', () => {
    assert.equal(threadsPerWorker(16, 4), 4);
    assert.equal(threadsPerWorker(16, 3), 5);
    assert.equal(threadsPerWorker(2, 4), 1);
    assert.equal(threadsPerWorker(8, 0), 8, 'a pool scaled to zero still gives a worker a share');
  });
});

describe('WorkerPool', () => {
  it('spawns workers with a share of the cores, scales down, replaces a crashed one and stops all', async () => {
    const out = outDir('pool');
    const pool = new WorkerPool({ command, cwd: dir, env: { FAKE_OUT: out, JVAE_PREFIX: 'p1' }, cores: 4, restartDelayMs: 50, log: () => undefined });
    assert.deepEqual(pool.scale(2), { previous: 0, target: 2 });
    const first = await eventually(async () => (Object.keys(started(out)).length === 2 ? started(out) : undefined), 'two workers');
    for (const info of Object.values(first)) assert.deepEqual([info.threads, info.prefix], ['2', 'p1']);

    assert.deepEqual(pool.scale(1), { previous: 2, target: 1 });
    await eventually(async () => (pool.pids.length === 1 ? true : undefined), 'scale down');
    const [survivor] = pool.pids;
    process.kill(survivor!, 'SIGKILL');
    const replacement = await eventually(
      async () => (pool.pids.length === 1 && pool.pids[0] !== survivor && pool.pids[0]! > 0 ? pool.pids[0] : undefined),
      'a replacement',
    );
    await eventually(async () => (started(out)[replacement!] ? true : undefined), 'the replacement to start');
    assert.equal(started(out)[replacement!]!.threads, '4');

    await pool.stop();
    assert.equal(alive(replacement!), false);
    assert.equal(readFileSync(join(out, 'terminated'), 'utf8').trim().split('\n').length, 2, 'stopped with SIGTERM');
    assert.throws(() => pool.scale(1), /stopping/);
  });

  it('refuses an empty command', () => {
    assert.throws(() => new WorkerPool({ command: [], cwd: dir, env: {}, log: () => undefined }), /worker command is empty/);
  });

  it('kills a worker that ignores SIGTERM after the grace period', async () => {
    const out = outDir('stubborn');
    const pool = new WorkerPool({ command, cwd: dir, env: { FAKE_OUT: out, FAKE_STUBBORN: '1' }, graceMs: 300, log: () => undefined });
    pool.scale(1);
    await eventually(async () => (Object.keys(started(out)).length === 1 ? true : undefined), 'the worker');
    const [pid] = pool.pids;
    await pool.stop();
    assert.equal(alive(pid!), false);
  });
});
