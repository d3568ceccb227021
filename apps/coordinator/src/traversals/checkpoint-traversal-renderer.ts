import type { TraversalGrid } from '@jvae/model';
import type { EvalMetrics } from '@jvae/train';
import { HttpError } from '../http-error.js';

/** Which held-out labels each category of one categorical latent holds, at an evaluation's step. */
export interface CategoryLabels {
  step: number;
  /** Index of the categorical latent (its traversal row is `c<latent>`). */
  latent: number;
  /** Held-out samples per category (rows) and label (columns). */
  counts: number[][];
}

export interface CheckpointTraversals {
  grid: TraversalGrid;
  /** From the checkpoint's last evaluation, when its data had labels. */
  categoryLabels?: CategoryLabels;
}

/** Draws the latent traversal grid of the checkpoint in a directory. */
export interface TraversalRenderer {
  render(checkpointDir: string): Promise<CheckpointTraversals>;
}

interface Engine {
  readCheckpoint: typeof import('@jvae/train').readCheckpoint;
  traverseCheckpoint: typeof import('@jvae/train').traverseCheckpoint;
  CheckpointError: typeof import('@jvae/train').CheckpointError;
}

/**
 * Renders with TensorFlow.js on `backend` (one of BACKEND_REQUESTS). TensorFlow.js and
 * the backend are imported on the first render, not when the coordinator starts: loading them
 * takes a while, and the coordinator serves everything else meanwhile.
 */
export class CheckpointTraversalRenderer implements TraversalRenderer {
  private engine?: Promise<Engine>;

  constructor(private readonly backend: string) {}

  async render(checkpointDir: string): Promise<CheckpointTraversals> {
    const { readCheckpoint, traverseCheckpoint, CheckpointError } = await this.load();
    const state = await readCheckpoint(checkpointDir).catch((error: unknown) => {
      throw error instanceof CheckpointError ? new HttpError(422, `the trial's checkpoint cannot be drawn: ${error.message}`) : error;
    });
    const categoryLabels = categoryLabelsOf(state.trial.metrics, state.trial.config.latent.discrete);
    return { grid: traverseCheckpoint(state), ...(categoryLabels && { categoryLabels }) };
  }

  /** The engine, loading it once; a failed load is forgotten so that the next render tries again. */
  private load(): Promise<Engine> {
    this.engine ??= loadEngine(this.backend).catch((error: unknown) => {
      this.engine = undefined;
      throw new HttpError(
        503,
        `latent traversals need a TensorFlow.js backend (JVAE_BACKEND=${this.backend}): ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    return this.engine;
  }
}

async function loadEngine(backend: string): Promise<Engine> {
  const [model, train] = await Promise.all([import('@jvae/model'), import('@jvae/train')]);
  await model.selectBackend(backend);
  return { readCheckpoint: train.readCheckpoint, traverseCheckpoint: train.traverseCheckpoint, CheckpointError: train.CheckpointError };
}

/**
 * The labels per category of a checkpoint's last evaluation, if it has them in the shape the
 * model's categorical latents give (checkpoints written before evaluations kept them have none).
 */
export function categoryLabelsOf(metrics: EvalMetrics | null, categories: number[]): CategoryLabels | undefined {
  const table = metrics?.categoryLabels;
  if (!metrics || !table || !Number.isInteger(table.latent) || !(table.latent >= 0 && table.latent < categories.length)) return undefined;
  const { latent, counts } = table;
  const wellFormed =
    Array.isArray(counts) &&
    counts.length === categories[latent] &&
    counts.every((row) => Array.isArray(row) && row.every((n) => Number.isSafeInteger(n) && n >= 0));
  return wellFormed ? { step: metrics.step, latent, counts } : undefined;
}
