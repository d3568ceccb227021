import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { UploadManifest } from './upload-manifest.js';
import { UploadError } from './upload-error.js';

interface Received {
  bytes: number;
  hash: Hash;
}

/**
 * One checkpoint being received into a private temporary directory: chunks are checked
 * against the manifest as they come (listed file, in order, within its size) and hashed on
 * the way to disk; `finish` then checks every file's size and SHA-256.
 */
export class CheckpointUpload {
  private readonly received = new Map<string, Received>();
  private readonly expected: Map<string, UploadManifest['files'][number]>;
  private open: { path: string; handle: FileHandle } | undefined;

  constructor(
    readonly manifest: UploadManifest,
    /** The temporary directory, created by the caller and owned by this upload. */
    readonly dir: string,
  ) {
    this.expected = new Map(manifest.files.map((file) => [file.path, file]));
  }

  async write(chunk: { path?: string; offset?: number | string; data?: Buffer }): Promise<void> {
    const path = chunk.path ?? '';
    const file = this.expected.get(path);
    if (!file) throw new UploadError(`file ${JSON.stringify(path)}: not listed in the manifest`);
    const data = chunk.data ?? Buffer.alloc(0);
    const got = this.received.get(path) ?? { bytes: 0, hash: createHash('sha256') };
    const offset = Number(chunk.offset ?? 0);
    if (offset !== got.bytes) {
      throw new UploadError(`file '${path}': chunk at offset ${offset}, expected ${got.bytes} (chunks of a file must arrive in order)`);
    }
    if (got.bytes + data.length > file.size) {
      throw new UploadError(`file '${path}': more than the manifest's ${file.size} bytes`);
    }
    const handle = await this.handleFor(path);
    await handle.write(data);
    got.hash.update(data);
    got.bytes += data.length;
    this.received.set(path, got);
  }

  /** Checks that every listed file arrived whole with its SHA-256; the files are then complete in `dir`. */
  async finish(): Promise<void> {
    await this.closeOpen();
    for (const file of this.manifest.files) {
      const got = this.received.get(file.path);
      if (!got && file.size === 0) {
        await this.handleFor(file.path);
        await this.closeOpen();
      }
      const bytes = got?.bytes ?? 0;
      if (bytes !== file.size) throw new UploadError(`file '${file.path}': received ${bytes} of the manifest's ${file.size} bytes`);
      const digest = (got?.hash ?? createHash('sha256')).digest('hex');
      if (digest !== file.sha256) throw new UploadError(`file '${file.path}': SHA-256 ${digest} differs from the manifest's ${file.sha256}`);
    }
  }

  /** Deletes the temporary directory. */
  async discard(): Promise<void> {
    await this.closeOpen().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }

  private async handleFor(path: string): Promise<FileHandle> {
    if (this.open?.path === path) return this.open.handle;
    await this.closeOpen();
    const target = join(this.dir, path);
    await mkdir(dirname(target), { recursive: true });
    // 'wx' for the first chunk: a path can only be created once.
    const handle = await open(target, this.received.has(path) ? 'a' : 'wx');
    this.open = { path, handle };
    return handle;
  }

  private async closeOpen(): Promise<void> {
    const current = this.open;
    this.open = undefined;
    await current?.handle.close();
  }
}
