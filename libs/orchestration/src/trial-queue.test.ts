// The trial queue against real Redis and BullMQ, under a key prefix of this file's own.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { testRedis } from '@jvae/store/testing';
import { TrialQueue } from './trial-queue.js';

const { redis, prefix, cleanup } = testRedis();
const connection = redis.duplicate({ maxRetriesPerRequest: null });
const queue = new TrialQueue(connection, prefix);

after(async () => {
  await queue.close();
  connection.disconnect();
  await cleanup();
});

test('ensure queues again exactly the trials whose jobs are gone, in the order given', async () => {
  await queue.add(['q-a', 'q-b']);
  assert.deepEqual(await queue.ensure(['q-c', 'q-a', 'q-b', 'q-d']), ['q-c', 'q-d']);
  await (await queue.queue.getJob('q-a'))!.remove();
  assert.deepEqual(await queue.ensure(['q-a', 'q-b', 'q-c', 'q-d']), ['q-a']);
  assert.deepEqual((await queue.queue.getJobs(['waiting'])).map((j) => j.id).sort(), ['q-a', 'q-b', 'q-c', 'q-d']);
  assert.deepEqual(await queue.ensure([]), []);
});
