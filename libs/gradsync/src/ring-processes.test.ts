// Two ranks in separate processes, talking gRPC over loopback.
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

  static start(rank: number, world: number, groupId: string, timeoutMs: number): RankProcess {
    return new RankProcess(
      spawn(process.execPath, ['--import', 'tsx', SCRIPT, String(rank), String(world), groupId, String(timeoutMs)]),
    );
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
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

const toBase64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

async function startPair(groupId: string, timeoutMs: number): Promise<RankProcess[]> {
  const ranks = [0, 1].map((rank) => RankProcess.start(rank, 2, groupId, timeoutMs));
  const addresses = (await Promise.all(ranks.map((r) => r.next()))).map((r) => r.address);
  ranks.forEach((r, rank) => r.send({ successor: addresses[(rank + 1) % 2] }));
  return ranks;
}

test('2 ranks in separate processes all-reduce to the exact, bit-identical sum', async (t) => {
  const ranks = await startPair('g-proc', 20_000);
  t.after(() => ranks.forEach((r) => r.stop()));
  for (const [step, length] of [[0, 10_000], [1, 1], [2, 777]]) {
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
  const ranks = await startPair('g-kill', 20_000);
  t.after(() => ranks.forEach((r) => r.stop()));
  ranks.forEach((r) => r.send({ step: 0, data: toBase64(new Float32Array(100).fill(1)) }));
  await Promise.all(ranks.map((r) => r.next()));

  const exited = new Promise((resolve) => ranks[1].child.once('exit', resolve));
  ranks[1].stop();
  await exited;
  ranks[0].send({ step: 1, data: toBase64(new Float32Array(100)) });
  const reply = await ranks[0].next();
  assert.equal(reply.reason, 'peer-lost', reply.error);
  assert.match(reply.error ?? '', /rank 0 lost the stream to successor rank 1 at 127\.0\.0\.1:\d+|predecessor rank 1/);
});
