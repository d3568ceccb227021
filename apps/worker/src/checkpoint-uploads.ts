import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpointTransfer } from './checkpoint-transfer.js';

interface Kept {
  dir: string;
  step: number;
}

export interface CheckpointUploadsDeps {
  transfer: CheckpointTransfer;
  trialId: string;
  /** The worker the trial runs on; the coordinator takes checkpoints of the trial only from it. */
  workerId: string;
  /** Where checkpoints wait for their upload (created when needed; the caller removes it). */
  dir: string;
  /** Aborting (shutdown, a stop request, a lost trial) ends every upload. */
  signal: AbortSignal;
  /** An upload refused for good (not a transient failure) while training goes on. */
  onRefused: (err: unknown) => void;
  /** A checkpoint of `step` is now stored by the coordinator. */
  onStored?: (step: number) => void;
  log: (message: string) => void;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A trial's checkpoints on their way to the coordinator, uploaded in the background so that
 * training goes on while the coordinator cannot take them (unreachable, or its artifact
 * store full or failing). Each checkpoint the trainer writes is moved aside and kept until
 * it is uploaded, retrying with backoff; a newer one takes the place of one still waiting,
 * and of one whose upload has failed before. `settle` waits for the newest, bounded.
 */
export class CheckpointUploads {
  private waiting: Kept | undefined;
  private current: { kept: Kept; superseded: AbortController; failing: boolean } | undefined;
  private loop: Promise<void> | undefined;
  /** Ends the uploads: at `close`, or when `settle` gives up. */
  private readonly ended = new AbortController();
  private readonly stopped: AbortSignal;
  private settling = false;
  private refused = false;
  private newest = -1;
  private uploaded = -1;
  private lastError: unknown;

  constructor(private readonly deps: CheckpointUploadsDeps) {
    this.stopped = AbortSignal.any([deps.signal, this.ended.signal]);
  }

  /** Takes the checkpoint directory `dir` (moved away from there) of `step` and uploads it when it can. */
  async add(dir: string, step: number): Promise<void> {
    const kept = { dir: join(this.deps.dir, `step-${step}`), step };
    await mkdir(this.deps.dir, { recursive: true });
    await rename(dir, kept.dir);
    this.newest = step;
    const dropped = this.waiting;
    this.waiting = kept;
    if (this.current?.failing) this.current.superseded.abort();
    this.kick();
    if (dropped) {
      this.deps.log(`trial ${this.deps.trialId}: checkpoint of step ${dropped.step} dropped for the newer one of step ${step}`);
      await rm(dropped.dir, { recursive: true, force: true });
    }
  }

  /**
   * Waits until the newest checkpoint is uploaded, retrying for up to `deadlineMs`; resolves
   * with why it was not (refused, or still failing at the deadline), or undefined when it was
   * or there was none. Rejects with the signal's reason when aborted meanwhile.
   */
  async settle(deadlineMs: number): Promise<string | undefined> {
    this.settling = true;
    const timer = setTimeout(() => this.ended.abort(), deadlineMs);
    try {
      while (this.loop) await this.loop;
    } finally {
      clearTimeout(timer);
    }
    this.deps.signal.throwIfAborted();
    if (this.uploaded >= this.newest) return undefined;
    const when = this.refused ? 'was refused' : `was not uploaded within ${Math.round(deadlineMs / 1000)} s`;
    return `the checkpoint of step ${this.newest} ${when}: ${this.lastError === undefined ? 'still uploading' : describe(this.lastError)}`;
  }

  /** Ends what is still uploading; the kept directories are the caller's to remove. */
  async close(): Promise<void> {
    this.ended.abort();
    while (this.loop) await this.loop;
  }

  private kick(): void {
    if (this.loop || this.refused || this.stopped.aborted) return;
    this.loop = this.run().finally(() => {
      this.loop = undefined;
      // A checkpoint added while the loop was ending.
      if (this.waiting) this.kick();
    });
  }

  private async run(): Promise<void> {
    const { transfer, trialId, workerId, log } = this.deps;
    while (this.waiting && !this.stopped.aborted) {
      const kept = this.waiting;
      this.waiting = undefined;
      const current = { kept, superseded: new AbortController(), failing: false };
      this.current = current;
      try {
        const id = await transfer.upload(
          kept.dir,
          { trialId, step: kept.step, workerId },
          {
            signal: AbortSignal.any([this.stopped, current.superseded.signal]),
            onRetry: (err, delayMs) => {
              current.failing = true;
              this.lastError = err;
              // A newer checkpoint came while this one was being sent: it goes instead.
              if (this.waiting) return current.superseded.abort();
              log(`trial ${trialId}: checkpoint of step ${kept.step} not stored yet (${describe(err)}); retrying in ${delayMs} ms`);
            },
          },
        );
        this.uploaded = Math.max(this.uploaded, kept.step);
        log(`trial ${trialId}: checkpoint ${id} at step ${kept.step} uploaded`);
        this.deps.onStored?.(kept.step);
      } catch (err) {
        if (this.stopped.aborted) return;
        if (current.superseded.signal.aborted) {
          log(`trial ${trialId}: checkpoint of step ${kept.step} dropped for the newer one of step ${this.newest}`);
          continue;
        }
        this.lastError = err;
        this.refused = true;
        if (!this.settling) this.deps.onRefused(err);
        return;
      } finally {
        this.current = undefined;
        await rm(kept.dir, { recursive: true, force: true });
      }
    }
  }
}
