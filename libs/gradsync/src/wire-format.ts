// How a vector's elements travel: as they are (exact), or float32 vectors as
// float16 (opt-in, half the bytes). Either way the ring adds in float32 or
// float64 and every rank decodes the same wire values, so all ranks end with
// bit-identical sums.
import type { RingDType } from '@jvae/protocol';
import { fromFloat16, toFloat16 } from './float16.js';
import type { ReducibleArray, WireArray } from './payload.js';

export interface WireFormat {
  /** The element type in the messages. */
  readonly dtype: RingDType;
  /** out = own, as wire elements (what a rank first sends of its own chunk). */
  encode(own: ReducibleArray, out: WireArray): void;
  /** out = own + received (own first: every rank adds in the same order), as wire elements. */
  add(own: ReducibleArray, received: WireArray, out: WireArray): void;
  /** target = received, in the vector's type. */
  decode(received: WireArray, target: ReducibleArray): void;
}

export const EXACT_FLOAT32: WireFormat = exact('FLOAT32');
export const EXACT_FLOAT64: WireFormat = exact('FLOAT64');

function exact(dtype: RingDType): WireFormat {
  return {
    dtype,
    encode: (own, out) => out.set(own),
    add(own, received, out) {
      for (let i = 0; i < out.length; i++) out[i] = own[i] + received[i];
    },
    decode: (received, target) => target.set(received),
  };
}

/**
 * Float32 vectors as float16: each partial sum is rounded to float16 before
 * it travels, and the owner of a chunk keeps the rounded sum it sends. One
 * instance per member (it keeps a scratch buffer).
 */
export function float16Format(): WireFormat {
  let scratch = new Float32Array(0);
  const room = (n: number) => {
    if (scratch.length < n) scratch = new Float32Array(n);
    return scratch.subarray(0, n);
  };
  return {
    dtype: 'FLOAT16',
    encode: (own, out) => toFloat16(own as Float32Array, out as Uint16Array),
    add(own, received, out) {
      const sum = room(out.length);
      fromFloat16(received as Uint16Array, sum);
      for (let i = 0; i < sum.length; i++) sum[i] += own[i];
      toFloat16(sum, out as Uint16Array);
    },
    decode: (received, target) => fromFloat16(received as Uint16Array, target as Float32Array),
  };
}
