import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { InvalidIdError } from '@jvae/protocol';
import { WorkerRegistry } from './worker-registry.js';
import { testRedis } from './test-redis.js';

let redis: Redis;
let prefix: string;
let cleanup: () => Promise<void>;

before(() => ({ redis, prefix, cleanup } = testRedis()));
after(() => cleanup());

const worker = (id: string) => ({ id, host: 'h', pid: 1, backend: 'cpu', threads: 2, device: 'cpu x2' });

describe('WorkerRegistry', () => {
  it('registers, heartbeats with state changes, lists lost workers and prunes old ones', async () => {
    const registry = new WorkerRegistry(redis, prefix, { heartbeatMs: 1000, pruneAfterMs: 10_000 });
    const registered = await registry.register(worker('w1'));
    assert.equal(registered.state, 'idle');
    await registry.register(worker('w2'));
    const busy = await registry.heartbeat('w1', { state: 'busy', trialId: 't1' });
    assert.equal(busy!.trialId, 't1');
    const now = Date.now();
    assert.deepEqual((await registry.list(now)).map((w) => [w.id, w.state, w.trialId]), [
      ['w1', 'busy', 't1'],
      ['w2', 'idle', undefined],
    ]);
    assert.equal((await registry.heartbeat('w1', { state: 'idle', trialId: null }))!.trialId, undefined);
    // Three heartbeats missed: lost; much later: pruned.
    assert.deepEqual((await registry.list(now + 3500)).map((w) => w.state), ['lost', 'lost']);
    assert.deepEqual(await registry.list(now + 20_000), []);
    assert.equal(await registry.heartbeat('w1'), null, 'a pruned worker must register again');
    await registry.register(worker('w3'));
    await registry.remove('w3');
    assert.deepEqual(await registry.list(), []);
    await assert.rejects(registry.register(worker('a:b')), InvalidIdError);
  });
});
