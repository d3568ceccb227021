/** @jvae/train: the training engine (threads, data parallelism, evaluation, checkpoints) and metrics. */
export { Trainer } from './trainer.js';
export type {
  CheckpointEvent,
  GradientReducer,
  TrainerOptions,
  TrainProgress,
  TrainResult,
} from './trainer.js';
export { TrainingError } from './training-error.js';
export { checkpointsBeforeEnd, isEvalStep } from './training-schedule.js';
export { evaluate } from './evaluation.js';
export type { EvalMetrics, EvaluateOptions } from './evaluation.js';
export { checkpointModel, evaluateCheckpoint, traverseCheckpoint } from './evaluate-checkpoint.js';
export type { EvaluateCheckpointOptions } from './evaluate-checkpoint.js';
export {
  CHECKPOINT_VERSION,
  MANIFEST_FILE,
  checkCheckpointTarget,
  isCheckpointDir,
  readCheckpoint,
  writeCheckpoint,
} from './checkpoint/checkpoint.js';
export type {
  CheckpointManifest,
  CheckpointModel,
  CheckpointState,
  DataCursor,
  ManifestEntry,
  TrialRecord,
} from './checkpoint/checkpoint.js';
export { CheckpointError } from './checkpoint/checkpoint-error.js';
export { CheckpointTargetError } from './checkpoint/checkpoint-target-error.js';
export { fileIOHandler, loadLayersModelFromDir } from './checkpoint/layers-files.js';
export * from './metrics/index.js';
