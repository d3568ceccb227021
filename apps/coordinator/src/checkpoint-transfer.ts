import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import {
  checkId,
  type CheckpointChunk,
  type CheckpointChunk__Output,
  type DownloadCheckpointRequest__Output,
  type UploadCheckpointResponse,
} from '@jvae/protocol';
import type { CheckpointRecord, SweepStore } from '@jvae/store';
import type { ArtifactStore } from './artifacts/artifact-store.js';
import type { CheckpointUpload } from './artifacts/checkpoint-upload.js';
import { UploadError } from './artifacts/upload-error.js';
import { checkUploadManifest, type UploadLimits } from './artifacts/upload-manifest.js';
import { GrpcError } from './grpc-error.js';
import { toProtoCheckpoint } from './proto-mapping.js';

/** Bytes per downloaded chunk: well under gRPC's default 4 MiB message limit. */
const CHUNK_BYTES = 256 * 1024;

/**
 * Checkpoint upload and download between workers (or the CLI) and the artifact store, with
 * the records in the SweepStore: a checkpoint is recorded only after its files are verified
 * and in place; the trial keeps its `keep` newest checkpoints and older ones are deleted.
 */
export class CheckpointTransfer {
  constructor(
    private readonly store: SweepStore,
    private readonly artifacts: ArtifactStore,
    private readonly options: { keep: number; limits?: UploadLimits },
  ) {}

  async upload(call: grpc.ServerReadableStream<CheckpointChunk__Output, UploadCheckpointResponse>): Promise<UploadCheckpointResponse> {
    let upload: CheckpointUpload | undefined;
    // A client that goes away leaves the stream open: end the reading so the upload is discarded.
    call.on('cancelled', () => call.destroy(new Error('upload cancelled by the client')));
    try {
      for await (const chunk of call as AsyncIterable<CheckpointChunk__Output>) {
        if (!upload) {
          if (chunk.part !== 'manifest' || !chunk.manifest) throw new UploadError('the first message must carry the manifest');
          const manifest = checkUploadManifest(chunk.manifest, this.options.limits);
          await this.store.requireTrial(manifest.trialId);
          upload = await this.artifacts.begin(manifest);
        } else if (chunk.part === 'file' && chunk.file) {
          await upload.write(chunk.file);
        } else {
          throw new UploadError('only the first message may carry a manifest; every later one is a file chunk');
        }
      }
      if (!upload) throw new UploadError('empty upload: no manifest was sent');
      const record = await this.artifacts.commit(upload);
      upload = undefined;
      const { evicted } = await this.store.addCheckpoint(record, this.options.keep).catch(async (error: unknown) => {
        await this.artifacts.remove([record]);
        throw error;
      });
      await this.artifacts.remove(evicted);
      return { ok: true, checkpointId: record.id };
    } catch (error) {
      await upload?.discard();
      throw error;
    }
  }

  async download(call: grpc.ServerWritableStream<DownloadCheckpointRequest__Output, CheckpointChunk>): Promise<void> {
    const record = await this.find(call.request);
    await write(call, { manifest: toProtoCheckpoint(record) });
    for (const file of record.files) {
      // An empty file still gets a chunk, so that a client building files from chunks creates it.
      if (file.size === 0) await write(call, { file: { path: file.path, offset: 0, data: Buffer.alloc(0) } });
      let offset = 0;
      for await (const data of this.artifacts.read(record, file.path, CHUNK_BYTES)) {
        if (call.cancelled) return;
        await write(call, { file: { path: file.path, offset, data: data as Buffer } });
        offset += (data as Buffer).length;
      }
    }
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

/** Writes with backpressure: waits for 'drain' when the call's buffer is full. */
async function write(call: grpc.ServerWritableStream<DownloadCheckpointRequest__Output, CheckpointChunk>, chunk: CheckpointChunk): Promise<void> {
  if (!call.write(chunk)) await Promise.race([once(call, 'drain'), once(call, 'cancelled')]);
}
