import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { isTransient, retryWithBackoff } from './retry-with-backoff.js';

const failure = (code: status) => Object.assign(new Error(`code ${code}`), { code });

test('unreachable, slow, a coordinator shutting down, and full or failing storage are transient; refusals and other errors are not', () => {
  for (const code of [status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.CANCELLED, status.RESOURCE_EXHAUSTED]) assert.ok(isTransient(failure(code)), String(code));
  for (const code of [status.INVALID_ARGUMENT, status.FAILED_PRECONDITION, status.NOT_FOUND, status.INTERNAL]) {
    assert.ok(!isTransient(failure(code)), String(code));
  }
  for (const other of [new Error('x'), null, undefined, { code: 'ENOSPC' }]) assert.ok(!isTransient(other));
});

test('transient failures are retried with growing delays; anything else is thrown at once', async () => {
  const delays: number[] = [];
  let calls = 0;
  const value = await retryWithBackoff(
    async () => {
      if (++calls < 4) throw failure(status.RESOURCE_EXHAUSTED);
      return 'stored';
    },
    { initialDelayMs: 4, maxDelayMs: 10, onRetry: (_, delayMs) => void delays.push(delayMs) },
  );
  assert.equal(value, 'stored');
  assert.equal(calls, 4);
  assert.ok(delays[0]! >= 2 && delays[0]! <= 4 && delays[2]! >= 5 && delays[2]! <= 10, String(delays));

  calls = 0;
  const refused = failure(status.FAILED_PRECONDITION);
  await assert.rejects(
    retryWithBackoff(async () => {
      calls++;
      throw refused;
    }),
    (err) => err === refused,
  );
  assert.equal(calls, 1);
});

test('a call this side cancels is not retried: it ends with the signal’s reason', async () => {
  const controller = new AbortController();
  const reason = new Error('shutting down');
  let calls = 0;
  await assert.rejects(
    retryWithBackoff(
      async () => {
        calls++;
        controller.abort(reason);
        throw failure(status.CANCELLED);
      },
      { signal: controller.signal, initialDelayMs: 1 },
    ),
    (err) => err === reason,
  );
  assert.equal(calls, 1);
});
