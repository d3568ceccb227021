/**
 * A read-only view of a zip archive (as written by numpy's savez): the central
 * directory (zip64 included) is read once, and members are streamed, stored or
 * deflated, with their size and CRC-32 checked, so members larger than memory
 * can be consumed chunk by chunk.
 */
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw, crc32 } from 'node:zlib';
import { DataError } from './data-error.js';

interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const STORED = 0;
const DEFLATED = 8;
const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const ZIP64_EXTRA = 0x0001;

export class ZipArchive {
  private constructor(
    readonly path: string,
    private readonly fileSize: number,
    private readonly entries: Map<string, ZipEntry>,
  ) {}

  static async open(path: string): Promise<ZipArchive> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw new DataError(path, `cannot open (${(error as Error).message})`);
    }
    try {
      const { size } = await handle.stat();
      const entries = await readCentralDirectory(handle, size, path);
      return new ZipArchive(path, size, entries);
    } finally {
      await handle.close();
    }
  }

  get memberNames(): string[] {
    return [...this.entries.keys()];
  }

  /** Size in bytes of a member once decompressed. */
  sizeOf(name: string): number {
    return this.entry(name).uncompressedSize;
  }

  /** Streams a member's decompressed bytes to `onChunk`, then checks its length and CRC-32. */
  async forEachChunk(name: string, onChunk: (chunk: Buffer) => void): Promise<void> {
    const entry = this.entry(name);
    const dataStart = await this.dataStart(entry);
    let produced = 0;
    let crc = 0;
    const consume = async (chunks: AsyncIterable<Buffer>): Promise<void> => {
      for await (const chunk of chunks) {
        produced += chunk.length;
        if (produced > entry.uncompressedSize) throw this.error(name, `decompresses past its declared ${entry.uncompressedSize} bytes`);
        crc = crc32(chunk, crc);
        onChunk(chunk);
      }
    };
    if (entry.compressedSize > 0) {
      const source = createReadStream(this.path, { start: dataStart, end: dataStart + entry.compressedSize - 1 });
      try {
        if (entry.method === DEFLATED) await pipeline(source, createInflateRaw(), consume);
        else await pipeline(source, consume);
      } catch (error) {
        if (error instanceof DataError) throw error;
        throw this.error(name, `corrupt data (${(error as Error).message})`);
      }
    }
    if (produced !== entry.uncompressedSize) {
      throw this.error(name, `truncated: ${produced} of ${entry.uncompressedSize} bytes`);
    }
    if (crc >>> 0 !== entry.crc) throw this.error(name, 'CRC-32 mismatch: the data is corrupt');
  }

  /** A member's whole decompressed content. */
  async read(name: string): Promise<Buffer> {
    const out = Buffer.allocUnsafe(this.sizeOf(name));
    let at = 0;
    await this.forEachChunk(name, (chunk) => {
      chunk.copy(out, at);
      at += chunk.length;
    });
    return out;
  }

  private entry(name: string): ZipEntry {
    const entry = this.entries.get(name);
    if (!entry) throw new DataError(this.path, `has no member ${name} (members: ${this.memberNames.join(', ') || 'none'})`);
    return entry;
  }

  private async dataStart(entry: ZipEntry): Promise<number> {
    if (entry.flags & 1) throw this.error(entry.name, 'is encrypted');
    if (entry.method !== STORED && entry.method !== DEFLATED) {
      throw this.error(entry.name, `uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`);
    }
    const handle = await open(this.path, 'r');
    try {
      const header = await readAt(handle, entry.localHeaderOffset, 30, this.fileSize, this.path);
      if (header.readUInt32LE(0) !== LOCAL_HEADER) throw this.error(entry.name, 'local header signature is wrong');
      const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
      if (start + entry.compressedSize > this.fileSize) {
        throw this.error(entry.name, `truncated: data ends at byte ${start + entry.compressedSize}, the file has ${this.fileSize}`);
      }
      return start;
    } finally {
      await handle.close();
    }
  }

  private error(member: string, detail: string): DataError {
    return new DataError(this.path, `member ${member}: ${detail}`);
  }
}

