// IEEE 754 half precision, for vectors sent at half the bytes: float32 to
// float16 rounds to nearest, ties to even (overflow becomes ±Infinity, NaN
// stays NaN); float16 to float32 is exact.

/** Every float16 bit pattern's value, so that decoding is one lookup. */
let values: Float32Array | undefined;

function valueOf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function table(): Float32Array {
  values ??= Float32Array.from({ length: 0x10000 }, (_, bits) => valueOf(bits));
  return values;
}

/** float32 bit patterns: the first that overflows float16, infinity, the first normal float16. */
const OVERFLOW = (127 + 16) << 23;
const INFINITY_BITS = 0xff << 23;
const SMALLEST_NORMAL = 113 << 23;
/** 0.5 in the last place of float16 subnormals: adding it as a float rounds (ties to even) right where they end. */
const SUBNORMAL_MAGIC = (127 - 15 + 23 - 10 + 1) << 23;
const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);
scratchBits[0] = SUBNORMAL_MAGIC;
const SUBNORMAL_MAGIC_VALUE = scratch[0];

/** dst[i] = float16 nearest to src[i]; the arrays must have the same length. */
export function toFloat16(src: Float32Array, dst: Uint16Array): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    const sign = (x >>> 16) & 0x8000;
    const magnitude = x & 0x7fffffff;
    let half: number;
    if (magnitude >= OVERFLOW) {
      half = magnitude > INFINITY_BITS ? 0x7e00 : 0x7c00;
    } else if (magnitude < SMALLEST_NORMAL) {
      // Subnormal or zero: the float addition does the rounding.
      scratchBits[0] = magnitude;
      scratch[0] += SUBNORMAL_MAGIC_VALUE;
      half = scratchBits[0] - SUBNORMAL_MAGIC;
    } else {
      // Rebias the exponent and round half to even on the 13 dropped bits; a carry rightly bumps the exponent.
      half = (magnitude - ((127 - 15) << 23) + 0xfff + ((magnitude >>> 13) & 1)) >>> 13;
    }
    dst[i] = sign | half;
  }
}

/** dst[i] = the value of float16 src[i]; the arrays must have the same length. */
export function fromFloat16(src: Uint16Array, dst: Float32Array): void {
  const lookup = table();
  for (let i = 0; i < src.length; i++) dst[i] = lookup[src[i]];
}
