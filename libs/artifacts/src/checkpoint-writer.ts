import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ArtifactError } from './artifact-error.js';
import { fileOp, type CheckpointFs } from './checkpoint-fs.js';
import type { CheckpointFile, CheckpointManifest } from './checkpoint-manifest.js';

interface Received {
  bytes: number;
  hash: Hash;
}

/** A slice of a file as the stream carries it (the FileChunk message, loosely typed). */
export interface FileChunkInput {
  path?: string;
  offset?: number | string;
  data?: Buffer | Uint8Array;
}

/**
 * One checkpoint being written into a directory of its own, from chunks checked against its
 * manifest as they come (a listed file, in order, within its size) and hashed on the way to
 * disk; `finish` then checks every file's size and SHA-256.
 */
export class CheckpointWriter {
  private readonly received = new Map<string, Received>();
  private readonly expected: Map<string, CheckpointFile>;
  private current: { path: string; handle: FileHandle } | undefined;

  constructor(
    readonly manifest: CheckpointManifest,
    /** The directory, created by the caller, empty, owned by this writer. */
    readonly dir: string,
    private readonly fs: CheckpointFs,
  ) {
    this.expected = new Map(manifest.files.map((file) => [file.path, file]));
  }

  async write(chunk: FileChunkInput): Promise<void> {
    const path = chunk.path ?? '';
    const file = this.expected.get(path);
    if (!file) throw ArtifactError.invalid('not listed in the manifest', path);
    const data = chunk.data ?? Buffer.alloc(0);
    const got = this.received.get(path) ?? { bytes: 0, hash: createHash('sha256') };
    const offset = Number(chunk.offset ?? 0);
    if (offset !== got.bytes) {
      throw ArtifactError.invalid(`chunk at offset ${offset}, expected ${got.bytes} (chunks of a file must arrive in order)`, path);
    }
    if (got.bytes + data.length > file.size) throw ArtifactError.invalid(`more than the manifest's ${file.size} bytes`, path);
    const handle = await this.handleFor(path);
    await fileOp(`writing ${path}`, () => handle.write(data));
    got.hash.update(data);
    got.bytes += data.length;
    this.received.set(path, got);
  }

  /** Checks that every listed file arrived whole with its SHA-256; the files are then complete in `dir`. */
  async finish(): Promise<void> {
    await this.closeCurrent();
    for (const file of this.manifest.files) {
      const got = this.received.get(file.path);
      if (!got && file.size === 0) {
        await this.handleFor(file.path);
        await this.closeCurrent();
      }
      const bytes = got?.bytes ?? 0;
      if (bytes !== file.size) throw ArtifactError.invalid(`received ${bytes} of the manifest's ${file.size} bytes`, file.path);
      const digest = (got?.hash ?? createHash('sha256')).digest('hex');
      if (digest !== file.sha256) throw ArtifactError.invalid(`SHA-256 ${digest} differs from the manifest's ${file.sha256}`, file.path);
    }
  }

  /** Deletes the directory and everything written to it. */
  async discard(): Promise<void> {
    await this.closeCurrent().catch(() => undefined);
    await this.fs.rm(this.dir, { recursive: true, force: true });
  }

  private async handleFor(path: string): Promise<FileHandle> {
    if (this.current?.path === path) return this.current.handle;
    await this.closeCurrent();
    const target = join(this.dir, path);
    // 'wx' for the first chunk: a path can only be created once.
    const flags = this.received.has(path) ? 'a' : 'wx';
    const handle = await fileOp(`creating ${path}`, async () => {
      await this.fs.mkdir(dirname(target), { recursive: true });
      return this.fs.open(target, flags);
    });
    this.current = { path, handle };
    return handle;
  }

  private async closeCurrent(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    if (current) await fileOp(`writing ${current.path}`, () => current.handle.close());
  }
}
