// RingMember over real gRPC on 127.0.0.1, several ranks in this process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import * as grpc from '@grpc/grpc-js';
import {
  checkHealth,
  loadProtos,
  type RingChunk,
  type RingFrame,
  type RingRequest,
  type RingRequest__Output,
} from '@jvae/protocol';
import { selfSignedTlsFiles } from '@jvae/protocol/testing';
import { float64Sum, randomVectors, ringOrderSum } from './fixtures/vectors.js';
import { GradSyncServer } from './gradsync-server.js';
import { RingError } from './ring-error.js';
import type { RingMember, RingMemberOptions } from './ring-member.js';

type Extra = Partial<Omit<RingMemberOptions, 'rank' | 'world' | 'groupId' | 'predecessor'>>;

interface Ring {
  servers: GradSyncServer[];
  members: RingMember[];
  close(): Promise<void>;
}

/** Starts one server per rank on free loopback ports and joins each to its predecessor. */
async function startRing(world: number, groupId: string, extra: Extra = {}): Promise<Ring> {
  const servers = await Promise.all(Array.from({ length: world }, () => GradSyncServer.start({ listen: '127.0.0.1:0' })));
  const members = servers.map((server, rank) =>
    server.joinRing({ groupId, generation: 1, rank, world, predecessor: servers[(rank + world - 1) % world].address, ...extra }),
  );
  return { servers, members, close: async () => void (await Promise.all(servers.map((s) => s.close()))) };
}

