/** Evaluation of a checkpoint directory on its own dataset (or another with the same image size). */
import { loadDataset } from '@jvae/data';
import { JointVae, latentTraversal, selectBackend, type TraversalGrid, type TraversalOptions } from '@jvae/model';
import { readCheckpoint, type CheckpointState } from './checkpoint/checkpoint.js';
import { evaluate, type EvalMetrics } from './evaluation.js';
import { TrainingError } from './training-error.js';

export interface EvaluateCheckpointOptions {
  /** Dataset reference; default the one the checkpoint was trained on. */
  data?: string;
  /** One of BACKEND_REQUESTS; default JVAE_BACKEND or auto. */
  backend?: string;
}

/** Verifies and loads the checkpoint in `dir`, then evaluates it at its step. */
export async function evaluateCheckpoint(dir: string, options: EvaluateCheckpointOptions = {}): Promise<EvalMetrics> {
  const state = await readCheckpoint(dir);
  const config = state.trial.config;
  const dataset = await loadDataset(options.data ?? config.dataset);
  if (dataset.imageSize !== config.imageSize) {
    throw new TrainingError(`dataset ${dataset.ref} has ${dataset.imageSize}px images, the checkpoint's model takes ${config.imageSize}px`);
  }
  await selectBackend(options.backend);
  const model = checkpointModel(state);
  try {
    return evaluate(model, dataset, { step: state.trial.step, config });
  } finally {
    model.dispose();
  }
}

/** The checkpoint's model, with its weights, on the active backend; the caller disposes it. */
export function checkpointModel(state: CheckpointState): JointVae {
  const config = state.trial.config;
  const model = JointVae.create(config, config.seed);
  try {
    model.setWeights(state.weights);
    return model;
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** The latent traversal grid of a checkpoint's model, decoded on the active backend. */
export function traverseCheckpoint(state: CheckpointState, options?: TraversalOptions): TraversalGrid {
  const model = checkpointModel(state);
  try {
    return latentTraversal(model, options);
  } finally {
    model.dispose();
  }
}
