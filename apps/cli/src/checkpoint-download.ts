/**
 * Writes a DownloadCheckpoint stream (manifest, then file chunks) to a directory:
 * into a temporary sibling first, every file checked against the manifest's size
 * and SHA-256, then renamed into place. On any problem nothing is left at the
 * target and a directory already there is untouched.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type {
  CheckpointChunk__Output,
  CheckpointFile__Output,
  CheckpointInfo__Output,
  CoordinatorConnection,
} from '@jvae/protocol';
import { CheckpointDownloadError } from './checkpoint-download-error.js';

/** Every checkpoint directory holds its manifest; an existing target is replaced only if it has one (or is empty). */
const CHECKPOINT_MARKER = 'manifest.json';
const SEGMENT = /^[A-Za-z0-9._-]+$/;

interface Receiving {
  entry: CheckpointFile__Output;
  hash: Hash;
  written: number;
  handle: FileHandle | null;
}

export interface SavedCheckpoint {
  /** Absolute path of the checkpoint directory. */
  dir: string;
  /** The manifest the coordinator sent (checkpoint id, trial, step, files). */
  checkpoint: CheckpointInfo__Output;
}

/** A manifest path as a safe relative path: forward slashes, no empty, `.` or `..` segments. */
export function checkManifestPath(path: string): string {
  const segments = path.split('/');
  if (!path || segments.some((s) => !SEGMENT.test(s) || s === '.' || s === '..')) {
    throw new CheckpointDownloadError(path, "unsafe path in the manifest (use relative paths of letters, digits, '_', '.', '-')");
  }
  return path;
}

export async function saveCheckpointStream(
  chunks: AsyncIterable<CheckpointChunk__Output> | Iterable<CheckpointChunk__Output>,
  outDir: string,
): Promise<SavedCheckpoint> {
  const target = resolve(outDir);
  await checkReplaceable(target);
  await mkdir(dirname(target), { recursive: true });
  const temp = await mkdtemp(join(dirname(target), `.${basename(target)}.download-`));
  const files = new Map<string, Receiving>();
  try {
    let checkpoint: CheckpointInfo__Output | null = null;
    for await (const chunk of chunks) {
      if (chunk.manifest) {
        if (checkpoint) throw new CheckpointDownloadError(undefined, 'the coordinator sent a second manifest');
        checkpoint = chunk.manifest;
        for (const entry of checkpoint.files) {
          if (files.has(checkManifestPath(entry.path))) throw new CheckpointDownloadError(entry.path, 'listed twice in the manifest');
          files.set(entry.path, { entry, hash: createHash('sha256'), written: 0, handle: null });
        }
      } else if (chunk.file) {
        if (!checkpoint) throw new CheckpointDownloadError(chunk.file.path, 'data arrived before the manifest');
        await receive(files, temp, chunk.file.path, chunk.file.offset, chunk.file.data);
      }
    }
    if (!checkpoint) throw new CheckpointDownloadError(undefined, 'the coordinator sent no manifest');
    for (const file of files.values()) await verify(file, temp);
    await moveIntoPlace(temp, target);
    return { dir: target, checkpoint };
  } catch (err) {
    await Promise.all([...files.values()].map((f) => f.handle?.close().catch(() => undefined)));
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
}

async function receive(files: Map<string, Receiving>, temp: string, path: string, offset: number, data: Buffer): Promise<void> {
  const file = files.get(path);
  if (!file) throw new CheckpointDownloadError(path, 'not listed in the manifest');
  if (offset !== file.written) throw new CheckpointDownloadError(path, `chunk at offset ${offset}, expected ${file.written}`);
  if (file.written + data.byteLength > file.entry.size) {
    throw new CheckpointDownloadError(path, `more than the manifest's ${file.entry.size} bytes`);
  }
  file.handle ??= await create(temp, path);
  await file.handle.write(data);
  file.hash.update(data);
  file.written += data.byteLength;
}

async function verify(file: Receiving, temp: string): Promise<void> {
  const { path, size, sha256 } = file.entry;
  const handle = file.handle ?? (await create(temp, path));
  file.handle = null;
  await handle.close();
  if (file.written !== size) throw new CheckpointDownloadError(path, `received ${file.written} of the manifest's ${size} bytes`);
  const actual = file.hash.digest('hex');
  if (actual !== sha256.toLowerCase()) {
    throw new CheckpointDownloadError(path, `SHA-256 ${actual} differs from the manifest's ${sha256}`);
  }
}

async function create(temp: string, path: string): Promise<FileHandle> {
  const full = join(temp, path);
  await mkdir(dirname(full), { recursive: true });
  return open(full, 'wx');
}

/** Refuses a target that exists and is not a checkpoint directory, before anything is downloaded. */
async function checkReplaceable(target: string): Promise<void> {
  const info = await stat(target).catch(() => null);
  if (!info) return;
  const problem = `${target} exists and is not a checkpoint directory; choose another --out`;
  if (!info.isDirectory()) throw new CheckpointDownloadError(undefined, problem);
  const entries = await readdir(target);
  if (entries.length > 0 && !entries.includes(CHECKPOINT_MARKER)) throw new CheckpointDownloadError(undefined, problem);
}

async function moveIntoPlace(temp: string, target: string): Promise<void> {
  const existing = await stat(target).catch(() => null);
  if (!existing) {
    await rename(temp, target);
    return;
  }
  const old = join(dirname(target), `.${basename(target)}.old-${randomBytes(6).toString('hex')}`);
  await rename(target, old);
  await rename(temp, target);
  await rm(old, { recursive: true, force: true });
}

/** Downloads a trial's latest checkpoint, or one exact checkpoint, into `outDir` (see saveCheckpointStream). */
export async function fetchCheckpoint(
  connection: CoordinatorConnection,
  request: { trialId: string } | { checkpointId: string },
  outDir: string,
): Promise<SavedCheckpoint> {
  const stream = connection.downloadCheckpoint(request);
  try {
    return await saveCheckpointStream(stream, outDir);
  } catch (err) {
    stream.cancel();
    throw err;
  }
}
