import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { answersPing, LocalRedis, RedisUnavailableError } from './local-redis.js';
import { REDIS_URL } from './test-redis.js';

// Nothing listens on port 1 of loopback.
const NOBODY = 'redis://127.0.0.1:1';

test('a Redis that answers is reused and left running', async () => {
  const redis = await LocalRedis.acquire({ localUrl: REDIS_URL });
  assert.equal(redis.spawned, false);
  assert.equal(redis.url, REDIS_URL);
  await redis.stop();
  assert.equal(await answersPing(REDIS_URL), true);
});

test('without a local Redis, redis-server is spawned on a free port and stop() ends it', async () => {
  const redis = await LocalRedis.acquire({ localUrl: NOBODY });
  assert.equal(redis.spawned, true);
  assert.match(redis.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(redis.url, NOBODY);
  assert.equal(await answersPing(redis.url), true);
  const { pid, dir } = redis;
  assert.ok(pid && dir && existsSync(dir));
  await redis.stop();
  assert.equal(await answersPing(redis.url), false);
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  assert.equal(existsSync(dir), false);
});

test('no Redis and no redis-server: the error says how to get one', async () => {
  await assert.rejects(LocalRedis.acquire({ localUrl: NOBODY, serverBinary: 'jvae-no-such-redis-server' }), (err: Error) => {
    assert.ok(err instanceof RedisUnavailableError);
    assert.match(err.message, /apt-get install redis-server/);
    assert.match(err.message, /REDIS_URL/);
    return true;
  });
});

test('an explicit REDIS_URL that does not answer is an error, not replaced by a spawned server', async () => {
  await assert.rejects(LocalRedis.acquire({ url: 'redis://:secret@127.0.0.1:1' }), (err: Error) => {
    assert.ok(err instanceof RedisUnavailableError);
    assert.match(err.message, /REDIS_URL=redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
    assert.doesNotMatch(err.message, /secret/);
    return true;
  });
});

test('a spawned server with a data directory keeps an append-only file there across restarts', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'jvae-redis-data-'));
  try {
    const first = await LocalRedis.acquire({ localUrl: NOBODY, dataDir });
    assert.equal(first.persistent, true);
    const client = new Redis(first.url);
    await client.set('jvae-local-redis-test', 'kept');
    client.disconnect();
    await first.stop();
    assert.equal(existsSync(dataDir), true);

    const second = await LocalRedis.acquire({ localUrl: NOBODY, dataDir });
    const again = new Redis(second.url);
    assert.equal(await again.get('jvae-local-redis-test'), 'kept');
    again.disconnect();
    await second.stop();
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
