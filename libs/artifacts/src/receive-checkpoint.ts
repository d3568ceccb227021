import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import type { CheckpointInfo } from '@jvae/protocol';
import { ArtifactError } from './artifact-error.js';
import { fileOp, NODE_FS, type CheckpointFs } from './checkpoint-fs.js';
import { checkManifest, type CheckpointManifest, type ManifestLimits } from './checkpoint-manifest.js';
import { CheckpointWriter, type FileChunkInput } from './checkpoint-writer.js';

/** A message of an upload or download stream (the CheckpointChunk message, loosely typed). */
export interface ChunkInput<M extends CheckpointInfo = CheckpointInfo> {
  manifest?: M | null;
  file?: FileChunkInput | null;
}

export interface ReceiveOptions<M extends CheckpointInfo = CheckpointInfo> {
  /** The checkpoint's directory, or how to name it from the checked manifest. */
  target: string | ((manifest: CheckpointManifest) => string);
  /** Where the temporary directory goes (default: beside the target); on the target's file system. */
  tempParent?: string;
  /** Runs on the checked manifest before anything is written; throws to refuse the checkpoint. */
  accept?: (manifest: CheckpointManifest, message: M) => void | Promise<void>;
  limits?: ManifestLimits;
  /** Replace a directory already at the target (default: the move into place fails). */
  replace?: boolean;
  /** Default node:fs/promises. */
  fs?: CheckpointFs;
}

export interface ReceivedCheckpoint<M extends CheckpointInfo = CheckpointInfo> {
  /** The checkpoint's directory (absolute). */
  dir: string;
  manifest: CheckpointManifest;
  /** The manifest message as it came, with what the checked manifest leaves out (id, location, ...). */
  message: M;
}

/**
 * Writes an upload or download stream (the manifest, then file chunks) to a directory: into
 * a temporary one first, each chunk checked against the manifest and streamed to disk, every
 * file's size and SHA-256 verified at the end, then renamed into place. On any problem the
 * temporary directory is deleted and nothing is left at the target. Errors of the stream
 * itself pass through; problems of its content are ArtifactErrors ('invalid'); failures of
 * the file system are ArtifactErrors ('no-space' or 'storage').
 */
export async function receiveCheckpoint<M extends CheckpointInfo>(
  chunks: AsyncIterable<ChunkInput<M>> | Iterable<ChunkInput<M>>,
  options: ReceiveOptions<M>,
): Promise<ReceivedCheckpoint<M>> {
  const fs = options.fs ?? NODE_FS;
  let writer: CheckpointWriter | undefined;
  let message: M | undefined;
  let dir = '';
  try {
    for await (const chunk of chunks) {
      if (!writer) {
        if (!chunk.manifest) throw ArtifactError.invalid('the first message must carry the manifest');
        message = chunk.manifest;
        const manifest = checkManifest(message, options.limits);
        await options.accept?.(manifest, message);
        dir = resolve(typeof options.target === 'string' ? options.target : options.target(manifest));
        const parent = options.tempParent ?? dirname(dir);
        const temp = await fileOp('creating a temporary directory', async () => {
          await fs.mkdir(parent, { recursive: true });
          return fs.mkdtemp(join(parent, `.${basename(dir)}.partial-`));
        });
        writer = new CheckpointWriter(manifest, temp, fs);
      } else if (chunk.file && !chunk.manifest) {
        await writer.write(chunk.file);
      } else {
        throw ArtifactError.invalid('only the first message may carry a manifest; every later one is a file chunk');
      }
    }
    if (!writer) throw ArtifactError.invalid('the stream ended before the manifest');
    await writer.finish();
    await fileOp(`moving the checkpoint into ${dir}`, () => moveIntoPlace(fs, writer!.dir, dir, options.replace ?? false));
    return { dir, manifest: writer.manifest, message: message! };
  } catch (error) {
    await writer?.discard().catch(() => undefined);
    throw error;
  }
}

async function moveIntoPlace(fs: CheckpointFs, temp: string, target: string, replace: boolean): Promise<void> {
  const existing = replace ? await fs.stat(target).catch(() => null) : null;
  if (!existing) {
    await fs.mkdir(dirname(target), { recursive: true });
    await fs.rename(temp, target);
    return;
  }
  const old = join(dirname(target), `.${basename(target)}.old-${randomBytes(6).toString('hex')}`);
  await fs.rename(target, old);
  await fs.rename(temp, target);
  await fs.rm(old, { recursive: true, force: true });
}
