import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { ConfigError } from '@jvae/protocol';
import { readWorkerSettings } from './worker-settings.js';

test('defaults: host-pid id, 30 s lock, stalled check at half of it, trial config decides threads', () => {
  const settings = readWorkerSettings({});
  assert.match(settings.id, new RegExp(`-${process.pid}$`));
  assert.equal(settings.lockMs, 30_000);
  assert.equal(settings.stalledMs, 15_000);
  assert.equal(settings.threads, undefined);
  assert.equal(settings.workDir, tmpdir());
});

test('reads every variable', () => {
  const settings = readWorkerSettings({
    JVAE_WORKER_ID: 'gpu-0',
    JVAE_LOCK_MS: '4000',
    JVAE_STALLED_MS: '1500',
    JVAE_THREADS: '0',
    JVAE_WORK_DIR: '/var/tmp',
    JVAE_GRADSYNC_LISTEN: '10.0.0.2:7000',
    JVAE_RING_TIMEOUT_MS: '5000',
    JVAE_GANG_JOIN_MS: '0',
    JVAE_HEARTBEAT_MS: '500',
    JVAE_RETRY_DELAY_MS: '250',
  });
  assert.deepEqual(settings, {
    id: 'gpu-0',
    lockMs: 4000,
    stalledMs: 1500,
    threads: 0,
    workDir: '/var/tmp',
    gradsync: { listen: '10.0.0.2:7000' },
    ringTimeoutMs: 5000,
    gangJoinMs: 0,
    heartbeatMs: 500,
    retryDelayMs: 250,
  });
});

test('bad values name the variable', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ JVAE_LOCK_MS: '10' }, /^JVAE_LOCK_MS: expected an integer ≥ 1000, got '10'$/],
    [{ JVAE_THREADS: '-1' }, /^JVAE_THREADS: expected an integer ≥ 0/],
    [{ JVAE_THREADS: '2.5' }, /^JVAE_THREADS: /],
    [{ JVAE_STALLED_MS: 'soon' }, /^JVAE_STALLED_MS: /],
    [{ JVAE_WORKER_ID: 'a/b' }, /^JVAE_WORKER_ID: invalid worker id 'a\/b'/],
    [{ JVAE_RING_TIMEOUT_MS: '5' }, /^JVAE_RING_TIMEOUT_MS: expected an integer ≥ 1000/],
    [{ JVAE_GRADSYNC_LISTEN: 'nowhere' }, /^JVAE_GRADSYNC_LISTEN: /],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => readWorkerSettings(env), (err: unknown) => err instanceof ConfigError && message.test(err.message));
  }
});