const bytesOf = (a: Float32Array | Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function isRingError(reason: RingError['reason'], message: RegExp, faultyRank?: number) {
  return (error: unknown) => {
    assert.ok(error instanceof RingError, `expected a RingError, got ${error}`);
    assert.equal(error.reason, reason, error.message);
    assert.match(error.message, message);
    if (faultyRank !== undefined) assert.equal(error.faultyRank, faultyRank, error.message);
    return true;
  };
}

test('3 ranks all-reduce random vectors to the exact, bit-identical sum over several steps', async (t) => {
  const ring = await startRing(3, 'g-sum', { segmentBytes: 256 });
  t.after(() => ring.close());
  for (const [step, length] of [[0, 1000], [1, 1001], [2, 2], [3, 0], [4, 5000]] as const) {
    const vectors = randomVectors(step + 1, 3, length);
    const expected = ringOrderSum(vectors);
    const before = ring.members.map((m) => m.bytesSent);
    await Promise.all(ring.members.map((m, r) => m.allReduce(step, vectors[r])));
    for (const [r, v] of vectors.entries()) assert.deepEqual(bytesOf(v), bytesOf(expected), `rank ${r}, length ${length}`);
    ring.members.forEach((m, r) => {
      const sent = m.bytesSent - before[r];
      assert.ok(Math.abs(sent - (4 / 3) * length * 4) <= 8, `rank ${r} sent ${sent} bytes for ${length} floats`);
    });
  }
});

test('float64 vectors and allReduceSmall keep double precision', async (t) => {
  const ring = await startRing(3, 'g-f64');
  t.after(() => ring.close());
  const vectors = randomVectors(42, 3, 300, Float64Array);
  const expected = ringOrderSum(vectors);
  await Promise.all(ring.members.map((m, r) => m.allReduce(7, vectors[r])));
  for (const v of vectors) assert.deepEqual(bytesOf(v), bytesOf(expected));
  const approx = float64Sum(randomVectors(42, 3, 300, Float64Array));
  assert.ok(expected.every((x, i) => Math.abs(x - approx[i]) < 1e-9 * (1 + Math.abs(approx[i]))));

  const kl = [[0.1, 1e8], [0.2, 1], [0.3, 1]];
  const sums = await Promise.all(ring.members.map((m, r) => m.allReduceSmall(7, kl[r])));
  for (const s of sums) assert.deepEqual(s, [0.1 + 0.2 + 0.3, 1e8 + 2]);
  assert.notEqual(Math.fround(1e8 + 2), 1e8 + 2, 'float32 could not have carried this sum');
});

test('float16 on the wire: half the bytes, bit-identical on every rank, within float16 rounding of the exact sum', async (t) => {
  const ring = await startRing(3, 'g-f16', { float16: true, segmentBytes: 256 });
  t.after(() => ring.close());
  const length = 3001;
  const vectors = randomVectors(21, 3, length) as Float32Array[];
  const inputs = vectors.map((v) => v.slice());
  const exact = float64Sum(vectors);
  const before = ring.members.map((m) => m.bytesSent);
  await Promise.all(ring.members.map((m, r) => m.allReduce(0, vectors[r])));
  for (const v of vectors.slice(1)) assert.deepEqual(bytesOf(v), bytesOf(vectors[0]));
  for (let i = 0; i < length; i++) {
    // Three roundings to float16 (the first rank's own elements, then each partial sum; at most 2^-11 of
    // what is rounded, which is at most the sum of magnitudes), plus float16's absolute spacing near zero.
    const magnitude = inputs.reduce((m, v) => m + Math.abs(v[i]), 0);
    assert.ok(Math.abs(vectors[0][i] - exact[i]) <= 3 * 2 ** -11 * magnitude + 3 * 2 ** -24, `element ${i}: ${vectors[0][i]} vs ${exact[i]}`);
  }
  ring.members.forEach((m, r) => {
    const sent = m.bytesSent - before[r];
    assert.ok(Math.abs(sent - (4 / 3) * length * 2) <= 4, `rank ${r} sent ${sent} bytes`);
  });
  const doubles = Float64Array.from([0.1, 1e8]);
  await Promise.all(ring.members.map((m) => m.allReduce(1, doubles.slice())));
  const sums = await Promise.all(ring.members.map((m) => m.allReduceSmall(2, [0.1, 1e8])));
  assert.deepEqual(sums[0], [0.1 + 0.1 + 0.1, 3e8], 'float64 vectors travel exactly');
});

test('ranks that disagree on float16 refuse each other with a clear error', async (t) => {
  const servers = await Promise.all([0, 1].map(() => GradSyncServer.start({ listen: '127.0.0.1:0' })));
  t.after(() => Promise.all(servers.map((s) => s.close())));
  const members = servers.map((server, rank) =>
    server.joinRing({ groupId: 'g-mixed', generation: 0, rank, world: 2, predecessor: servers[1 - rank].address, float16: rank === 1 }),
  );
  const data = [new Float32Array(8).fill(1), new Float32Array(8).fill(2)];
  const results = await Promise.allSettled(members.map((m, r) => m.allReduce(0, data[r])));
  for (const result of results) {
    isRingError('protocol', /dtype FLOAT(16|32), expected FLOAT(32|16) \(all ranks must send the same type, float16 or not\)/)(
      (result as PromiseRejectedResult).reason,
    );
  }
  assert.ok(data[0].every((x) => x === 1) && data[1].every((x) => x === 2), 'no sum applied');
});

test('a world of one is a no-op', async (t) => {
  const server = await GradSyncServer.start({ listen: '127.0.0.1:0' });
  t.after(() => server.close());
  const solo = server.joinRing({ groupId: 'g-solo', generation: 0, rank: 0, world: 1 });
  const data = new Float32Array([1, 2, 3]);
  await solo.allReduce(0, data);
  assert.deepEqual([...data], [1, 2, 3]);
});

test('one server hosts several ranks, and a join waits for the member it names', async (t) => {
  const server = await GradSyncServer.start({ listen: '127.0.0.1:0' });
  t.after(() => server.close());
  const join = (rank: number) =>
    server.joinRing({ groupId: 'g-shared', generation: 2, rank, world: 4, predecessor: server.address, segmentBytes: 64 });
  // Successors first: each join reaches the server before the member it names exists.
  const later = [join(3), join(2), join(1)];
  await new Promise((resolve) => setTimeout(resolve, 200));
  const members = [join(0), ...later.reverse()];
  const vectors = randomVectors(9, 4, 999);
  const expected = ringOrderSum(vectors);
  await Promise.all(members.map((m, r) => m.allReduce(0, vectors[r])));
  for (const v of vectors) assert.deepEqual(bytesOf(v), bytesOf(expected));
  assert.throws(() => join(1), isRingError('usage', /rank 1 of group g-shared generation 2 already has a member here/));
});

test('a closed peer makes the others reject with a clear error naming it', async (t) => {
  const ring = await startRing(3, 'g-lost', { timeoutMs: 20_000 });
  t.after(() => ring.close());
  const [m0, m1, m2] = ring.members;
  await Promise.all(ring.members.map((m, r) => m.allReduce(0, new Float32Array(10).fill(r))));
  const kept = [new Float32Array(10).fill(5), new Float32Array(10).fill(6)];
  const settled = Promise.allSettled([m0.allReduce(1, kept[0]), m2.allReduce(1, kept[1])]);
  await m1.close();
  const results = await settled;
  for (const [i, result] of results.entries()) {
    assert.equal(result.status, 'rejected');
    isRingError('peer-lost', /rank 1/, 1)((result as PromiseRejectedResult).reason);
    assert.ok(kept[i].every((x) => x === 5 + i), 'no sum applied');
  }
  await assert.rejects(m0.allReduce(2, new Float32Array(10)), (e) => e === (results[0] as PromiseRejectedResult).reason);
  await assert.rejects(m1.allReduce(2, new Float32Array(10)), isRingError('closed', /rank 1 of group g-lost generation 1 was closed/));
});

test('a rank that never calls allReduce: the others reject within the timeout, naming it, with nothing applied', async (t) => {
  const ring = await startRing(3, 'g-silent', { timeoutMs: 600 });
  t.after(() => ring.close());
  const data = [new Float32Array(64).fill(1), new Float32Array(64).fill(2)];
  const started = Date.now();
  // Rank 2 stays silent; rank 1 waits on rank 0, which waits on rank 2.
  const results = await Promise.allSettled([ring.members[0].allReduce(3, data[0]), ring.members[1].allReduce(3, data[1])]);
  const elapsed = Date.now() - started;
  for (const result of results) {
    assert.equal(result.status, 'rejected');
    isRingError('timeout', /rank 0: nothing from predecessor rank 2 for 600 ms \(group g-silent generation 1, step 3, reduce-scatter round 0\)/, 2)(
      (result as PromiseRejectedResult).reason,
    );
  }
  assert.ok(elapsed < 600 + 1500, `took ${elapsed} ms`);
  assert.ok(data[0].every((x) => x === 1) && data[1].every((x) => x === 2), 'no sum applied');
});

test('an unreachable predecessor is reported with its address', async (t) => {
  const [server, other] = await Promise.all([GradSyncServer.start({ listen: '127.0.0.1:0' }), GradSyncServer.start({ listen: '127.0.0.1:0' })]);
  t.after(() => Promise.all([server.close(), other.close()]));
  const lonely = server.joinRing({ groupId: 'g', generation: 0, rank: 1, world: 2, predecessor: '127.0.0.1:1', timeoutMs: 300 });
  // Its successor joins; only the predecessor is missing.
  other.joinRing({ groupId: 'g', generation: 0, rank: 0, world: 2, predecessor: server.address, timeoutMs: 300 });
  await assert.rejects(lonely.allReduce(0, new Float32Array(4)), isRingError('peer-lost', /could not reach predecessor rank 0 at 127\.0\.0\.1:1/, 0));
});

test('a successor that never joins is reported by rank', async (t) => {
  const [a, b] = await Promise.all([GradSyncServer.start({ listen: '127.0.0.1:0' }), GradSyncServer.start({ listen: '127.0.0.1:0' })]);
  t.after(() => Promise.all([a.close(), b.close()]));
  // Rank 0 of a 3-ring whose rank 1 never appears; rank 2 plays along.
  const m0 = a.joinRing({ groupId: 'g-nojoin', generation: 0, rank: 0, world: 3, predecessor: b.address, timeoutMs: 400 });
  // (Its own predecessor is missing too, but it gives up on that only later.)
  b.joinRing({ groupId: 'g-nojoin', generation: 0, rank: 2, world: 3, predecessor: '127.0.0.1:1', timeoutMs: 10_000 });
  await assert.rejects(m0.allReduce(0, new Float32Array(6)), isRingError('timeout', /rank 0: successor rank 1 did not join within 400 ms/, 1));
});

test('a join of another generation is refused; both sides say so', async (t) => {
  const [a, b] = await Promise.all([GradSyncServer.start({ listen: '127.0.0.1:0' }), GradSyncServer.start({ listen: '127.0.0.1:0' })]);
  t.after(() => Promise.all([a.close(), b.close()]));
  const current = a.joinRing({ groupId: 'g-gen', generation: 5, rank: 0, world: 2, predecessor: b.address, timeoutMs: 500 });
  const stale = b.joinRing({ groupId: 'g-gen', generation: 4, rank: 1, world: 2, predecessor: a.address, timeoutMs: 500 });
  const data = [new Float32Array(8).fill(1), new Float32Array(8).fill(2)];
  const [mine, theirs] = await Promise.allSettled([current.allReduce(0, data[0]), stale.allReduce(0, data[1])]);
  isRingError(
    'protocol',
    /rank 1: predecessor rank 0 at 127\.0\.0\.1:\d+ refused to join: rank 1 of group g-gen joined with generation 4, but this server's rank 0 is at generation 5/,
    0,
  )((theirs as PromiseRejectedResult).reason);
  isRingError('timeout', /successor rank 1 did not join within 500 ms \(group g-gen generation 5\)/, 1)((mine as PromiseRejectedResult).reason);
  assert.ok(data[0].every((x) => x === 1) && data[1].every((x) => x === 2), 'no sum applied');
});

test('a rank of another group: the ranks around it time out, and say what they saw', async (t) => {
  const servers = await Promise.all([0, 1, 2].map(() => GradSyncServer.start({ listen: '127.0.0.1:0' })));
  t.after(() => Promise.all(servers.map((s) => s.close())));
  const [a, b, c] = servers;
  const rank0 = a.joinRing({ groupId: 'g-mine', generation: 1, rank: 0, world: 3, predecessor: c.address, timeoutMs: 900 });
  const rank1 = b.joinRing({ groupId: 'g-mine', generation: 1, rank: 1, world: 3, predecessor: a.address, timeoutMs: 300 });
  c.joinRing({ groupId: 'g-theirs', generation: 1, rank: 2, world: 3, predecessor: b.address, timeoutMs: 300 });
  const [zero, one] = await Promise.allSettled([rank0.allReduce(0, new Float32Array(6)), rank1.allReduce(0, new Float32Array(6))]);
  isRingError('timeout', /rank 1: successor rank 2 did not join within 300 ms \(group g-mine generation 1\); waiting here instead: rank 2 of group g-theirs generation 1/, 2)(
    (one as PromiseRejectedResult).reason,
  );
  isRingError('timeout', /rank 0: nothing from predecessor rank 2 for 900 ms .*; it has sent nothing since this rank joined \(has it a member of group g-mine generation 1\?\)/, 2)(
    (zero as PromiseRejectedResult).reason,
  );
});

test('the shared token guards the ring like every other server', async (t) => {
  const servers = await Promise.all([
    GradSyncServer.start({ listen: '127.0.0.1:0', token: 'secret' }),
    GradSyncServer.start({ listen: '127.0.0.1:0', token: 'secret' }),
    GradSyncServer.start({ listen: '127.0.0.1:0', token: 'other' }),
  ]);
  t.after(() => Promise.all(servers.map((s) => s.close())));
  const [a, b, intruder] = servers;
  const join = (server: GradSyncServer, groupId: string, rank: number, predecessor: GradSyncServer) =>
    server.joinRing({ groupId, generation: 0, rank, world: 2, predecessor: predecessor.address, timeoutMs: 2000 });
  const pair = [join(a, 'g-tok', 0, b), join(b, 'g-tok', 1, a)];
  const data = [new Float32Array([1, 2]), new Float32Array([3, 4])];
  await Promise.all(pair.map((m, r) => m.allReduce(0, data[r])));
  assert.deepEqual([...data[1]], [4, 6]);

  const outsider = join(intruder, 'g-tok2', 1, a);
  join(a, 'g-tok2', 0, intruder);
  await assert.rejects(outsider.allReduce(0, new Float32Array(2)), isRingError('protocol', /refused to join: wrong token/, 0));
});

test('TLS from the project cert files secures the ring like every other server', async (t) => {
  const tls = selfSignedTlsFiles(t);
  if (!tls) return;
  const servers = await Promise.all([0, 1].map(() => GradSyncServer.start({ listen: '127.0.0.1:0', tls })));
  const plain = await GradSyncServer.start({ listen: '127.0.0.1:0' });
  t.after(() => Promise.all([...servers, plain].map((s) => s.close())));
  const members = servers.map((server, rank) =>
    server.joinRing({ groupId: 'g-tls', generation: 0, rank, world: 2, predecessor: servers[1 - rank].address, segmentBytes: 1024 }),
  );
  const vectors = randomVectors(3, 2, 5000);
  const expected = ringOrderSum(vectors);
  await Promise.all(members.map((m, r) => m.allReduce(0, vectors[r])));
  for (const v of vectors) assert.deepEqual(bytesOf(v), bytesOf(expected));

  await assert.rejects(checkHealth(servers[0].address, ''), { code: grpc.status.UNAVAILABLE }, 'a plaintext client is turned away');
  // A rank without the TLS files cannot reach a TLS predecessor (its successor has joined it).
  const outsider = plain.joinRing({ groupId: 'g-tls2', generation: 0, rank: 1, world: 2, predecessor: servers[0].address, timeoutMs: 500 });
  const peer = await GradSyncServer.start({ listen: '127.0.0.1:0' });
  t.after(() => peer.close());
  peer.joinRing({ groupId: 'g-tls2', generation: 0, rank: 0, world: 2, predecessor: plain.address, timeoutMs: 500 });
  await assert.rejects(outsider.allReduce(0, new Float32Array(2)), isRingError('peer-lost', /could not reach predecessor rank 0/, 0));
});

test('bad options and calls are usage errors', async (t) => {
  await assert.rejects(GradSyncServer.start({ listen: 'nowhere' }), isRingError('usage', /listen: expected host:port/));
  await assert.rejects(GradSyncServer.start({ listen: '127.0.0.1:0', host: 'a b' }), isRingError('usage', /host: expected host:port/));
  const server = await GradSyncServer.start({ listen: '127.0.0.1:0' });
  t.after(() => server.close());
  const base = { groupId: 'g', generation: 0, predecessor: server.address };
  assert.throws(() => server.joinRing({ ...base, rank: 2, world: 2 }), isRingError('usage', /rank must be an integer in 0\.\.1, got 2/));
  assert.throws(() => server.joinRing({ ...base, rank: 0, world: 0 }), isRingError('usage', /world must be/));
  assert.throws(() => server.joinRing({ ...base, rank: 0, world: 2, generation: -1 }), isRingError('usage', /generation must be a non-negative integer/));
  assert.throws(() => server.joinRing({ ...base, rank: 0, world: 2, predecessor: 'x' }), isRingError('usage', /predecessor: expected host:port/));
  assert.throws(() => server.joinRing({ groupId: 'g', generation: 0, rank: 0, world: 2 }), isRingError('usage', /needs its predecessor's address/));
  assert.throws(() => server.joinRing({ ...base, rank: 0, world: 2, segmentBytes: 4 }), isRingError('usage', /segmentBytes must be in 8\.\./));
  const member = server.joinRing({ ...base, rank: 0, world: 2 });
  await assert.rejects(member.allReduce(-1, new Float32Array(2)), isRingError('usage', /step must be a non-negative integer/));
  await assert.rejects(member.allReduce(0, [1, 2] as unknown as Float32Array), isRingError('usage', /Float32Array or Float64Array/));
});

test('concurrent allReduce calls on one member are refused', async (t) => {
  const ring = await startRing(2, 'g-busy');
  t.after(() => ring.close());
  const [m0, m1] = ring.members;
  const first = m0.allReduce(0, new Float32Array(4));
  await assert.rejects(m0.allReduce(0, new Float32Array(4)), isRingError('usage', /while another is running/));
  await Promise.all([first, m1.allReduce(0, new Float32Array(4))]);
});

/**
 * Rank 0 of a 2-ring whose rank 1 is played by the test over raw gRPC with
 * the generated types: a server streaming `frames` (each a valid first
 * reduce-scatter chunk with some fields replaced) to rank 0 once it joins,
 * and a call joining rank 0's server as rank 1. Returns how rank 0's call
 * ended, its array, and what rank 0 told the fake predecessor.
 */
async function withHandwrittenPredecessor(replacements: Array<Partial<RingChunk>>, data = new Float32Array([10, 20, 30, 40])) {
  const { GradSync } = loadProtos().proto.jvae.v1;
  const fake = new grpc.Server();
  const told: RingRequest__Output[] = [];
  const toldAll = new Promise<void>((resolve) =>
    fake.addService(GradSync.service, {
      Ring: (call: grpc.ServerDuplexStream<RingRequest__Output, RingFrame>) => {
        call.on('data', (request: RingRequest__Output) => {
          told.push(request);
          if (request.body !== 'join') return;
          for (const fields of replacements) {
            call.write({
              chunk: {
                groupId: 'g', generation: 3, world: 2, sender: 1, seq: 0, step: 5, phase: 'REDUCE_SCATTER', round: 0, chunk: 1,
                dtype: 'FLOAT32', length: 4, offset: 0, payload: Buffer.from(new Float32Array([1, 2]).buffer), ...fields,
              },
            });
          }
        });
        call.on('end', () => {
          call.end();
          resolve();
        });
      },
    }),
  );
  const port = await new Promise<number>((resolve, reject) =>
    fake.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const server = await GradSyncServer.start({ listen: '127.0.0.1:0' });
  const member = server.joinRing({ groupId: 'g', generation: 3, rank: 0, world: 2, predecessor: `127.0.0.1:${port}`, timeoutMs: 5000 });
  const client = new GradSync(server.address, grpc.credentials.createInsecure());
  const successor: grpc.ClientDuplexStream<RingRequest, unknown> = client.Ring();
  successor.on('error', () => {});
  successor.on('data', () => {});
  successor.write({ join: { groupId: 'g', generation: 3, world: 2, rank: 1 } });
  const [outcome] = await Promise.allSettled([member.allReduce(5, data)]);
  await Promise.race([toldAll, new Promise((resolve) => setTimeout(resolve, 2000))]);
  await server.close();
  client.close();
  fake.forceShutdown();
  return { outcome, data, told };
}

test('a handwritten predecessor that follows the protocol completes the operation', async () => {
  const allGather = { phase: 'ALL_GATHER', chunk: 0, payload: Buffer.from(new Float32Array([7, 8]).buffer) } as const;
  const { outcome, data } = await withHandwrittenPredecessor([{}, allGather]);
  assert.equal(outcome.status, 'fulfilled');
  assert.deepEqual([...data], [7, 8, 31, 42]);
});

test('malformed chunks are refused with an error naming the sender and the problem, nothing applied, and the sender told', async () => {
  const cases: Array<[Array<Partial<RingChunk>>, RegExp]> = [
    [[{ groupId: 'other' }], /group 'other', but this ring is 'g'/],
    [[{ generation: 2 }], /generation 2, but this ring is generation 3/],
    [[{ world: 3 }], /world 3, but this ring has 2 ranks/],
    [[{ sender: 0 }], /sender rank 0, but the predecessor is rank 1/],
    [[{ seq: 3 }], /operation #3, expected #0/],
    [[{ step: 4 }], /step 4, expected step 5/],
    [[{ length: 6 }], /vector length 6, but this rank reduces 4 elements/],
    [[{ dtype: 'FLOAT64', payload: Buffer.alloc(16) }], /dtype FLOAT64, expected FLOAT32/],
    [[{ payload: Buffer.alloc(6) }], /payload of 6 bytes is not a whole number of FLOAT32 elements/],
    [[{ payload: Buffer.alloc(12) }], /3 elements at offset 0 overflow REDUCE_SCATTER round 0 chunk 1 of 2/],
    [[{ chunk: 0 }], /REDUCE_SCATTER round 0 chunk 0, expected REDUCE_SCATTER round 0 chunk 1/],
    // The second message is wrong after a good first one: the sum is held back until the end.
    [[{}, { phase: 'ALL_GATHER', chunk: 0, length: 5 }], /vector length 5, but this rank reduces 4 elements/],
  ];
  for (const [chunks, problem] of cases) {
    const { outcome, data, told } = await withHandwrittenPredecessor(chunks);
    assert.equal(outcome.status, 'rejected', problem.source);
    const error = (outcome as PromiseRejectedResult).reason;
    isRingError('protocol', problem, 1)(error);
    assert.match(error.message, /rank 0 refused a message from rank 1 \(group g generation 3\)/);
    assert.deepEqual([...data], [10, 20, 30, 40], `no sum applied (${problem.source})`);
    const abort = told.find((r) => r.body === 'abort')?.abort;
    assert.equal(abort?.reason, 'PROTOCOL', problem.source);
    assert.equal(abort?.message, error.message);
    assert.equal(abort?.faultyRank, 1);
  }
});

test('the server answers health checks and advertises the host setting', async (t) => {
  const local = await GradSyncServer.start({ listen: '127.0.0.1:0' });
  const wildcard = await GradSyncServer.start();
  const named = await GradSyncServer.start({ listen: '0.0.0.0:0', host: 'ranks.example' });
  t.after(() => Promise.all([local.close(), wildcard.close(), named.close()]));
  assert.match(local.address, /^127\.0\.0\.1:\d+$/);
  assert.equal(wildcard.address.split(':')[0], hostname(), 'listening on every interface advertises the host name');
  assert.match(named.address, /^ranks\.example:\d+$/);
  assert.equal((await checkHealth(local.address, 'jvae.v1.GradSync')).status, 'SERVING');
  const port = named.address.split(':')[1];
  assert.equal((await checkHealth(`127.0.0.1:${port}`, '')).status, 'SERVING', 'the default listen address takes loopback calls');
});
