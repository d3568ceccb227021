import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromFloat16, toFloat16 } from './float16.js';
import { randomVectors } from './fixtures/vectors.js';

const ALL = Uint16Array.from({ length: 0x10000 }, (_, bits) => bits);
const decode = (bits: Uint16Array) => {
  const out = new Float32Array(bits.length);
  fromFloat16(bits, out);
  return out;
};
const encode = (values: ArrayLike<number>) => {
  const out = new Uint16Array(values.length);
  toFloat16(Float32Array.from(values), out);
  return out;
};

test('float16 values: every bit pattern decodes to its IEEE value and encodes back to itself', () => {
  const values = decode(ALL);
  assert.deepEqual([values[0x3c00], values[0xc000], values[0x7bff], values[0x0001], values[0x0400]], [1, -2, 65504, 2 ** -24, 2 ** -14]);
  assert.equal(values[0x7c00], Infinity);
  assert.equal(values[0xfc00], -Infinity);
  assert.ok(Number.isNaN(values[0x7e00]));
  assert.ok(Object.is(values[0x8000], -0));
  const back = encode(values);
  for (let bits = 0; bits < 0x10000; bits++) {
    if (!Number.isNaN(values[bits])) assert.equal(back[bits], bits, `pattern ${bits.toString(16)}`);
  }
});

test('float32 to float16 rounds to the nearest, ties to even, overflow to infinity', () => {
  const finite = decode(ALL).filter((v) => Number.isFinite(v));
  const sorted = Float64Array.from(new Set(finite)).sort();
  const subnormals = Array.from({ length: 4001 }, (_, k) => (k - 2000) * 2 ** -30 * 1.37);
  const inputs = [...randomVectors(11, 1, 20_000)[0], ...subnormals, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -25, 3 * 2 ** -26, 65519, 65520, 1e-9, -1e-9];
  const encoded = decode(encode(inputs));
  inputs.forEach((x, i) => {
    const got = encoded[i];
    if (Math.abs(x) >= 65520) return assert.equal(got, Math.sign(x) * Infinity, `${x}`);
    // The nearest representable value: none other is strictly closer.
    let k = 0;
    for (let step = 1 << 16; step > 0; step >>= 1) if (k + step < sorted.length && sorted[k + step] <= x) k += step;
    const best = Math.min(Math.abs(x - sorted[k]), Math.abs((sorted[k + 1] ?? Infinity) - x));
    assert.ok(Math.abs(x - got) <= best, `${x} -> ${got}, nearest is ${best} away`);
  });
  // Exact halfway cases go to the even pattern.
  assert.deepEqual([...decode(encode([1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -25, 3 * 2 ** -25]))], [1, 1 + 2 ** -9, 0, 2 ** -23]);
  assert.ok(Number.isNaN(decode(encode([NaN]))[0]));
});
