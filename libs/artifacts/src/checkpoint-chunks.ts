import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { CheckpointChunk, CheckpointInfo } from '@jvae/protocol';
import { ArtifactError } from './artifact-error.js';
import { fileOp } from './checkpoint-fs.js';
import { checkRelativePath, type CheckpointFile } from './checkpoint-manifest.js';

/** Bytes of file data per message: well under gRPC's default 4 MiB message limit. */
export const CHUNK_BYTES = 256 * 1024;

/** A CheckpointChunk as checkpointChunks makes it: the manifest, or a slice of a file as a Buffer. */
export interface OutgoingChunk {
  manifest?: CheckpointInfo;
  file?: { path: string; offset: number; data: Buffer };
}

/** A file's bytes, `chunkBytes` at a time, as the consumer pulls them. */
async function* readChunks(path: string, shown: string, chunkBytes: number): AsyncGenerator<Buffer> {
  try {
    for await (const data of createReadStream(path, { highWaterMark: chunkBytes })) yield data as Buffer;
  } catch (error) {
    throw ArtifactError.fromSystem(error, `reading ${shown}`);
  }
}

/** Every file under `dir` with its size and SHA-256 (read as a stream), by relative '/'-separated path, sorted. */
export async function listCheckpointFiles(dir: string): Promise<CheckpointFile[]> {
  const entries = await fileOp(`listing ${dir}`, () => readdir(dir, { recursive: true, withFileTypes: true }));
  const paths = entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1).split('\\').join('/'))
    .sort();
  const files: CheckpointFile[] = [];
  for (const path of paths) {
    const hash = createHash('sha256');
    let size = 0;
    for await (const data of readChunks(join(dir, checkRelativePath(path)), path, CHUNK_BYTES)) {
      hash.update(data);
      size += data.length;
    }
    files.push({ path, size, sha256: hash.digest('hex') });
  }
  return files;
}

/**
 * The messages of an upload or a download: `manifest` first, then every file it lists, read
 * from `dir` in chunks of `chunkBytes` as the consumer pulls them (an empty file as one empty
 * chunk, so that the receiver sees every path). Paths are checked before they are joined to `dir`.
 */
export async function* checkpointChunks(dir: string, manifest: CheckpointInfo, chunkBytes = CHUNK_BYTES): AsyncGenerator<OutgoingChunk> {
  yield { manifest };
  for (const file of manifest.files ?? []) {
    const path = checkRelativePath(file.path);
    let offset = 0;
    for await (const data of readChunks(join(dir, path), path, chunkBytes)) {
      yield { file: { path, offset, data } };
      offset += data.length;
    }
    if (offset === 0) yield { file: { path, offset: 0, data: Buffer.alloc(0) } };
  }
}

/**
 * Serves a checkpoint on a server stream: checkpointChunks with backpressure (waiting for
 * 'drain' when the call's buffer is full), stopping when the client cancels; the caller ends the call.
 */
export async function sendCheckpoint(call: ServerWritableStream<unknown, CheckpointChunk>, dir: string, manifest: CheckpointInfo): Promise<void> {
  for await (const chunk of checkpointChunks(dir, manifest)) {
    if (call.cancelled) return;
    if (!call.write(chunk)) {
      // Whichever comes first; the other listener is removed so that none pile up.
      const settled = new AbortController();
      const { signal } = settled;
      await Promise.race([once(call, 'drain', { signal }), once(call, 'cancelled', { signal })]).finally(() => settled.abort());
    }
  }
}
