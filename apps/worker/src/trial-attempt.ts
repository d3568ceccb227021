import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { ArtifactError } from '@jvae/artifacts';
import { resolveTrainConfig, type TrainConfig } from '@jvae/model/config';
import type { SweepStore, TrialRecord } from '@jvae/store';
import {
  Trainer,
  checkpointsBeforeEnd,
  isEvalStep,
  readCheckpoint,
  type CheckpointState,
  type EvalMetrics,
  type TrainProgress,
} from '@jvae/train';
import type { CheckpointTransfer } from './checkpoint-transfer.js';
import { CheckpointUploads } from './checkpoint-uploads.js';
import type { DatasetCache } from './dataset-cache.js';
import { evalValues } from './eval-values.js';
import type { RankReducer } from './rank-reducer.js';
import { attemptDirPrefix } from './stale-work-dirs.js';
import { TrialInterrupt, type InterruptReason } from './trial-interrupt.js';

export interface TrialAttemptDeps {
  store: SweepStore;
  /** This worker's id, as recorded in the trial's `workers` while it runs here. */
  workerId: string;
  transfer: CheckpointTransfer;
  datasets: DatasetCache;
  /** Parent of the attempt's temporary directory. */
  workDir: string;
  /** Compute threads (0 = one per core); the trial config's value when absent. */
  threads?: number;
  /** One of BACKEND_REQUESTS; JVAE_BACKEND or auto when absent. */
  backend?: string;
  /** Look for a stop request after every this many steps (default 2). */
  stopCheckEvery?: number;
  /**
   * Write the step to the trial record at most this often (default 1000 ms), after checking
   * that the trial is still running here; evaluations always write it.
   */
  reportEveryMs?: number;
  /** How long a trial that has trained all its steps waits for its last checkpoint's upload (default 30 min). */
  uploadDeadlineMs?: number;
  log: (message: string) => void;
}

/** This worker's place in a data-parallel trial's gang, for one generation. */
export interface GangPlace {
  rank: number;
  world: number;
  reducer: RankReducer;
  /** The checkpoint every rank of the generation starts from (null: from step 0). */
  checkpointId: string | null;
  /** Rank 0: whether free workers could join now (asked after each checkpoint is stored). */
  canGrow?: () => Promise<boolean>;
}

export interface AttemptResult {
  step: number;
  metrics: EvalMetrics;
  /** Why the last checkpoint is not stored, when it is not (the trial completed all the same). */
  uploadProblem?: string;
}

const UPLOAD_DEADLINE_MS = 30 * 60_000;
/** How long a trial PBT pauses waits for its last checkpoint's upload before it goes back to the queue. */
const PAUSE_UPLOAD_DEADLINE_MS = 60_000;

function isPause(reason: unknown): boolean {
  return reason instanceof TrialInterrupt && reason.reason === 'pause';
}

/**
 * One worker's run of one trial, already moved to `running`: fetches the trial's latest
 * checkpoint if it has one and resumes from it, trains, and on the way reports steps and
 * evaluations to the store (evaluating also at the ASHA rungs), uploads the checkpoints the
 * trainer writes (in the background: training goes on while the coordinator cannot store
 * them), and looks for stop requests. Once trained, it waits for its last checkpoint's
 * upload, but never fails for it. Everything it writes locally lives in a temporary
 * directory that is removed when it ends, however it ends (after a SIGKILL, by the next
 * worker started on the same work directory: see removeStaleWorkDirs).
 *
 * `signal` aborts for a stop request, a lost trial, or the outer signal (shutdown); its
 * reason is then a TrialInterrupt. An upload refused for good while training aborts it too,
 * with the refusal as the reason. A PBT pause lets the uploads finish first, so that the trial
 * waits in the queue from the checkpoint of the interval it reached.
 *
 * As one rank of a data-parallel trial (`gang`), rank 0 does all of the above and its stop
 * decisions travel through the ring so that every rank stops after the same step; the other
 * ranks only train their shard, report nothing and write no checkpoint.
 */
export class TrialAttempt {
  readonly signal: AbortSignal;
  private readonly interrupt = new AbortController();
  /** Ends the checkpoint uploads: with the attempt, except for a PBT pause. */
  private readonly uploadsEnd = new AbortController();
  private trainer: Trainer | undefined;
  private config: TrainConfig | undefined;
  private readonly rungs: Set<number>;
  private lastReport = 0;
  private currentStep: number;
  /** Why the gang stops once every rank has finished the step it was agreed at. */
  private pendingStop: InterruptReason | undefined;

