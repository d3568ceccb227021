// Ranks in separate processes, talking gRPC over loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { randomVectors, ringOrderSum } from './fixtures/vectors.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/ring-rank-process.ts', import.meta.url));

interface Reply {
  address?: string;
  step?: number;
  data?: string;
  error?: string;
  reason?: string;
  faultyRank?: number;
}

/** A child process running one rank, answering one JSON line per command. */
class RankProcess {
  private readonly replies: Reply[] = [];
  private readonly waiters: Array<(reply: Reply) => void> = [];
  private stderr = '';

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const reply = JSON.parse(line) as Reply;
      const waiter = this.waiters.shift();
      if (waiter) waiter(reply);
      else this.replies.push(reply);
    });
    child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  static start(options: object): RankProcess {
    return new RankProcess(spawn(process.execPath, ['--import', 'tsx', SCRIPT, JSON.stringify(options)]));
  }

  send(command: object): void {
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
  }

  next(): Promise<Reply> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      this.waiters.push(resolve);
      this.child.once('exit', (code) => reject(new Error(`rank process exited (${code}): ${this.stderr}`)));
    });
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGCONT');
      this.child.kill('SIGKILL');
    }
  }
}

const toBase64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

/** Starts one process per entry of `ranks` (options of each rank) and joins each to its predecessor. */
async function startRing(groupId: string, timeoutMs: number, ranks: Array<{ generation?: number }>): Promise<RankProcess[]> {
  const world = ranks.length;
  const processes = ranks.map((extra, rank) => RankProcess.start({ groupId, generation: 1, rank, world, timeoutMs, ...extra }));
  const addresses = (await Promise.all(processes.map((p) => p.next()))).map((r) => r.address);
  processes.forEach((p, rank) => p.send({ predecessor: addresses[(rank + world - 1) % world] }));
  return processes;
}

test('2 ranks in separate processes all-reduce to the exact, bit-identical sum', async (t) => {
  const ranks = await startRing('g-proc', 20_000, [{}, {}]);
  t.after(() => ranks.forEach((r) => r.stop()));
  for (const [step, length] of [[0, 10_000], [1, 1], [2, 777], [3, 1 << 20]]) {
    const vectors = randomVectors(100 + step, 2, length) as Float32Array[];
    const expected = toBase64(ringOrderSum(vectors) as Float32Array);
    ranks.forEach((r, rank) => r.send({ step, data: toBase64(vectors[rank]) }));
    const replies = await Promise.all(ranks.map((r) => r.next()));
    for (const reply of replies) {
      assert.equal(reply.error, undefined);
      assert.equal(reply.step, step);
      assert.equal(reply.data, expected);
    }
  }
});

test('a killed rank process makes the other reject with a clear error', async (t) => {
  const ranks = await startRing('g-kill', 20_000, [{}, {}]);
  t.after(() => ranks.forEach((r) => r.stop()));
  ranks.forEach((r) => r.send({ step: 0, data: toBase64(new Float32Array(100).fill(1)) }));
  await Promise.all(ranks.map((r) => r.next()));

  const exited = new Promise((resolve) => ranks[1].child.once('exit', resolve));
  ranks[1].stop();
  await exited;
  const kept = toBase64(new Float32Array(100).fill(3));
  ranks[0].send({ step: 1, data: kept });
  const reply = await ranks[0].next();
  assert.equal(reply.reason, 'peer-lost', reply.error);
  assert.equal(reply.faultyRank, 1);
  assert.match(reply.error ?? '', /rank 0: (lost the call to predecessor|successor) rank 1/);
  assert.equal(reply.data, kept, 'no sum applied');
});

test('a rank with a vector of another length: every rank rejects naming it and why, with nothing applied', async (t) => {
  const ranks = await startRing('g-length', 20_000, [{}, {}, {}]);
  t.after(() => ranks.forEach((r) => r.stop()));
  const inputs = [1000, 1001, 1000].map((length, rank) => toBase64(new Float32Array(length).fill(rank + 1)));
  ranks.forEach((r, rank) => r.send({ step: 0, data: inputs[rank] }));
  const replies = await Promise.all(ranks.map((r) => r.next()));
  // Rank 1 refuses rank 0's chunks and rank 2 refuses rank 1's, whichever comes first; the ring passes it on.
  const refusal = /rank (1 refused a message from rank 0 .*: vector length 1000, but this rank reduces 1001|2 refused a message from rank 1 .*: vector length 1001, but this rank reduces 1000) elements/;
  for (const [rank, reply] of replies.entries()) {
    assert.equal(reply.reason, 'protocol', reply.error);
    assert.match(reply.error ?? '', refusal);
    assert.ok(reply.faultyRank === 0 || reply.faultyRank === 1, reply.error);
    assert.equal(reply.data, inputs[rank], `rank ${rank}: no sum applied`);
  }
});

test('a rank that never answers (stopped): the others reject within the timeout naming it, with nothing applied', async (t) => {
  const timeoutMs = 1500;
  const ranks = await startRing('g-stopped', timeoutMs, [{}, {}, {}]);
  t.after(() => ranks.forEach((r) => r.stop()));
  ranks.forEach((r) => r.send({ step: 0, data: toBase64(new Float32Array(50).fill(1)) }));
  await Promise.all(ranks.map((r) => r.next()));

  ranks[2].child.kill('SIGSTOP');
  const inputs = [toBase64(new Float32Array(50).fill(4)), toBase64(new Float32Array(50).fill(5))];
  const started = Date.now();
  ranks.slice(0, 2).forEach((r, rank) => r.send({ step: 1, data: inputs[rank] }));
  const replies = await Promise.all(ranks.slice(0, 2).map((r) => r.next()));
  const elapsed = Date.now() - started;
  for (const [rank, reply] of replies.entries()) {
    assert.equal(reply.reason, 'timeout', reply.error);
    assert.equal(reply.faultyRank, 2, reply.error);
    assert.match(reply.error ?? '', /rank 0: nothing from predecessor rank 2 for 1500 ms \(group g-stopped generation 1, step 1/);
    assert.equal(reply.data, inputs[rank], `rank ${rank}: no sum applied`);
  }
  assert.ok(elapsed < timeoutMs + 3000, `took ${elapsed} ms`);
});

test('a rank of another generation: both reject, naming the other rank and the generations', async (t) => {
  const ranks = await startRing('g-generation', 1500, [{ generation: 7 }, { generation: 6 }]);
  t.after(() => ranks.forEach((r) => r.stop()));
  const inputs = [toBase64(new Float32Array(20).fill(1)), toBase64(new Float32Array(20).fill(2))];
  ranks.forEach((r, rank) => r.send({ step: 0, data: inputs[rank] }));
  const [current, stale] = await Promise.all(ranks.map((r) => r.next()));
  assert.equal(stale.reason, 'protocol', stale.error);
  assert.match(stale.error ?? '', /rank 1: predecessor rank 0 .* refused to join: .*generation 6, but this server's rank 0 is at generation 7/);
  assert.equal(current.reason, 'timeout', current.error);
  assert.match(current.error ?? '', /rank 0: successor rank 1 did not join within 1500 ms \(group g-generation generation 7\)/);
  assert.deepEqual([current.data, stale.data], inputs, 'no sum applied');
});
