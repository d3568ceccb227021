/**
 * A flat record of JSON values and float arrays split into a JSON header and one
 * binary blob, so optimizer moments are stored bit-exactly and compactly.
 */

type FloatArray = Float32Array | Float64Array;

interface ArrayEntry {
  name: string;
  dtype: 'float32' | 'float64';
  offset: number;
  length: number;
}

export interface ArrayRecordHeader {
  fields: Record<string, unknown>;
  arrays: ArrayEntry[];
}

export function encodeArrayRecord(record: object): { header: ArrayRecordHeader; blob: Buffer } {
  const fields: Record<string, unknown> = {};
  const arrays: ArrayEntry[] = [];
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [name, value] of Object.entries(record)) {
    if (value instanceof Float32Array || value instanceof Float64Array) {
      const dtype = value instanceof Float32Array ? 'float32' : 'float64';
      // Keep float64 data 8-byte aligned inside the blob.
      const pad = (value.BYTES_PER_ELEMENT - (offset % value.BYTES_PER_ELEMENT)) % value.BYTES_PER_ELEMENT;
      if (pad) parts.push(Buffer.alloc(pad));
      offset += pad;
      arrays.push({ name, dtype, offset, length: value.length });
      parts.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      offset += value.byteLength;
    } else if (ArrayBuffer.isView(value)) {
      throw new TypeError(`array field ${name} must be Float32Array or Float64Array`);
    } else {
      fields[name] = value;
    }
  }
  return { header: { fields, arrays }, blob: Buffer.concat(parts) };
}

/** Rebuilds the record; throws a message describing the first inconsistency. */
export function decodeArrayRecord(header: unknown, blob: Buffer): Record<string, unknown> {
  const h = header as Partial<ArrayRecordHeader> | null;
  if (!h || typeof h !== 'object' || typeof h.fields !== 'object' || h.fields === null || !Array.isArray(h.arrays)) {
    throw new Error('header must have `fields` and `arrays`');
  }
  const record: Record<string, unknown> = { ...h.fields };
  for (const entry of h.arrays as ArrayEntry[]) {
    const Ctor = entry?.dtype === 'float32' ? Float32Array : entry?.dtype === 'float64' ? Float64Array : undefined;
    if (!Ctor || typeof entry.name !== 'string') throw new Error(`bad array entry ${JSON.stringify(entry)}`);
    const { offset, length } = entry;
    const bytes = length * Ctor.BYTES_PER_ELEMENT;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + bytes > blob.byteLength) {
      throw new Error(`array ${entry.name} (${length} × ${entry.dtype} at ${offset}) lies outside the ${blob.byteLength}-byte blob`);
    }
    const copy = new Ctor(length);
    new Uint8Array(copy.buffer).set(blob.subarray(offset, offset + bytes));
    record[entry.name] = copy as FloatArray;
  }
  return record;
}
