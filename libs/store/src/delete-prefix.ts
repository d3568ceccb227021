import type { Redis } from 'ioredis';
import { keys } from '@jvae/protocol';

/** Deletes every key under `prefix` (BullMQ's included) and returns how many there were. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  const pattern = keys(prefix).pattern();
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) deleted += await redis.unlink(...found);
  } while (cursor !== '0');
  return deleted;
}
