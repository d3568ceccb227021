import type { CheckpointInfo__Output, CoordinatorConnection } from '@jvae/protocol';
import { ArtifactError } from './artifact-error.js';
import { receiveCheckpoint, type ReceivedCheckpoint, type ReceiveOptions } from './receive-checkpoint.js';

export type DownloadRequest = { trialId: string } | { checkpointId: string };

export interface DownloadOptions extends Omit<ReceiveOptions<CheckpointInfo__Output>, 'accept'> {
  /** Aborting cancels the download; it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Downloads a trial's latest checkpoint, or one exact checkpoint, over DownloadCheckpoint into
 * `options.target` (see receiveCheckpoint: streamed to disk, verified, then moved into place).
 * The manifest must be the one asked for. Whatever ends the download early cancels the call,
 * and the CANCELLED status that follows is absorbed rather than left as an unhandled 'error'.
 */
export async function downloadCheckpoint(
  connection: CoordinatorConnection,
  request: DownloadRequest,
  options: DownloadOptions,
): Promise<ReceivedCheckpoint<CheckpointInfo__Output>> {
  const { signal, ...receive } = options;
  signal?.throwIfAborted();
  const call = connection.downloadCheckpoint(request);
  // The reader sees the call's errors through its iterator; once it has stopped reading, a
  // cancelled call still emits 'error', which must not reach the process as unhandled.
  call.on('error', () => undefined);
  const cancel = () => call.cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    return await receiveCheckpoint(call, { ...receive, accept: (_, message) => checkAsked(request, message) });
  } catch (error) {
    call.cancel();
    throw signal?.aborted ? signal.reason : error;
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
}

function checkAsked(request: DownloadRequest, message: CheckpointInfo__Output): void {
  if ('checkpointId' in request && message.id !== request.checkpointId) {
    throw ArtifactError.invalid(`the coordinator sent checkpoint '${message.id}' instead of '${request.checkpointId}'`);
  }
  if ('trialId' in request && message.trialId !== request.trialId) {
    throw ArtifactError.invalid(`the coordinator sent a checkpoint of trial '${message.trialId}' instead of '${request.trialId}'`);
  }
}
