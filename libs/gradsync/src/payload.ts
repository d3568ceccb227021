// Vectors travel as the raw little-endian bytes of their elements.
import { endianness } from 'node:os';
import type { RingDType } from '@jvae/protocol';

export type ReducibleArray = Float32Array | Float64Array;

if (endianness() !== 'LE') {
  throw new Error('@jvae/gradsync sends typed-array bytes as they are and needs a little-endian machine');
}

export function dtypeOf(data: ReducibleArray): RingDType {
  return data instanceof Float64Array ? 'FLOAT64' : 'FLOAT32';
}

export function bytesPerElement(dtype: RingDType): number {
  return dtype === 'FLOAT64' ? 8 : 4;
}

/** A copy of data[start, end) as bytes (a copy, because the caller keeps changing `data`). */
export function encodePayload(data: ReducibleArray, start: number, end: number): Buffer {
  const view = data.subarray(start, end);
  return Buffer.from(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
}

/** The elements in `payload`, copied into an aligned array; the length must be a whole number of elements. */
export function decodePayload(payload: Uint8Array, dtype: RingDType): ReducibleArray {
  const array = dtype === 'FLOAT64' ? new Float64Array(payload.byteLength / 8) : new Float32Array(payload.byteLength / 4);
  new Uint8Array(array.buffer).set(payload);
  return array;
}
