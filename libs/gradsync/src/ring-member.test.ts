// RingMember over real gRPC on 127.0.0.1, several members in this process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { loadProtos, type RingAck, type RingChunk, type RingChunk__Output } from '@jvae/protocol';
import { float64Sum, randomVectors, ringOrderSum } from './fixtures/vectors.js';
import { RingError } from './ring-error.js';
import { RingMember, type RingMemberOptions } from './ring-member.js';

type Extra = Partial<Omit<RingMemberOptions, 'rank' | 'world' | 'groupId' | 'listen' | 'successor'>>;

/** Starts `world` members on free ports and links each to its successor. */
async function startRing(world: number, groupId: string, extra: Extra = {}): Promise<RingMember[]> {
  const members = await Promise.all(
    Array.from({ length: world }, (_, rank) => RingMember.start({ rank, world, groupId, listen: '127.0.0.1:0', ...extra })),
  );
  members.forEach((m, rank) => m.connect(members[(rank + 1) % world].address));
  return members;
}

const bytesOf = (a: Float32Array | Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function isRingError(reason: RingError['reason'], message: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof RingError, `expected a RingError, got ${error}`);
    assert.equal(error.reason, reason, error.message);
    assert.match(error.message, message);
    return true;
  };
}

test('3 ranks all-reduce random vectors to the exact, bit-identical sum over several steps', async (t) => {
  const ring = await startRing(3, 'g-sum', { segmentBytes: 256 });
  t.after(() => Promise.all(ring.map((m) => m.close())));
  assert.match(ring[0].address, /^127\.0\.0\.1:\d+$/);
  for (const [step, length] of [[0, 1000], [1, 1001], [2, 2], [3, 0], [4, 5000]] as const) {
    const vectors = randomVectors(step + 1, 3, length);
    const expected = ringOrderSum(vectors);
    const before = ring.map((m) => m.bytesSent);
    await Promise.all(ring.map((m, r) => m.allReduce(step, vectors[r])));
    for (const [r, v] of vectors.entries()) assert.deepEqual(bytesOf(v), bytesOf(expected), `rank ${r}, length ${length}`);
    ring.forEach((m, r) => {
      const sent = m.bytesSent - before[r];
      assert.ok(Math.abs(sent - (4 / 3) * length * 4) <= 8, `rank ${r} sent ${sent} bytes for ${length} floats`);
    });
  }
});

test('float64 vectors and allReduceSmall keep double precision', async (t) => {
  const ring = await startRing(3, 'g-f64');
  t.after(() => Promise.all(ring.map((m) => m.close())));
  const vectors = randomVectors(42, 3, 300, Float64Array);
  const expected = ringOrderSum(vectors);
  await Promise.all(ring.map((m, r) => m.allReduce(7, vectors[r])));
  for (const v of vectors) assert.deepEqual(bytesOf(v), bytesOf(expected));
  const approx = float64Sum(randomVectors(42, 3, 300, Float64Array));
  assert.ok(expected.every((x, i) => Math.abs(x - approx[i]) < 1e-9 * (1 + Math.abs(approx[i]))));

  const kl = [[0.1, 1e8], [0.2, 1], [0.3, 1]];
  const sums = await Promise.all(ring.map((m, r) => m.allReduceSmall(7, kl[r])));
  for (const s of sums) assert.deepEqual(s, [0.1 + 0.2 + 0.3, 1e8 + 2]);
  assert.notEqual(Math.fround(1e8 + 2), 1e8 + 2, 'float32 could not have carried this sum');
});

test('a world of one is a no-op', async (t) => {
  const [solo] = await startRing(1, 'g-solo');
  t.after(() => solo.close());
  const data = new Float32Array([1, 2, 3]);
  await solo.allReduce(0, data);
  assert.deepEqual([...data], [1, 2, 3]);
});

test('a closed peer makes the others reject with a clear error', async (t) => {
  const ring = await startRing(3, 'g-lost', { timeoutMs: 20_000 });
  t.after(() => Promise.all(ring.map((m) => m.close())));
  await Promise.all(ring.map((m, r) => m.allReduce(0, new Float32Array(10).fill(r))));
  const settled = Promise.allSettled([ring[0].allReduce(1, new Float32Array(10)), ring[2].allReduce(1, new Float32Array(10))]);
  await ring[1].close();
  const [first, third] = await settled;
  for (const result of [first, third]) {
    assert.equal(result.status, 'rejected');
    isRingError('peer-lost', /rank \d/)(result.status === 'rejected' ? result.reason : undefined);
  }
  await assert.rejects(ring[0].allReduce(2, new Float32Array(10)), (e) => e === (first as PromiseRejectedResult).reason);
  await assert.rejects(ring[1].allReduce(2, new Float32Array(10)), isRingError('closed', /rank 1 of group g-lost was closed/));
});

test('a silent peer makes allReduce time out', async (t) => {
  const ring = await startRing(2, 'g-silent', { timeoutMs: 300 });
  t.after(() => Promise.all(ring.map((m) => m.close())));
  await assert.rejects(
    ring[0].allReduce(3, new Float32Array(8)),
    isRingError('timeout', /rank 0: nothing from predecessor rank 1 for 300 ms \(group g-silent, step 3, reduce-scatter round 0\)/),
  );
});

test('an unreachable successor is reported with its address', async (t) => {
  const [lonely] = await Promise.all([RingMember.start({ rank: 0, world: 2, groupId: 'g', listen: '127.0.0.1:0', successor: '127.0.0.1:1', timeoutMs: 300 })]);
  t.after(() => lonely.close());
  await assert.rejects(lonely.allReduce(0, new Float32Array(4)), isRingError('peer-lost', /could not reach successor rank 1 at 127\.0\.0\.1:1/));
});

