// Vectors travel as the raw little-endian bytes of their elements.
import { endianness } from 'node:os';
import type { RingDType } from '@jvae/protocol';

export type ReducibleArray = Float32Array | Float64Array;
/** Elements as they travel: the vector's own type, or float16 bit patterns. */
export type WireArray = ReducibleArray | Uint16Array;

if (endianness() !== 'LE') {
  throw new Error('@jvae/gradsync sends typed-array bytes as they are and needs a little-endian machine');
}

export function bytesPerElement(dtype: RingDType): number {
  return dtype === 'FLOAT64' ? 8 : dtype === 'FLOAT16' ? 2 : 4;
}

/** `count` elements of `dtype` (float16 as bit patterns) from `byteOffset`, which must be aligned to the element size. */
export function elementsView(dtype: RingDType, buffer: ArrayBufferLike, byteOffset: number, count: number): WireArray {
  if (dtype === 'FLOAT64') return new Float64Array(buffer, byteOffset, count);
  if (dtype === 'FLOAT16') return new Uint16Array(buffer, byteOffset, count);
  return new Float32Array(buffer, byteOffset, count);
}

/**
 * The elements in `payload`: a view over its bytes when they are aligned (as
 * the sender arranges), otherwise an aligned copy. The length must be a whole
 * number of elements.
 */
export function payloadValues(payload: Uint8Array, dtype: RingDType): WireArray {
  const size = bytesPerElement(dtype);
  const count = payload.byteLength / size;
  if (payload.byteOffset % size === 0) return elementsView(dtype, payload.buffer, payload.byteOffset, count);
  const copy = new Uint8Array(payload.byteLength);
  copy.set(payload);
  return elementsView(dtype, copy.buffer, 0, count);
}
