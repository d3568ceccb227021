import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { answersPing, LocalRedis, RedisUnavailableError } from './local-redis.js';

// Nothing listens on port 1 of loopback.
const NOBODY = 'redis://127.0.0.1:1';

test('a Redis that answers is reused and left running', async () => {
  const redis = await LocalRedis.acquire({ localUrl: 'redis://127.0.0.1:6379' });
  assert.equal(redis.spawned, false);
  assert.equal(redis.url, 'redis://127.0.0.1:6379');
  await redis.stop();
  assert.equal(await answersPing('redis://127.0.0.1:6379'), true);
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
