// The coordinator's local worker pool (--workers): what its workers are told, and ScaleWorkers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { cleanUp, eventually, startTestCoordinator, testSettings } from './testing.js';

/** A stand-in worker: writes its environment to FAKE_OUT/<pid> and waits; SIGTERM ends it. */
const FAKE_WORKER =
  "require('node:fs').writeFileSync(require('node:path').join(process.env.FAKE_OUT, String(process.pid)), JSON.stringify(process.env)); setInterval(() => {}, 1000);";

let out: string;
before(() => (out = mkdtempSync(join(tmpdir(), 'jvae-local-workers-'))));
after(() => rmSync(out, { recursive: true, force: true }));

/** The environment of every worker started so far, by pid. */
const environments = () =>
  new Map(readdirSync(out).map((pid) => [Number(pid), JSON.parse(readFileSync(join(out, pid), 'utf8')) as Record<string, string>]));

const isRunning = (pid: number) => {
  try {
    return process.kill(pid, 0);
  } catch {
    return false;
  }
};

describe('coordinator with --workers', () => {
  it('starts its workers with the connection settings, scales them over gRPC and stops them on close', async () => {
    const settings = testSettings();
    process.env.FAKE_OUT = out;
    const coordinator = await startTestCoordinator({ ...settings, workers: 1, workerCommand: [process.execPath, '-e', FAKE_WORKER], backend: 'cpu' });
    try {
      const [env] = (await eventually(async () => (environments().size === 1 ? environments() : undefined), 'the worker')).values();
      assert.deepEqual(
        [env!.JVAE_PREFIX, env!.JVAE_COORDINATOR, env!.JVAE_TOKEN, env!.REDIS_URL, env!.JVAE_BACKEND],
        [settings.prefix, coordinator.grpcAddress, settings.token, settings.redisUrl, 'cpu'],
      );
      assert.match(env!.JVAE_THREADS!, /^[1-9]\d*$/);
      assert.deepEqual(await coordinator.client.scaleWorkers({ count: 2 }), { previous: 1, target: 2 });
      await eventually(async () => (environments().size === 2 ? true : undefined), 'the second worker');
      await assert.rejects(coordinator.client.scaleWorkers({ count: 100_000 }), { code: grpc.status.INVALID_ARGUMENT });
    } finally {
      await coordinator.close();
      delete process.env.FAKE_OUT;
      await cleanUp(settings);
    }
    const pids = [...environments().keys()];
    assert.equal(pids.length, 2);
    for (const pid of pids) assert.equal(isRunning(pid), false);
  });
});
