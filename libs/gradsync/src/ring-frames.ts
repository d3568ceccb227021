// Encoding of the frames a rank streams to its successor (RingFrame). Chunk
// frames are laid out by hand around the standard encoding of their small
// fields, so that the payload is written once, in place (a reduce-scatter
// sum goes straight into the message), and lands 8-byte aligned where the
// receiver reads it, which then needs no copy. The result is an ordinary
// RingFrame encoding: the fields of a message may come in any order.
import { loadProtos, type RingChunk, type RingDType, type RingFrame } from '@jvae/protocol';
import { bytesPerElement, elementsView, type WireArray } from './payload.js';

/** RingChunk fields 14 (alignment) and 15 (payload), length-delimited: (number << 3) | 2. */
const ALIGNMENT_TAG = (14 << 3) | 2;
const PAYLOAD_TAG = (15 << 3) | 2;
/** RingFrame field 1 (chunk), length-delimited. */
const CHUNK_TAG = (1 << 3) | 2;
/** gRPC puts a 5-byte prefix (flag, length) before every message; receivers decode after it. */
const GRPC_PREFIX = 5;
/**
 * Sizes of the alignment field to try: absent, or tag + length + 0..15 bytes.
 * Two full cycles of 8, because the varint before the body may grow by a byte
 * part way through.
 */
const PADDINGS = [0, ...Array.from({ length: 16 }, (_, n) => n + 2)];

export type ChunkHeader = Omit<RingChunk, 'alignment' | 'payload'>;

/** A chunk frame ready to send once `values` (a view over its payload) is filled. */
export interface ChunkFrame {
  frame: Buffer;
  values: WireArray;
}

const ringMethod = () => loadProtos().proto.jvae.v1.GradSync.service.Ring;

/** The standard encoding of a frame without a payload (heartbeat, abort). */
export function encodeFrame(frame: RingFrame): Buffer {
  return ringMethod().responseSerialize(frame);
}

function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    length++;
  }
  return length;
}

function writeVarint(target: Buffer, at: number, value: number): number {
  while (value >= 0x80) {
    target[at++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  target[at++] = value;
  return at;
}

/** The small fields of `header`, encoded as the body of a RingChunk. */
function headerFields(header: ChunkHeader): Buffer {
  const wrapped = encodeFrame({ chunk: header });
  // wrapped = CHUNK_TAG, varint(length), fields
  let at = 1;
  while (wrapped[at] & 0x80) at++;
  return wrapped.subarray(at + 1);
}

/**
 * Lays out a chunk frame for `count` elements of `dtype`:
 * CHUNK_TAG len [header fields] [ALIGNMENT_TAG n, n bytes] PAYLOAD_TAG len payload,
 * with the optional alignment field sized so that the payload starts at a
 * multiple of 8 counted from the gRPC prefix. The frame itself sits 5 bytes
 * into a fresh buffer, so the payload is aligned for the sender too.
 */
export function chunkFrame(header: ChunkHeader, count: number): ChunkFrame {
  const dtype = header.dtype as RingDType;
  const fields = headerFields(header);
  const payloadBytes = count * bytesPerElement(dtype);
  const payloadField = 1 + varintLength(payloadBytes) + payloadBytes;
  for (const padding of PADDINGS) {
    const body = fields.length + padding + payloadField;
    const payloadStart = 1 + varintLength(body) + fields.length + padding + 1 + varintLength(payloadBytes);
    if ((GRPC_PREFIX + payloadStart) % 8 !== 0) continue;
    const size = payloadStart + payloadBytes;
    const frame = Buffer.allocUnsafeSlow(GRPC_PREFIX + size).subarray(GRPC_PREFIX);
    let at = writeVarint(frame, (frame[0] = CHUNK_TAG, 1), body);
    at += fields.copy(frame, at);
    if (padding > 0) {
      frame[at++] = ALIGNMENT_TAG;
      frame[at++] = padding - 2;
      frame.fill(0, at, at + padding - 2);
      at += padding - 2;
    }
    frame[at++] = PAYLOAD_TAG;
    at = writeVarint(frame, at, payloadBytes);
    return { frame, values: elementsView(dtype, frame.buffer, frame.byteOffset + at, count) };
  }
  throw new Error('unreachable: one of the paddings aligns every payload');
}