test('bad options and calls are usage errors', async (t) => {
  const base = { groupId: 'g', listen: '127.0.0.1:0' };
  await assert.rejects(RingMember.start({ ...base, rank: 2, world: 2 }), isRingError('usage', /rank must be an integer in 0\.\.1, got 2/));
  await assert.rejects(RingMember.start({ ...base, rank: 0, world: 0 }), isRingError('usage', /world must be/));
  await assert.rejects(RingMember.start({ ...base, rank: 0, world: 2, listen: 'nowhere' }), isRingError('usage', /listen: expected host:port/));
  const member = await RingMember.start({ ...base, rank: 0, world: 2 });
  t.after(() => member.close());
  await assert.rejects(member.allReduce(0, new Float32Array(2)), isRingError('usage', /no successor address/));
  await assert.rejects(member.allReduce(-1, new Float32Array(2)), isRingError('usage', /step must be a non-negative integer/));
  await assert.rejects(member.allReduce(0, [1, 2] as unknown as Float32Array), isRingError('usage', /Float32Array or Float64Array/));
  member.connect('127.0.0.1:1');
  assert.throws(() => member.connect('127.0.0.1:2'), isRingError('usage', /already has successor/));
});

test('concurrent allReduce calls on one member are refused', async (t) => {
  const ring = await startRing(2, 'g-busy');
  t.after(() => Promise.all(ring.map((m) => m.close())));
  const first = ring[0].allReduce(0, new Float32Array(4));
  await assert.rejects(ring[0].allReduce(0, new Float32Array(4)), isRingError('usage', /while another is running/));
  await Promise.all([first, ring[1].allReduce(0, new Float32Array(4))]);
});

/**
 * Member rank 0 of a 2-ring whose rank 1 is played by the test: a raw server
 * that acknowledges whatever rank 0 sends, and a raw stream carrying
 * `messages` (each a valid first reduce-scatter chunk with some fields replaced).
 */
async function withHandwrittenPredecessor(messages: Array<Partial<RingChunk>>, data = new Float32Array(4)) {
  const { GradSync } = loadProtos().proto.jvae.v1;
  const fake = new grpc.Server();
  fake.addService(GradSync.service, {
    Ring: (call: grpc.ServerDuplexStream<RingChunk__Output, RingAck>) =>
      call.on('data', (c: RingChunk__Output) => call.write({ seq: c.seq })).on('end', () => call.end()),
  });
  const port = await new Promise<number>((resolve, reject) =>
    fake.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const member = await RingMember.start({ rank: 0, world: 2, groupId: 'g', listen: '127.0.0.1:0', successor: `127.0.0.1:${port}`, timeoutMs: 5000 });
  const client = new GradSync(member.address, grpc.credentials.createInsecure());
  const stream = client.Ring();
  const status = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
  stream.on('error', () => {});
  stream.on('data', () => {});
  const reduced = member.allReduce(5, data);
  for (const fields of messages) {
    stream.write({
      groupId: 'g', world: 2, sender: 1, seq: 0, step: 5, phase: 'REDUCE_SCATTER', round: 0, chunk: 1,
      dtype: 'FLOAT32', length: 4, offset: 0, payload: Buffer.from(new Float32Array([1, 2]).buffer),
      ...fields,
    });
  }
  const [outcome] = await Promise.allSettled([reduced]);
  await member.close();
  const finalStatus = await status;
  client.close();
  fake.forceShutdown();
  return { outcome, status: finalStatus };
}

test('a handwritten predecessor that follows the protocol completes the operation', async () => {
  const data = new Float32Array([10, 20, 30, 40]);
  const allGather = { phase: 'ALL_GATHER', chunk: 0, payload: Buffer.from(new Float32Array([7, 8]).buffer) } as const;
  const { outcome } = await withHandwrittenPredecessor([{}, allGather], data);
  assert.equal(outcome.status, 'fulfilled');
  assert.deepEqual([...data], [7, 8, 31, 42]);
});

test('malformed chunks are refused with an error naming the problem, on both sides', async () => {
  const cases: Array<[Partial<RingChunk>, RegExp]> = [
    [{ groupId: 'other' }, /group 'other', but this ring is 'g'/],
    [{ step: 4 }, /step 4, expected step 5/],
    [{ length: 6 }, /vector length 6, but this rank reduces 4 elements/],
    [{ dtype: 'FLOAT64', payload: Buffer.alloc(16) }, /dtype FLOAT64, expected FLOAT32/],
    [{ payload: Buffer.alloc(6) }, /payload of 6 bytes is not a whole number of FLOAT32 elements/],
    [{ payload: Buffer.alloc(12) }, /3 elements at offset 0 overflow REDUCE_SCATTER round 0 chunk 1 of 2/],
    [{ chunk: 0 }, /REDUCE_SCATTER round 0 chunk 0, expected REDUCE_SCATTER round 0 chunk 1/],
    [{ sender: 0 }, /sender rank 0, but the predecessor is rank 1/],
    [{ seq: 3 }, /operation #3, expected #0/],
  ];
  for (const [chunk, problem] of cases) {
    const { outcome, status } = await withHandwrittenPredecessor([chunk]);
    assert.equal(outcome.status, 'rejected', problem.source);
    isRingError('protocol', problem)((outcome as PromiseRejectedResult).reason);
    assert.match((outcome as PromiseRejectedResult).reason.message, /rank 0 refused a chunk from rank 1 of group g/);
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT, problem.source);
    assert.match(status.details, problem);
  }
});
