/** When a training run evaluates and checkpoints, by completed global steps. */
import type { TrainConfig } from '@jvae/model/config';

type Schedule = Pick<TrainConfig, 'steps' | 'evalEvery' | 'checkpointEvery'>;

/** Every `every` steps (0: never), and always at the last step. */
function onSchedule(step: number, steps: number, every: number): boolean {
  return step === steps || (every > 0 && step % every === 0);
}

/** Whether the trainer evaluates once `step` steps are done. */
export function isEvalStep(config: Schedule, step: number): boolean {
  return onSchedule(step, config.steps, config.evalEvery);
}

/** Whether the trainer writes a checkpoint once `step` steps are done (when it has a checkpoint directory). */
export function isCheckpointStep(config: Schedule, step: number): boolean {
  return onSchedule(step, config.steps, config.checkpointEvery);
}

/** Whether a run writes checkpoints before its last step (which are then uploaded while it trains on). */
export function checkpointsBeforeEnd(config: Schedule): boolean {
  return config.checkpointEvery > 0 && config.checkpointEvery < config.steps;
}
