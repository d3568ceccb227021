import * as grpc from '@grpc/grpc-js';
import type { TrialRecord } from '@jvae/store';
import { GrpcError } from '../grpc-error.js';

/**
 * Whether `workerId` may store a checkpoint of `trial` at `step`: only while the trial runs,
 * only from the worker it runs on, and only at a step it can have reached. A stray or forged
 * upload would otherwise become the trial's latest (and the sweep's best) checkpoint.
 * Throws a GrpcError naming the trial and why: FAILED_PRECONDITION for the trial's state or
 * worker, INVALID_ARGUMENT for a missing worker id or a step beyond the trial's steps.
 */
export function checkUploadAdmitted(trial: TrialRecord, upload: { step: number; workerId: string }): void {
  if (trial.state !== 'running') {
    throw new GrpcError(grpc.status.FAILED_PRECONDITION, `trial '${trial.id}' is ${trial.state}: checkpoints are accepted only while it runs`);
  }
  if (!upload.workerId) {
    throw new GrpcError(grpc.status.INVALID_ARGUMENT, `trial '${trial.id}': the manifest's worker_id is empty; set it to the id of the worker the trial runs on`);
  }
  if (!trial.workers.includes(upload.workerId)) {
    const holders = trial.workers.length > 0 ? `worker ${trial.workers.join(', ')}` : 'no worker';
    throw new GrpcError(grpc.status.FAILED_PRECONDITION, `trial '${trial.id}' runs on ${holders}, not on worker '${upload.workerId}'`);
  }
  if (upload.step > trial.totalSteps) {
    throw new GrpcError(grpc.status.INVALID_ARGUMENT, `trial '${trial.id}': step ${upload.step} is beyond its ${trial.totalSteps} steps`);
  }
}
