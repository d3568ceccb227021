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

/** `count` elements of `dtype` over `bytes` from `byteOffset`, which must be aligned to the element size. */
export function elementsView(dtype: RingDType, buffer: ArrayBufferLike, byteOffset: number, count: number): ReducibleArray {
  return dtype === 'FLOAT64' ? new Float64Array(buffer, byteOffset, count) : new Float32Array(buffer, byteOffset, count);
}

/**
 * The elements in `payload`: a view over its bytes when they are aligned (as
 * the sender arranges), otherwise an aligned copy. The length must be a whole
 * number of elements.
 */
export function payloadValues(payload: Uint8Array, dtype: RingDType): ReducibleArray {
  const size = bytesPerElement(dtype);
  const count = payload.byteLength / size;
  if (payload.byteOffset % size === 0) return elementsView(dtype, payload.buffer, payload.byteOffset, count);
  const copy = dtype === 'FLOAT64' ? new Float64Array(count) : new Float32Array(count);
  new Uint8Array(copy.buffer).set(payload);
  return copy;
}
