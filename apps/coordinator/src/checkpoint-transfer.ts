import * as grpc from '@grpc/grpc-js';
import { sendCheckpoint, type ManifestLimits } from '@jvae/artifacts';
import {
  checkId,
  type CheckpointChunk,
  type CheckpointChunk__Output,
  type DownloadCheckpointRequest__Output,
  type UploadCheckpointResponse,
} from '@jvae/protocol';
import type { CheckpointRecord, SweepStore } from '@jvae/store';
import type { ArtifactStore } from './artifacts/artifact-store.js';
import { checkUploadAdmitted } from './artifacts/upload-admission.js';
import { GrpcError } from './grpc-error.js';
import { toProtoCheckpoint } from './proto-mapping.js';

/**
 * Checkpoint upload and download between workers (or the CLI) and the artifact store, with
 * the records in the SweepStore: a checkpoint is recorded only after its files are verified
 * and in place; the trial keeps its `keep` newest checkpoints and older ones are deleted.
 */
export class CheckpointTransfer {
  constructor(
    private readonly store: SweepStore,
    private readonly artifacts: ArtifactStore,
    private readonly options: { keep: number; limits?: ManifestLimits },
  ) {}

  async upload(call: grpc.ServerReadableStream<CheckpointChunk__Output, UploadCheckpointResponse>): Promise<UploadCheckpointResponse> {
    // A client that goes away leaves the stream open: end the reading so the upload is discarded.
    call.on('cancelled', () => call.destroy(new GrpcError(grpc.status.CANCELLED, 'upload cancelled by the client')));
    let workerId = '';
    const admit = async (trialId: string, step: number) => checkUploadAdmitted(await this.store.requireTrial(trialId), { step, workerId });
    const record = await this.artifacts.receive(call, {
      limits: this.options.limits,
      accept: async (manifest, message) => {
        workerId = message.workerId;
        await admit(manifest.trialId, manifest.step);
      },
    });
    const { evicted } = await (async () => {
      // Again now that the bytes are in: the trial may have ended while they arrived.
      await admit(record.trialId, record.step);
      const added = await this.store.addCheckpoint(record, this.options.keep);
      if (added.refused) throw new GrpcError(grpc.status.FAILED_PRECONDITION, added.refused);
      return added;
    })().catch(async (error: unknown) => {
      await this.artifacts.remove([record]);
      throw error;
    });
    await this.artifacts.remove(evicted);
    return { ok: true, checkpointId: record.id };
  }

  async download(call: grpc.ServerWritableStream<DownloadCheckpointRequest__Output, CheckpointChunk>): Promise<void> {
    const record = await this.find(call.request);
    await sendCheckpoint(call, this.artifacts.checkpointDir(record.trialId, record.id), toProtoCheckpoint(record));
  }

  private async find(request: DownloadCheckpointRequest__Output): Promise<CheckpointRecord> {
    if (request.target === 'checkpointId') {
      const id = checkId('checkpoint', request.checkpointId ?? '');
      const record = await this.store.getCheckpoint(id);
      if (!record) throw new GrpcError(grpc.status.NOT_FOUND, `no checkpoint '${id}' (only the newest of each trial are kept)`);
      return record;
    }
    if (request.target === 'trialId') {
      const trial = await this.store.requireTrial(checkId('trial', request.trialId ?? ''));
      const record = trial.checkpointId ? await this.store.getCheckpoint(trial.checkpointId) : null;
      if (!record) throw new GrpcError(grpc.status.NOT_FOUND, `trial '${trial.id}' has no checkpoint yet`);
      return record;
    }
    throw new GrpcError(grpc.status.INVALID_ARGUMENT, 'set trial_id or checkpoint_id');
  }
}