  constructor(
    private readonly trial: TrialRecord,
    private readonly outer: AbortSignal,
    private readonly deps: TrialAttemptDeps,
    private readonly gang?: GangPlace,
  ) {
    this.signal = AbortSignal.any([outer, this.interrupt.signal]);
    this.rungs = new Set(trial.rungs);
    this.currentStep = trial.step;
  }

  /** Completed steps as last seen (the checkpoint's step before training starts). */
  get step(): number {
    return this.currentStep;
  }

  /** Trains to the config's last step; rejects with the error, or with the TrialInterrupt once aborted. */
  async train(): Promise<AttemptResult> {
    const dir = await mkdtemp(join(this.deps.workDir, attemptDirPrefix(this.trial.id)));
    const uploads = new CheckpointUploads({
      transfer: this.deps.transfer,
      trialId: this.trial.id,
      workerId: this.deps.workerId,
      dir: join(dir, 'uploads'),
      signal: AbortSignal.any([this.outer, this.uploadsEnd.signal]),
      onRefused: (err) => void this.onUploadRefused(err),
      onStored: (step) => void this.offerToGrow(step),
      log: this.deps.log,
    });
    try {
      const config = resolveTrainConfig(this.trial.config);
      this.config = config;
      const dataset = await this.deps.datasets.get(config.dataset);
      const checkpointId = this.gang ? this.gang.checkpointId : this.trial.checkpointId;
      const resume = checkpointId ? await this.fetchCheckpoint(checkpointId, join(dir, 'resume')) : undefined;
      this.currentStep = resume?.trial.step ?? 0;
      this.signal.throwIfAborted();
      const leads = this.leads;
      const trainer = await Trainer.open(config, dataset, {
        ...(this.deps.threads === undefined ? {} : { threads: this.deps.threads }),
        ...(this.deps.backend === undefined ? {} : { backend: this.deps.backend }),
        ...(this.sharded ? { rank: this.gang!.rank, world: this.gang!.world, reducer: this.gang!.reducer } : {}),
        resume,
        // Checkpoints uploaded while it trains on need the event loop while a step computes.
        freeMainThread: leads && checkpointsBeforeEnd(config),
        trialId: this.trial.id,
        signal: this.signal,
        onProgress: (progress) => (leads ? this.onProgress(progress) : this.followStop(progress.step)),
        ...(leads
          ? {
              checkpointDir: join(dir, 'checkpoint'),
              onEval: (metrics: EvalMetrics) => this.onEval(metrics),
              onCheckpoint: (event: { dir: string; step: number }) => uploads.add(event.dir, event.step),
            }
          : {}),
      });
      this.trainer = trainer;
      try {
        const place = this.gang ? `rank ${this.gang.rank} of ${this.gang.world}, ` : '';
        this.deps.log(
          `trial ${this.trial.id}: training ${place}on ${trainer.backend.engine}, ${trainer.threads} thread(s), ` +
            `from step ${this.currentStep} to ${config.steps}`,
        );
        const result = await trainer.run();
        // A resumed checkpoint of the last step carries that step's evaluation; one written
        // without an evaluation needs it now.
        const metrics = result.metrics ?? (await trainer.evaluate());
        if (!leads) return { step: result.step, metrics };
        const uploadProblem = await uploads.settle(this.deps.uploadDeadlineMs ?? UPLOAD_DEADLINE_MS);
        return { step: result.step, metrics, ...(uploadProblem ? { uploadProblem } : {}) };
      } finally {
        await trainer.close();
      }
    } catch (err) {
      if (!this.signal.aborted) throw err;
      if (isPause(this.signal.reason)) {
        const problem = await uploads.settle(PAUSE_UPLOAD_DEADLINE_MS).catch((e: unknown) => String(e));
        if (problem) this.deps.log(`trial ${this.trial.id}: paused without its last checkpoint: ${problem}`);
      }
      throw this.signal.reason;
    } finally {
      await uploads.close();
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async fetchCheckpoint(checkpointId: string, dir: string): Promise<CheckpointState> {
    this.deps.log(`trial ${this.trial.id}: fetching checkpoint ${checkpointId}`);
    await this.deps.transfer.download(checkpointId, dir, {
      signal: this.signal,
      onRetry: (err, delayMs) =>
        this.deps.log(`checkpoint download: ${err instanceof Error ? err.message : String(err)}; retrying in ${delayMs} ms`),
    });
    const state = await readCheckpoint(dir);
    const owner = state.trial.trialId;
    // A PBT exploit's copy carries its donor's identity; the trial's lineage names it.
    const adopted = this.trial.lineage.at(-1)?.checkpointId === checkpointId;
    if (owner !== undefined && owner !== this.trial.id && !adopted) {
      throw ArtifactError.invalid(`checkpoint ${checkpointId} belongs to trial ${owner}, not ${this.trial.id}`, 'trial.json');
    }
    return state;
  }

  /** Whether the trial is trained by more than this rank (a gang of one trains like a single worker). */
  private get sharded(): boolean {
    return !!this.gang && this.gang.world > 1;
  }

  /** Whether this worker reports for the trial: it trains it alone, or as rank 0. */
  private get leads(): boolean {
    return !this.gang || this.gang.rank === 0;
  }

  /**
   * Once a checkpoint is stored before the last step, a gang below its size re-forms bigger
   * from it when free workers can join. Asked in the background: training goes on meanwhile.
   */
  private async offerToGrow(step: number): Promise<void> {
    const canGrow = this.gang?.canGrow;
    if (!canGrow || step >= (this.config?.steps ?? 0) || this.signal.aborted) return;
    try {
      if (await canGrow()) this.stop('grow');
    } catch (err) {
      this.deps.log(`trial ${this.trial.id}: could not look for workers to join: ${(err as Error).message}`);
    }
  }

  /** Every rank stops after the step its ring agreed on (see RankReducer). */
  private followStop(step: number): void {
    this.currentStep = step;
    const stopStep = this.gang?.reducer.stopStep ?? null;
    if (stopStep !== null && step >= stopStep) this.fail(new TrialInterrupt(this.pendingStop ?? 'gang'));
    this.signal.throwIfAborted();
  }

  private async onProgress(progress: TrainProgress): Promise<void> {
    const { store, stopCheckEvery = 2, reportEveryMs = 1000 } = this.deps;
    this.currentStep = progress.step;
    const now = Date.now();
    if (now - this.lastReport >= reportEveryMs) {
      this.lastReport = now;
      const reported = (await this.stillMine()) && (await store.reportStep(this.trial.id, progress.step));
      if (!reported) this.stop('lost');
    }
    if (this.rungs.has(progress.step) && !isEvalStep(this.config!, progress.step)) await this.trainer!.evaluate();
    if (progress.step % stopCheckEvery === 0) await this.checkStop();
    this.followStop(progress.step);
  }

  private async onEval(metrics: EvalMetrics): Promise<void> {
    if (!(await this.deps.store.recordEval(this.trial.id, metrics.step, evalValues(metrics)))) this.stop('lost');
    this.signal.throwIfAborted();
  }

  /**
   * Whether the trial is still running under this worker. It is not when this worker's job
   * was given to another one (its lock expired while this process was stalled): training on
   * would only overwrite the other worker's reports.
   */
  private async stillMine(): Promise<boolean> {
    const trial = await this.deps.store.getTrial(this.trial.id);
    return trial?.state === 'running' && trial.workers.includes(this.deps.workerId);
  }

  private async checkStop(): Promise<void> {
    const reason = await this.deps.store.stopRequest(this.trial.id);
    if (reason) this.stop(reason);
  }

  /**
   * The coordinator took no checkpoint: FAILED_PRECONDITION means the trial is not this
   * worker's any more, or PBT gave it another trial's checkpoint (its stop request says so).
   */
  private async onUploadRefused(err: unknown): Promise<void> {
    if ((err as { code?: unknown }).code !== status.FAILED_PRECONDITION) return this.fail(err);
    const reason = await this.deps.store.stopRequest(this.trial.id).catch(() => null);
    this.stop(reason === 'exploit' ? 'exploit' : 'lost');
  }

  private stop(reason: InterruptReason): void {
    if (!this.sharded) return this.fail(new TrialInterrupt(reason));
    this.pendingStop ??= reason;
    this.gang!.reducer.requestStop();
  }

  /** Aborts the attempt with `reason`: a TrialInterrupt, or the error the trial fails with. */
  private fail(reason: unknown): void {
    if (this.interrupt.signal.aborted) return;
    this.interrupt.abort(reason);
    if (!isPause(reason)) this.uploadsEnd.abort(reason);
  }
}
