/** The .npy format: a magic string, a version, and a Python-literal header dict before the raw array. */
import { DataError } from './data-error.js';

export interface NpyHeader {
  /** numpy dtype string, e.g. `|u1`, `<i8`. */
  descr: string;
  shape: number[];
  /** Byte offset of the array data. */
  dataOffset: number;
}

const MAGIC = '\x93NUMPY';

/**
 * Parses the header at the start of `bytes`; `undefined` when more bytes are
 * needed to see all of it. Fortran-ordered arrays are rejected.
 */
export function parseNpyHeader(bytes: Uint8Array, source: string): NpyHeader | undefined {
  if (bytes.length < 10) return undefined;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.toString('latin1', 0, 6) !== MAGIC) throw new DataError(source, 'not a .npy array (wrong magic string)');
  const major = buffer[6]!;
  if (major < 1 || major > 3) throw new DataError(source, `unsupported .npy version ${major}`);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) return undefined;
  const headerLength = major === 1 ? buffer.readUInt16LE(8) : buffer.readUInt32LE(8);
  const dataOffset = 8 + lengthBytes + headerLength;
  if (bytes.length < dataOffset) return undefined;
  const text = buffer.toString(major === 3 ? 'utf8' : 'latin1', 8 + lengthBytes, dataOffset);

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new DataError(source, `malformed .npy header ${JSON.stringify(text.trim())}`);
  }
  if (fortran === 'True') throw new DataError(source, 'Fortran-ordered arrays are not supported');
  const shape = shapeText
    .split(',')
    .map((part) => part.trim().replace(/L$/, '')) // Python 2 writes longs as 64L
    .filter((part) => part.length > 0)
    .map((part) => {
      if (!/^\d+$/.test(part)) throw new DataError(source, `malformed .npy shape (${shapeText})`);
      return Number(part);
    });
  return { descr, shape, dataOffset };
}

const INTEGER_READERS: Record<string, { size: number; read: (view: DataView, at: number) => number }> = {
  u1: { size: 1, read: (v, at) => v.getUint8(at) },
  i1: { size: 1, read: (v, at) => v.getInt8(at) },
  u2: { size: 2, read: (v, at) => v.getUint16(at, true) },
  i2: { size: 2, read: (v, at) => v.getInt16(at, true) },
  u4: { size: 4, read: (v, at) => v.getUint32(at, true) },
  i4: { size: 4, read: (v, at) => v.getInt32(at, true) },
  u8: { size: 8, read: (v, at) => Number(v.getBigUint64(at, true)) },
  i8: { size: 8, read: (v, at) => Number(v.getBigInt64(at, true)) },
};

/** Reads a whole little-endian integer .npy array (header included) into an Int32Array. */
export function readIntegerArray(bytes: Uint8Array, source: string): { shape: number[]; values: Int32Array } {
  const header = parseNpyHeader(bytes, source);
  if (!header) throw new DataError(source, 'truncated .npy header');
  const { size, read } = integerReader(header.descr, source);
  const count = header.shape.reduce((product, dim) => product * dim, 1);
  const available = bytes.length - header.dataOffset;
  if (available !== count * size) {
    throw new DataError(source, `holds ${available} data bytes, shape (${header.shape.join(', ')}) of ${header.descr} needs ${count * size}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + header.dataOffset, available);
  const values = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const value = read(view, i * size);
    if (value !== (value | 0)) throw new DataError(source, `value ${value} at element ${i} does not fit in 32 bits`);
    values[i] = value;
  }
  return { shape: header.shape, values };
}

function integerReader(descr: string, source: string): (typeof INTEGER_READERS)[string] {
  const match = /^([<|=]?)([iu][1248])$/.exec(descr);
  const reader = match && (match[2]![1] === '1' || match[1] !== '|') ? INTEGER_READERS[match[2]!] : undefined;
  if (!reader) throw new DataError(source, `unsupported dtype ${descr}: expected a little-endian integer type`);
  return reader;
}
