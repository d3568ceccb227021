/** @jvae/worker: the worker process that trains the trials of the sweep queue. */
export { TrialWorker } from './trial-worker.js';
export type { TrialJob, TrialWorkerOptions } from './trial-worker.js';
export { TrialRunner } from './trial-runner.js';
export type { TrialOutcome, TrialRunnerOptions } from './trial-runner.js';
export { TrialAttempt } from './trial-attempt.js';
export type { AttemptResult, TrialAttemptDeps } from './trial-attempt.js';
export { TrialInterrupt } from './trial-interrupt.js';
export type { InterruptReason } from './trial-interrupt.js';
export { CheckpointTransfer } from './checkpoint-transfer.js';
export type { TransferOptions } from './checkpoint-transfer.js';
export { DatasetCache } from './dataset-cache.js';
export { readWorkerSettings } from './worker-settings.js';
export type { WorkerSettings } from './worker-settings.js';
