import type { TraversalGrid } from '@jvae/model';
import { HttpError } from '../http-error.js';

/** Draws the latent traversal grid of the checkpoint in a directory. */
export interface TraversalRenderer {
  render(checkpointDir: string): Promise<TraversalGrid>;
}

interface Engine {
  latentTraversal: typeof import('@jvae/model').latentTraversal;
  readCheckpoint: typeof import('@jvae/train').readCheckpoint;
  checkpointModel: typeof import('@jvae/train').checkpointModel;
}

/**
 * Renders with TensorFlow.js on `backend` (auto | tensorflow | wasm | cpu). TensorFlow.js and
 * the backend are imported on the first render, not when the coordinator starts: loading them
 * takes a while, and the coordinator serves everything else meanwhile.
 */
export class CheckpointTraversalRenderer implements TraversalRenderer {
  private engine?: Promise<Engine>;

  constructor(private readonly backend: string) {}

  async render(checkpointDir: string): Promise<TraversalGrid> {
    const { latentTraversal, readCheckpoint, checkpointModel } = await this.load();
    const model = checkpointModel(await readCheckpoint(checkpointDir));
    try {
      return latentTraversal(model);
    } finally {
      model.dispose();
    }
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
  return { latentTraversal: model.latentTraversal, readCheckpoint: train.readCheckpoint, checkpointModel: train.checkpointModel };
}
