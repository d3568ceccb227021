import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { checkId } from '@jvae/protocol';
import { newCheckpointId, type CheckpointRecord } from '@jvae/store';
import { CheckpointUpload } from './checkpoint-upload.js';
import { checkRelativePath, type UploadManifest } from './upload-manifest.js';

/** Where uploads are received before they are checked; not a valid trial id, so never a trial's directory. */
const UPLOADS_DIR = '.uploads';

/**
 * Checkpoint files on a local directory: `<root>/<trialId>/<checkpointId>/<files>`. An upload
 * is received into `<root>/.uploads/` and renamed into place only once every file checks
 * out, so a stored checkpoint is always complete.
 */
export class ArtifactStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Starts receiving a checkpoint whose manifest was checked with checkUploadManifest. */
  async begin(manifest: UploadManifest): Promise<CheckpointUpload> {
    const uploads = join(this.root, UPLOADS_DIR);
    await mkdir(uploads, { recursive: true });
    return new CheckpointUpload(manifest, await mkdtemp(join(uploads, `${manifest.trialId}-`)));
  }

  /**
   * Verifies the upload and moves it into place under a new checkpoint id; on any problem
   * the upload's files are deleted and the error (an UploadError naming the file) is thrown.
   */
  async commit(upload: CheckpointUpload): Promise<CheckpointRecord> {
    try {
      await upload.finish();
      const id = newCheckpointId();
      const location = this.checkpointDir(upload.manifest.trialId, id);
      await mkdir(join(location, '..'), { recursive: true });
      await rename(upload.dir, location);
      const { trialId, step, files } = upload.manifest;
      return { id, trialId, step, files, createdAt: Date.now(), location };
    } catch (error) {
      await upload.discard();
      throw error;
    }
  }

  /** Deletes the files of checkpoints no longer kept. */
  async remove(records: readonly CheckpointRecord[]): Promise<void> {
    for (const record of records) {
      await rm(this.checkpointDir(record.trialId, record.id), { recursive: true, force: true });
    }
  }

  /** A stored file's bytes, from a record the store returned. */
  read(record: CheckpointRecord, path: string, chunkBytes: number): ReadStream {
    return createReadStream(join(this.checkpointDir(record.trialId, record.id), checkRelativePath(path)), {
      highWaterMark: chunkBytes,
    });
  }

  /** The checkpoint's directory; ids are checked again so that no record can point outside the root. */
  checkpointDir(trialId: string, checkpointId: string): string {
    const dir = resolve(this.root, checkId('trial', trialId), checkId('checkpoint', checkpointId));
    if (!dir.startsWith(this.root + sep)) throw new Error(`checkpoint directory ${dir} is outside ${this.root}`);
    return dir;
  }
}
