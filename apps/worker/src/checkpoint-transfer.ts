import { checkpointChunks, downloadCheckpoint, listCheckpointFiles, type CheckpointManifest } from '@jvae/artifacts';
import type { CoordinatorConnection } from '@jvae/protocol';
import { retryWithBackoff, type RetryOptions } from './retry-with-backoff.js';

export interface TransferOptions {
  signal?: AbortSignal;
  /** Called before each wait after a transient failure (see isTransient). */
  onRetry?: RetryOptions['onRetry'];
}

/**
 * Moves checkpoint directories to and from the coordinator's artifact store over the
 * UploadCheckpoint / DownloadCheckpoint streams, file by file from and to disk, retrying
 * with backoff while the coordinator is unreachable or cannot store. A download is verified
 * (safe paths, size and SHA-256 of every file) before it appears at its directory.
 */
export class CheckpointTransfer {
  constructor(
    private readonly connection: CoordinatorConnection,
    private readonly backoff: Pick<RetryOptions, 'initialDelayMs' | 'maxDelayMs'> = {},
  ) {}

  /**
   * Uploads every file under `dir` as the trial's checkpoint at `step`, sent by `workerId`
   * (the worker the trial runs on); resolves with the stored checkpoint's id.
   */
  async upload(dir: string, target: { trialId: string; step: number; workerId: string }, options: TransferOptions = {}): Promise<string> {
    const manifest = { ...target, files: await listCheckpointFiles(dir) };
    const response = await retryWithBackoff(() => this.connection.uploadCheckpoint(checkpointChunks(dir, manifest), options.signal), {
      ...this.backoff,
      ...options,
    });
    if (!response.ok || !response.checkpointId) {
      throw new Error(`the coordinator did not accept the checkpoint of trial ${target.trialId} at step ${target.step}`);
    }
    return response.checkpointId;
  }

  /**
   * Downloads checkpoint `checkpointId` into `dir` (which must not exist yet) and returns its
   * manifest. Throws an ArtifactError when what arrives does not match the manifest.
   */
  async download(checkpointId: string, dir: string, options: TransferOptions = {}): Promise<CheckpointManifest> {
    const { manifest } = await retryWithBackoff(() => downloadCheckpoint(this.connection, { checkpointId }, { target: dir, signal: options.signal }), {
      ...this.backoff,
      ...options,
    });
    return manifest;
  }
}