async function readAt(handle: FileHandle, position: number, length: number, fileSize: number, path: string): Promise<Buffer> {
  if (position < 0 || position + length > fileSize) {
    throw new DataError(path, `truncated: needs bytes ${position}…${position + length}, the file has ${fileSize}`);
  }
  const buffer = Buffer.alloc(length);
  await handle.read(buffer, 0, length, position);
  return buffer;
}

async function readCentralDirectory(handle: FileHandle, fileSize: number, path: string): Promise<Map<string, ZipEntry>> {
  // The end record is 22 bytes plus a comment of at most 65,535 bytes, at the very end.
  const tailLength = Math.min(fileSize, 22 + 0xffff);
  const tailStart = fileSize - tailLength;
  const tail = await readAt(handle, tailStart, tailLength, fileSize, path);
  let end = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === END_OF_DIRECTORY) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new DataError(path, 'not a zip archive (no end of central directory record; truncated?)');

  let count = tail.readUInt16LE(end + 10);
  let directorySize = tail.readUInt32LE(end + 12);
  let directoryOffset = tail.readUInt32LE(end + 16);
  if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    const locator = end - 20;
    if (locator < 0 || tail.readUInt32LE(locator) !== ZIP64_LOCATOR) throw new DataError(path, 'zip64 locator missing');
    const record = await readAt(handle, toNumber(tail.readBigUInt64LE(locator + 8), path), 56, fileSize, path);
    if (record.readUInt32LE(0) !== ZIP64_END_OF_DIRECTORY) throw new DataError(path, 'zip64 end of directory is corrupt');
    count = toNumber(record.readBigUInt64LE(32), path);
    directorySize = toNumber(record.readBigUInt64LE(40), path);
    directoryOffset = toNumber(record.readBigUInt64LE(48), path);
  }

  const directory = await readAt(handle, directoryOffset, directorySize, fileSize, path);
  const entries = new Map<string, ZipEntry>();
  let at = 0;
  for (let n = 0; n < count; n++) {
    if (at + 46 > directory.length || directory.readUInt32LE(at) !== DIRECTORY_ENTRY) {
      throw new DataError(path, `central directory entry ${n} is corrupt`);
    }
    const nameLength = directory.readUInt16LE(at + 28);
    const extraLength = directory.readUInt16LE(at + 30);
    const commentLength = directory.readUInt16LE(at + 32);
    const name = directory.toString('utf8', at + 46, at + 46 + nameLength);
    const entry: ZipEntry = {
      name,
      flags: directory.readUInt16LE(at + 8),
      method: directory.readUInt16LE(at + 10),
      crc: directory.readUInt32LE(at + 16),
      compressedSize: directory.readUInt32LE(at + 20),
      uncompressedSize: directory.readUInt32LE(at + 24),
      localHeaderOffset: directory.readUInt32LE(at + 42),
    };
    applyZip64Extra(entry, directory.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength), path);
    entries.set(name, entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Sizes and offsets that overflow 32 bits are 0xffffffff in the entry and follow, in order, in the zip64 extra field. */
function applyZip64Extra(entry: ZipEntry, extra: Buffer, path: string): void {
  const wide = (['uncompressedSize', 'compressedSize', 'localHeaderOffset'] as const).filter((key) => entry[key] === 0xffffffff);
  if (wide.length === 0) return;
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(at);
    const size = extra.readUInt16LE(at + 2);
    if (id === ZIP64_EXTRA) {
      if (size < 8 * wide.length) break;
      wide.forEach((key, i) => (entry[key] = toNumber(extra.readBigUInt64LE(at + 4 + 8 * i), path)));
      return;
    }
    at += 4 + size;
  }
  throw new DataError(path, `member ${entry.name}: zip64 sizes missing`);
}

function toNumber(value: bigint, path: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new DataError(path, `zip64 field ${value} is implausibly large`);
  return Number(value);
}
