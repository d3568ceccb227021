import { cp, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { NODE_FS, receiveCheckpoint, type CheckpointFs, type ManifestLimits, type ReceiveOptions } from '@jvae/artifacts';
import { checkId, type CheckpointChunk__Output, type CheckpointInfo__Output } from '@jvae/protocol';
import { newCheckpointId, type CheckpointRecord } from '@jvae/store';

/** Where uploads are received before they are checked; not a valid trial id, so never a trial's directory. */
const UPLOADS_DIR = '.uploads';

/**
 * Checkpoint files on a local directory: `<root>/<trialId>/<checkpointId>/<files>`. An upload
 * is received into `<root>/.uploads/` and renamed into place only once every file checks
 * out, so a stored checkpoint is always complete.
 */
export class ArtifactStore {
  readonly root: string;

  constructor(
    root: string,
    /** The file operations uploads are written with (default node:fs/promises). */
    private readonly fs: CheckpointFs = NODE_FS,
  ) {
    this.root = resolve(root);
  }

  /**
   * Receives an upload stream (see receiveCheckpoint) under a new checkpoint id; `accept` sees
   * the checked manifest before anything is written. Throws an ArtifactError naming the file
   * at fault, or saying why the disk could not take it.
   */
  async receive(
    chunks: AsyncIterable<CheckpointChunk__Output>,
    options: { limits?: ManifestLimits; accept: ReceiveOptions<CheckpointInfo__Output>['accept'] },
  ): Promise<CheckpointRecord> {
    const id = newCheckpointId();
    const { dir, manifest } = await receiveCheckpoint(chunks, {
      ...options,
      target: (manifest) => this.checkpointDir(manifest.trialId, id),
      tempParent: join(this.root, UPLOADS_DIR),
      fs: this.fs,
    });
    return { ...manifest, id, createdAt: Date.now(), location: dir };
  }

  /**
   * Copies a stored checkpoint to a new checkpoint of `trialId` (a PBT exploit takes the donor's
   * this way, so that the donor may drop its own). Copied aside, then renamed into place: a
   * checkpoint directory is always complete. Returns the copy's record, to be stored.
   */
  async copy(checkpoint: CheckpointRecord, trialId: string): Promise<CheckpointRecord> {
    const id = newCheckpointId();
    const target = this.checkpointDir(trialId, id);
    await mkdir(join(this.root, UPLOADS_DIR), { recursive: true });
    const temp = await mkdtemp(join(this.root, UPLOADS_DIR, 'copy-'));
    try {
      await cp(this.checkpointDir(checkpoint.trialId, checkpoint.id), temp, { recursive: true });
      await mkdir(dirname(target), { recursive: true });
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      throw error;
    }
    return { ...checkpoint, id, trialId, createdAt: Date.now(), location: target };
  }

  /** Deletes the files of checkpoints no longer kept. */
  async remove(records: readonly CheckpointRecord[]): Promise<void> {
    for (const record of records) {
      await rm(this.checkpointDir(record.trialId, record.id), { recursive: true, force: true });
    }
  }

  /** The checkpoint's directory; ids are checked again so that no record can point outside the root. */
  checkpointDir(trialId: string, checkpointId: string): string {
    const dir = resolve(this.root, checkId('trial', trialId), checkId('checkpoint', checkpointId));
    if (!dir.startsWith(this.root + sep)) throw new Error(`checkpoint directory ${dir} is outside ${this.root}`);
    return dir;
  }
}
