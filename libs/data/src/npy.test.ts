import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseNpyHeader, readIntegerArray } from './npy.js';

function npy(header: string, data: Buffer = Buffer.alloc(0), major = 1): Buffer {
  const lengthBytes = major === 1 ? 2 : 4;
  const preamble = Buffer.alloc(8 + lengthBytes);
  Buffer.from('\x93NUMPY', 'latin1').copy(preamble);
  preamble[6] = major;
  if (major === 1) preamble.writeUInt16LE(header.length, 8);
  else preamble.writeUInt32LE(header.length, 8);
  return Buffer.concat([preamble, Buffer.from(header, 'latin1'), data]);
}

test('npy headers parse, including Python 2 long shapes and version 2, and wait for more bytes when cut', () => {
  const bytes = npy("{'descr': '|u1', 'fortran_order': False, 'shape': (737280L, 64L, 64L), }\n");
  assert.deepEqual(parseNpyHeader(bytes, 'x'), { descr: '|u1', shape: [737280, 64, 64], dataOffset: bytes.length });
  assert.equal(parseNpyHeader(bytes.subarray(0, 20), 'x'), undefined);
  const v2 = npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }\n", Buffer.alloc(0), 2);
  assert.deepEqual(parseNpyHeader(v2, 'x')?.shape, [3]);
});

test('bad npy headers and data are errors naming the source', () => {
  assert.throws(() => parseNpyHeader(Buffer.from('PK\x03\x04 not numpy at all'), 'a.npy'), /^DataError: a\.npy: not a \.npy array/);
  assert.throws(() => parseNpyHeader(npy("{'descr': '<i8', 'fortran_order': True, 'shape': (2, 2), }"), 'b'), /Fortran-ordered/);
  assert.throws(() => parseNpyHeader(npy("{'shape': (2,), }"), 'c'), /malformed \.npy header/);
  const ints = npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", Buffer.from(Int32Array.of(1, -2, 3, 4).buffer));
  assert.deepEqual([...readIntegerArray(ints, 'd').values], [1, -2, 3, 4]);
  assert.throws(() => readIntegerArray(ints.subarray(0, ints.length - 1), 'e'), /e: holds 15 data bytes, shape \(2, 2\) of <i4 needs 16/);
  assert.throws(() => readIntegerArray(npy("{'descr': '>i4', 'fortran_order': False, 'shape': (0,), }"), 'f'), /unsupported dtype >i4/);
});
