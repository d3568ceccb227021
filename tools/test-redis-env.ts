/**
 * The Redis every test run talks to: the one at REDIS_URL (default 127.0.0.1:6379)
 * when it answers, otherwise a throwaway `redis-server` from PATH for the run only —
 * the same LocalRedis that `jvae up` and `jvae demo` use. Without either, the run
 * ends at once with one line saying how to install Redis.
 */
import { DEFAULT_REDIS_URL, envValue } from '@jvae/protocol';
import { LocalRedis, RedisUnavailableError } from '@jvae/store';

/** Runs `body` with REDIS_URL set to a Redis that answers; a spawned one is stopped afterwards. Returns body's exit code. */
export async function withTestRedis(body: (redisUrl: string) => Promise<number>): Promise<number> {
  let redis: LocalRedis;
  try {
    redis = await LocalRedis.acquire({ localUrl: envValue(process.env, 'REDIS_URL') ?? DEFAULT_REDIS_URL });
  } catch (err) {
    if (!(err instanceof RedisUnavailableError)) throw err;
    console.error(`tests: ${err.message}`);
    return 1;
  }
  if (redis.spawned) console.error(`tests: nothing answered at REDIS_URL; started redis-server (pid ${redis.pid}) at ${redis.url} for this run`);
  const stopOnSignal = () => void redis.stop().finally(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    return await body(redis.url);
  } finally {
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
    await redis.stop();
  }
}
