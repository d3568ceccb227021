// Test support: checkpoints in memory, their upload messages, and file operations that fail
// the way a full or broken disk does.
import { createHash, randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import type { CheckpointFs } from './checkpoint-fs.js';

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A synthetic checkpoint: file path → bytes (one spanning several chunks, one empty). */
export function checkpointFiles(seed: string): Map<string, Buffer> {
  return new Map([
    ['trial.json', Buffer.from(JSON.stringify({ seed }))],
    ['encoder/weights.bin', randomBytes(300_000)],
    ['empty.bin', Buffer.alloc(0)],
  ]);
}

export interface MessageOverrides {
  /** Digests to claim instead of the real ones, by path. */
  sha?: Record<string, string>;
  /** A chunk of a file the manifest does not list, sent last. */
  extraPath?: string;
  /** The manifest's id and worker_id (default empty, as in an upload). */
  id?: string;
  workerId?: string;
  /** Bytes per chunk (default 64 KiB). */
  chunkBytes?: number;
}

/** Both what a client sends and what the receiver reads. */
export interface TestChunk {
  manifest?: { id: string; trialId: string; step: number; workerId: string; files: { path: string; size: number; sha256: string }[] };
  file?: { path: string; offset: number; data: Buffer };
}

/** The stream of `files` as a checkpoint of `trialId` at `step`: the manifest, then every file in chunks. */
export function* uploadChunks(trialId: string, step: number, files: Map<string, Buffer>, overrides: MessageOverrides = {}): Generator<TestChunk> {
  const chunkBytes = overrides.chunkBytes ?? 65_536;
  yield {
    manifest: {
      id: overrides.id ?? '',
      trialId,
      step,
      workerId: overrides.workerId ?? '',
      files: [...files].map(([path, data]) => ({ path, size: data.length, sha256: overrides.sha?.[path] ?? sha256(data) })),
    },
  };
  for (const [path, data] of files) {
    for (let offset = 0; offset < data.length; offset += chunkBytes) {
      yield { file: { path, offset, data: data.subarray(offset, offset + chunkBytes) } };
    }
  }
  if (overrides.extraPath) yield { file: { path: overrides.extraPath, offset: 0, data: Buffer.from('x') } };
}

/** An error as Node's file system throws it (code, errno, syscall, path). */
export function systemError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: failing on purpose, ${syscall} '${path}'`), { code, errno: -1, syscall, path });
}

/**
 * node:fs/promises, except that opening a file for writing fails with `code` (ENOSPC: the disk
 * is full) `remaining` more times; set `remaining` to Infinity to fail until told otherwise.
 */
export class FailingWrites {
  remaining: number;
  /** How many opens failed so far. */
  failed = 0;
  readonly fs: CheckpointFs;

  constructor(
    readonly code: string,
    times: number,
  ) {
    this.remaining = times;
    const open = (async (path: Parameters<typeof fsp.open>[0], flags?: string | number, mode?: number) => {
      if (this.remaining > 0 && /[wa]/.test(String(flags))) {
        this.remaining--;
        this.failed++;
        throw systemError(this.code, 'open', String(path));
      }
      return fsp.open(path, flags, mode);
    }) as CheckpointFs['open'];
    this.fs = { ...fsp, open };
  }
}
