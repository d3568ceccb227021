import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { keys } from '@jvae/protocol';
import { EventLog } from './event-log.js';
import { testRedis } from './test-redis.js';

let redis: Redis;
let prefix: string;
let cleanup: () => Promise<void>;

before(() => ({ redis, prefix, cleanup } = testRedis()));
after(() => cleanup());

const at = (step: number) => ({ type: 'eval' as const, sweepId: 'sw1', trialId: 't1', step, values: { loss: step }, time: step });

describe('EventLog', () => {
  it('appends to the sweep stream and the global stream; watchers read what follows an id', async () => {
    const log = new EventLog(redis, prefix);
    assert.equal(await log.latestId('sw1'), '0-0');
    await log.append(at(1));
    const mark = await log.latestId('sw1');
    await log.append(at(2));
    await log.append({ type: 'sweep', sweepId: 'sw2', state: 'cancelled', time: 3 });
    assert.deepEqual((await log.readSweep('sw1', '0-0')).map((e) => e.event), [at(1), at(2)]);
    assert.deepEqual((await log.readSweep('sw1', mark)).map((e) => e.event), [at(2)]);
    assert.equal((await log.readSweep('sw2', '0-0')).length, 1);
  });

  it('a blocked reader wakes on a new event', async () => {
    const reader = redis.duplicate();
    try {
      const log = new EventLog(reader, prefix);
      const mark = await log.latestId('sw3');
      const pending = log.readSweep('sw3', mark, { blockMs: 5000 });
      await new EventLog(redis, prefix).append({ type: 'sweep', sweepId: 'sw3', state: 'completed', time: 1 });
      const events = await pending;
      assert.equal(events.length, 1);
    } finally {
      reader.disconnect();
    }
  });

  it('a consumer group re-reads unacknowledged events after a restart, and skips junk', async () => {
    const p = `${prefix}-group`;
    const log = new EventLog(redis, p);
    try {
      await log.ensureGroup('coordinator');
      await log.ensureGroup('coordinator');
      await log.append(at(1));
      await redis.xadd(keys(p).events(), '*', 'junk', 'x');
      await log.append(at(2));
      const first = await log.consume('coordinator', 'c');
      assert.deepEqual(first.map((e) => e.event.type === 'eval' && e.event.step), [1, 2]);
      await log.ack('coordinator', [first[0]!.id]);
      // "Crash": nothing else acknowledged; the next consume hands out the pending one again.
      const again = await log.consume('coordinator', 'c');
      assert.deepEqual(again.map((e) => e.id), [first[1]!.id]);
      await log.ack('coordinator', [again[0]!.id]);
      assert.deepEqual(await log.consume('coordinator', 'c'), []);
      await log.append(at(3));
      const next = await log.consume('coordinator', 'c', { blockMs: 100 });
      assert.deepEqual(next.map((e) => e.event.type === 'eval' && e.event.step), [3]);
    } finally {
      await redis.del(keys(p).events(), keys(p).sweepEvents('sw1'));
    }
  });
});
