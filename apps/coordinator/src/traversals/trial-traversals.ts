import type { TraversalRow } from '@jvae/model';
import { checkId } from '@jvae/protocol';
import type { CheckpointRecord, SweepStore } from '@jvae/store';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { HttpError } from '../http-error.js';
import type { CategoryLabels, CheckpointTraversals, TraversalRenderer } from './checkpoint-traversal-renderer.js';

/** `GET /api/trials/:id/traversals`. */
export interface TraversalsResponse {
  trialId: string;
  checkpointId: string;
  step: number;
  imageSize: number;
  /** Columns of the continuous rows; a categorical row has one per category. */
  columns: number;
  /** The category each categorical latent is held at in the continuous rows. */
  fixedCategories: number[];
  rows: (Omit<TraversalRow, 'images'> & {
    /** The row's images one after another, imageSize² grey levels (0–255) each, row-major, base64. */
    images: string;
  })[];
  /** Which held-out labels each category of row `c<latent>` holds, from the checkpoint's last evaluation. */
  categoryLabels?: CategoryLabels;
}

/** Trials whose grids are kept; a dashboard shows one trial at a time. */
const CACHED_TRIALS = 32;

/**
 * The latent traversals of each trial's latest checkpoint. A trial's grid is rendered once per
 * checkpoint step, so dashboard refreshes cost two Redis reads; requests that arrive while it is
 * rendering share the render. Grids of the most recently asked-for trials are kept.
 */
export class TrialTraversals {
  /** By trial id, least recently asked-for first. */
  private readonly cache = new Map<string, { step: number; response: Promise<TraversalsResponse> }>();

  constructor(
    private readonly store: SweepStore,
    private readonly artifacts: ArtifactStore,
    private readonly renderer: TraversalRenderer,
  ) {}

  /** The grid of the trial's latest checkpoint; 404 (HttpError or NotFoundError) when there is none. */
  async forTrial(trialId: string): Promise<TraversalsResponse> {
    const trial = await this.store.requireTrial(checkId('trial', trialId));
    const record = trial.checkpointId ? await this.store.getCheckpoint(trial.checkpointId) : null;
    if (!record) throw new HttpError(404, `trial '${trial.id}' has no checkpoint yet`);
    let entry = this.cache.get(trial.id);
    this.cache.delete(trial.id); // set again below: the map stays in order of last use
    if (entry?.step !== record.step) {
      const fresh = { step: record.step, response: this.render(record) };
      // A failed render is not kept: the next request tries again.
      fresh.response.catch(() => {
        if (this.cache.get(trial.id) === fresh) this.cache.delete(trial.id);
      });
      entry = fresh;
    }
    this.cache.set(trial.id, entry);
    if (this.cache.size > CACHED_TRIALS) this.cache.delete(this.cache.keys().next().value!);
    return entry.response;
  }

  private async render(record: CheckpointRecord): Promise<TraversalsResponse> {
    return toResponse(record, await this.renderer.render(this.artifacts.checkpointDir(record.trialId, record.id)));
  }
}

function toResponse(record: CheckpointRecord, { grid, categoryLabels }: CheckpointTraversals): TraversalsResponse {
  const { imageSize, columns, fixedCategories, rows } = grid;
  return {
    trialId: record.trialId,
    checkpointId: record.id,
    step: record.step,
    imageSize,
    columns,
    fixedCategories,
    rows: rows.map(({ images, ...row }) => ({ ...row, images: Buffer.concat(images).toString('base64') })),
    ...(categoryLabels && { categoryLabels }),
  };
}
