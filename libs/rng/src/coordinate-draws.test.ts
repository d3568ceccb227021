import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normal, uniform, uniformFloat32 } from './coordinate-draws.js';
import { hash32 } from './murmur3.js';

const COORDINATES: [number, number, number, number, number][] = [
  [0, 1, 0, 0, 0],
  [1, 2, 3, 4, 5],
  [42, 3, 0xffffffff, 7, 123456],
  [0xffffffff, 1, -1, 2 ** 31, 9],
  [-7, 2, 100, 0, 1],
];

// Fixed values: a change here changes the weights and noise of every seeded run, so a
// checkpoint resumed on new code would no longer continue its own run.
test('the draws at fixed coordinates are the recorded ones, bit for bit', () => {
  assert.deepEqual(COORDINATES.map((c) => hash32(...c)), [2451737883, 1924023384, 640235080, 1859763820, 2538866542]);
  assert.deepEqual(COORDINATES.map((c) => uniform(...c)), [
    0.570839709485881, 0.4479716030182317, 0.14906634588260204, 0.43301000737119466, 0.5911259312415496,
  ]);
  assert.deepEqual(COORDINATES.map((c) => uniformFloat32(...c)), [
    0.5708397030830383, 0.4479716420173645, 0.14906638860702515, 0.4330100417137146, 0.5911259055137634,
  ]);
  assert.deepEqual(COORDINATES.map((c) => normal(...c)), [
    -0.21627975734616892, 0.005779787735937252, 0.040788342087988476, 0.6662403226426347, -0.2090265932244949,
  ]);
});

test('uniformFloat32 stays strictly inside (0, 1) once stored as float32', () => {
  const stored = Float32Array.from({ length: 10_000 }, (_, i) => uniformFloat32(5, 3, i, 0, 0));
  assert.ok(stored.every((u) => u > 0 && u < 1));
});
