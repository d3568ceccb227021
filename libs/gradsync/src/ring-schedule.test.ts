import { test } from 'node:test';
import assert from 'node:assert/strict';
import { float64Sum, randomVectors, ringOrderSum } from './fixtures/vectors.js';
import { chunkBounds, ringSchedule } from './ring-schedule.js';
import { EXACT_FLOAT32, EXACT_FLOAT64 } from './wire-format.js';

test('chunkBounds covers the vector with contiguous chunks differing by at most one element', () => {
  assert.deepEqual(chunkBounds(10, 3), [{ start: 0, end: 4 }, { start: 4, end: 7 }, { start: 7, end: 10 }]);
  assert.deepEqual(chunkBounds(2, 4), [{ start: 0, end: 1 }, { start: 1, end: 2 }, { start: 2, end: 2 }, { start: 2, end: 2 }]);
  assert.deepEqual(chunkBounds(0, 2), [{ start: 0, end: 0 }, { start: 0, end: 0 }]);
  assert.throws(() => chunkBounds(5, 0), /world must be an integer >= 1/);
  assert.throws(() => chunkBounds(-1, 2), /length must be an integer >= 0/);
});

test('ringSchedule: every chunk is received by a rank exactly when its predecessor sends it', () => {
  for (const world of [2, 3, 5]) {
    const schedules = Array.from({ length: world }, (_, r) => ringSchedule(r, world, 17));
    for (const s of schedules) {
      assert.equal(s.rounds.length, 2 * (world - 1));
      const predecessor = schedules[(s.rank + world - 1) % world];
      s.rounds.forEach((round, i) => assert.equal(round.receive, predecessor.rounds[i].send));
      s.rounds.slice(1).forEach((round, i) => assert.equal(round.send, s.rounds[i].receive, 'each round passes on what the last one received'));
      assert.equal(s.rounds[world - 2].receive, s.owned, 'the last reduce-scatter chunk is the owned one');
    }
  }
  assert.deepEqual(ringSchedule(0, 1, 5).rounds, []);
  assert.throws(() => ringSchedule(3, 3, 5), /rank must be < world/);
});

/** Runs the schedule for all ranks in memory, as the gRPC ring does: all send, then all combine. */
function simulate(vectors: Array<Float32Array | Float64Array>) {
  const world = vectors.length;
  const data = vectors.map((v) => v.slice());
  const schedules = data.map((d, r) => ringSchedule(r, world, d.length));
  const bytesSent = new Array<number>(world).fill(0);
  for (let i = 0; i < 2 * (world - 1); i++) {
    const messages = schedules.map((s, r) => {
      const { start, end } = s.chunks[s.rounds[i].send];
      bytesSent[r] += (end - start) * data[r].BYTES_PER_ELEMENT;
      return data[r].slice(start, end);
    });
    schedules.forEach((s, r) => {
      const round = s.rounds[i];
      const { start, end } = s.chunks[round.receive];
      const own = data[r].subarray(start, end);
      const wire = own instanceof Float64Array ? EXACT_FLOAT64 : EXACT_FLOAT32;
      const received = messages[(r + world - 1) % world];
      if (round.combine === 'add') wire.add(own, received, own);
      else wire.decode(received, own);
    });
  }
  return { data, bytesSent };
}

test('in-memory ring: every rank ends with the same exact sum and sends 2(N-1)/N of the bytes', () => {
  for (const [world, length] of [[2, 1000], [3, 1001], [4, 3], [5, 0], [7, 4099], [1, 10]]) {
    for (const type of [Float32Array, Float64Array]) {
      const vectors = randomVectors(world * 7919 + length, world, length, type);
      const { data, bytesSent } = simulate(vectors);
      const expected = ringOrderSum(vectors);
      const approx = float64Sum(vectors);
      const epsilon = type === Float32Array ? 2 ** -23 : 2 ** -52;
      for (let i = 0; i < length; i++) {
        const magnitude = vectors.reduce((m, v) => m + Math.abs(v[i]), 0);
        assert.ok(Math.abs(expected[i] - approx[i]) <= world * epsilon * magnitude, `sum at ${i}`);
      }
      for (const [r, d] of data.entries()) {
        assert.deepEqual(Buffer.from(d.buffer), Buffer.from(expected.buffer), `rank ${r} of ${world}, ${type.name}`);
        const ideal = ((2 * (world - 1)) / world) * length * type.BYTES_PER_ELEMENT;
        assert.ok(Math.abs(bytesSent[r] - ideal) <= 2 * type.BYTES_PER_ELEMENT, `rank ${r} sent ${bytesSent[r]}, ideal ${ideal}`);
      }
    }
  }
});

test('float32 sums depend on the order of additions, so the bit-exact checks above have teeth', () => {
  const vectors = randomVectors(5, 4, 2000);
  const ringOrder = ringOrderSum(vectors);
  const rankOrder = vectors[0].slice();
  for (const v of vectors.slice(1)) v.forEach((x, i) => (rankOrder[i] += x));
  assert.ok(ringOrder.some((x, i) => x !== rankOrder[i]));
});
