/**
 * The training loop of one process (one rank of a trial). Each global step t:
 *
 *   1. this rank's shard of the global batch is copied into shared memory and split
 *      across the compute threads (noise always by global-batch index);
 *   2. mid-pass, the KL sums of every thread, summed in thread order, then across ranks
 *      by the reducer (Float64), give the global-batch KL means the threads wait for;
 *   3. every thread's shard gradient, summed in thread order, then across ranks,
 *      is the gradient of the global-batch loss; Adam updates the master weights,
 *      which the threads reload before the next step.
 *
 * Everything is a function of (config, seed, t), so training N steps, checkpointing
 * and resuming for N more gives the same weights as 2N steps at once.
 */
import { availableParallelism } from 'node:os';
import { gatherImages, shardBatch, shardRange, stepsPerEpoch, type Dataset } from '@jvae/data';
import { Adam, JointVae, isThreadedBackend, selectBackend } from '@jvae/model';
import { lossReport, type LossTerms, type TrainConfig } from '@jvae/model/config';
import {
  CHECKPOINT_VERSION,
  writeCheckpoint,
  type CheckpointManifest,
  type CheckpointState,
  type DataCursor,
} from './checkpoint/checkpoint.js';
import { evaluate, type EvalMetrics } from './evaluation.js';
import { TrainingError } from './training-error.js';
import { isCheckpointStep, isEvalStep } from './training-schedule.js';
import { ComputePool } from './threads/compute-pool.js';

/** Sums arrays element-wise across the ranks of a trial, in place. */
export interface GradientReducer {
  /**
   * Called twice per step, in the same order on every rank: first a Float64Array
   * [klContSum, klDiscSum, sampleCount], then a Float32Array holding the gradient
   * followed by one element, the reconstruction-loss sum.
   */
  allReduce(step: number, data: Float32Array | Float64Array): Promise<void>;
}

export interface TrainProgress {
  /** Completed global steps. */
  step: number;
  steps: number;
  loss: number;
  /** Global-batch means. */
  terms: LossTerms<number>;
  capacities: { cont: number; disc: number };
  tau: number;
  /** Global-batch samples per second of step time in this run (eval and checkpoints excluded). */
  samplesPerSecond: number;
}

export interface CheckpointEvent {
  dir: string;
  step: number;
  manifest: CheckpointManifest;
}

export interface TrainerOptions {
  /** Compute threads on CPU backends; overrides config.threads; 0 = one per available core. */
  threads?: number;
  /** One of BACKEND_REQUESTS; default JVAE_BACKEND or auto. */
  backend?: string;
  rank?: number;
  world?: number;
  /** Required when world > 1. */
  reducer?: GradientReducer;
  /**
   * Keep the caller's event loop free while a step computes (one thread included): set by a
   * worker, whose checkpoint uploads, heartbeats and job lock go on during training.
   */
  freeMainThread?: boolean;
  /** Continue from this checkpoint (same seed and architecture). */
  resume?: CheckpointState;
  /** Where checkpoints are written every config.checkpointEvery steps and at the end. */
  checkpointDir?: string;
  trialId?: string;
  onProgress?: (progress: TrainProgress) => void | Promise<void>;
  onEval?: (metrics: EvalMetrics) => void | Promise<void>;
  onCheckpoint?: (event: CheckpointEvent) => void | Promise<void>;
  /** Aborting stops at the next step boundary (or terminates the threads mid-step); run() rejects with the reason. */
  signal?: AbortSignal;
}

export interface TrainResult {
  step: number;
  /** The last evaluation, if any ran. */
  metrics: EvalMetrics | null;
}

export class Trainer {
  private step: number;
  private metrics: EvalMetrics | null;
  private readonly adam: Adam;
  private readonly payload: Float32Array;
  private computeSeconds = 0;
  private stepsThisRun = 0;
  private started = false;

  private constructor(
    readonly config: TrainConfig,
    private readonly dataset: Dataset,
    private readonly options: TrainerOptions,
    private readonly model: JointVae,
    private readonly pool: ComputePool,
    /** The backend every thread runs, and what runs its kernels. */
    readonly backend: { name: string; engine: string; reason?: string },
    private readonly rank: number,
    private readonly world: number,
  ) {
    const resume = options.resume;
    this.step = resume?.trial.step ?? 0;
    this.metrics = resume?.trial.metrics ?? null;
    pool.weights.set(resume ? resume.weights : model.getWeights());
    pool.publishWeights();
    this.adam = resume ? Adam.restore(resume.optimizer, { lr: config.lr }) : new Adam(model.size, { lr: config.lr });
    this.payload = new Float32Array(model.size + 1);
  }

  /** Selects the backend, builds the model and starts the compute threads. */
  static async open(config: TrainConfig, dataset: Dataset, options: TrainerOptions = {}): Promise<Trainer> {
    const rank = options.rank ?? 0;
    const world = options.world ?? 1;
    if (world > 1 && !options.reducer) throw new TrainingError(`world ${world} needs a gradient reducer`);
    if (dataset.imageSize !== config.imageSize) {
      throw new TrainingError(`dataset ${dataset.ref} has ${dataset.imageSize}px images, the config expects ${config.imageSize}px`);
    }
    // Validates batchSize against the data, rank against world.
    stepsPerEpoch(dataset.train.count, config.batchSize);
    const largestShard = shardRange(config.batchSize, 0, world);
    shardRange(config.batchSize, rank, world);

    const backend = await selectBackend(options.backend);
    const model = JointVae.create(config, config.seed);
    try {
      checkResume(config, model.size, options.resume);
      const requested = options.threads ?? config.threads;
      const threads = isThreadedBackend(backend.name)
        ? Math.min(requested === 0 ? availableParallelism() : requested, largestShard.end)
        : 1;
      const pool = await ComputePool.open({
        config,
        backend: backend.name,
        threads,
        parameters: model.size,
        maxImages: largestShard.end,
        asyncKlReduction: world > 1,
        freeMainThread: options.freeMainThread ?? false,
      });
      try {
        return new Trainer(config, dataset, options, model, pool, backend, rank, world);
      } catch (err) {
        await pool.close();
        throw err;
      }
    } catch (err) {
      model.dispose();
      throw err;
    }
  }

  get threads(): number {
    return this.pool.threadCount;
  }

  /** Completed global steps. */
  get completedSteps(): number {
    return this.step;
  }

  /**
   * Trains until config.steps, evaluating and checkpointing on schedule. The compute
   * threads end with it, so a trainer runs once; state(), evaluate() and checkpoint()
   * stay usable until close().
   */
  async run(): Promise<TrainResult> {
    if (this.started) throw new TrainingError('this trainer has already run; open a new one (resume from its state)');
    this.started = true;
    const { signal } = this.options;
    const stopThreads = () => void this.pool.close();
    signal?.addEventListener('abort', stopThreads, { once: true });
    try {
      const { checkpointDir } = this.options;
      while (this.step < this.config.steps) {
        signal?.throwIfAborted();
        const progress = await this.trainStep();
        await this.options.onProgress?.(progress);
        if (isEvalStep(this.config, this.step)) await this.evaluate();
        if (checkpointDir && isCheckpointStep(this.config, this.step)) await this.checkpoint(checkpointDir);
      }
      return { step: this.step, metrics: this.metrics };
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw err;
    } finally {
      signal?.removeEventListener('abort', stopThreads);
      await this.pool.close();
    }
  }

  /** Evaluates the current weights on the validation set and reports it through onEval. */
  async evaluate(): Promise<EvalMetrics> {
    this.model.setWeights(this.pool.weights);
    const metrics = evaluate(this.model, this.dataset, { step: this.step, config: this.config });
    this.metrics = metrics;
    await this.options.onEval?.(metrics);
    return metrics;
  }

  /** Everything a resume needs, as of now (copies). */
  state(): CheckpointState {
    return {
      trial: {
        version: CHECKPOINT_VERSION,
        config: this.config,
        step: this.step,
        seed: this.config.seed,
        metrics: this.metrics,
        dataCursor: this.dataCursor(),
        ...(this.options.trialId === undefined ? {} : { trialId: this.options.trialId }),
      },
      weights: this.pool.weights.slice(),
      optimizer: this.adam.state(),
    };
  }

  /** Writes the current state to `dir` and reports it through onCheckpoint. */
  async checkpoint(dir: string): Promise<CheckpointManifest> {
    const manifest = await writeCheckpoint(dir, this.state(), this.model);
    await this.options.onCheckpoint?.({ dir, step: this.step, manifest });
    return manifest;
  }

  /** Terminates the threads and frees the model. */
  async close(): Promise<void> {
    await this.pool.close();
    this.model.dispose();
  }

  private dataCursor(): DataCursor {
    const perEpoch = stepsPerEpoch(this.dataset.train.count, this.config.batchSize);
    return { epoch: Math.floor(this.step / perEpoch), index: (this.step % perEpoch) * this.config.batchSize };
  }

  private async trainStep(): Promise<TrainProgress> {
    const started = performance.now();
    const t = this.step;
    const { batchSize, seed } = this.config;
    const reducer = this.options.reducer;
    const train = this.dataset.train;
    const { indices, globalOffset } = shardBatch(train.count, batchSize, seed, t, this.rank, this.world);
    const pixels = this.config.imageSize * this.config.imageSize;
    gatherImages(train, indices, this.pool.images.subarray(0, indices.length * pixels));
    const slices = this.pool.slices(indices.length, globalOffset);

    const size = this.model.size;
    const grads = this.payload.subarray(0, size);
    const reduceKl = reducer && ((kl: Float64Array) => reducer.allReduce(t, kl));
    const { klCont, klDisc, slices: shardSums } = await this.pool
      .gradients(slices, { step: t, globalBatchSize: batchSize }, grads, reduceKl)
      .catch((err: unknown) => {
        throw err instanceof TrainingError && err.step === undefined ? new TrainingError(err.message, t + 1) : err;
      });
    this.payload[size] = shardSums.reduce((sum, s) => sum + s.reconSum, 0);
    await reducer?.allReduce(t, this.payload);
    const terms = { recon: this.payload[size] / batchSize, klCont, klDisc };
    const report = lossReport(this.config, t, terms);
    checkFinite(report.loss, terms, grads, t + 1);

    this.adam.step(this.pool.weights, grads);
    this.pool.publishWeights();
    this.step = t + 1;
    this.computeSeconds += (performance.now() - started) / 1000;
    this.stepsThisRun++;
    return {
      step: this.step,
      steps: this.config.steps,
      ...report,
      terms,
      samplesPerSecond: (this.stepsThisRun * batchSize) / this.computeSeconds,
    };
  }
}

function checkFinite(loss: number, terms: LossTerms<number>, grads: Float32Array, step: number): void {
  if (!Number.isFinite(loss)) {
    throw new TrainingError(
      `loss is ${loss} (recon ${terms.recon}, klCont ${terms.klCont}, klDisc ${terms.klDisc})`,
      step,
    );
  }
  for (let i = 0; i < grads.length; i++) {
    if (!Number.isFinite(grads[i])) throw new TrainingError(`gradient element ${i} is ${grads[i]}`, step);
  }
}

function checkResume(config: TrainConfig, parameters: number, resume: CheckpointState | undefined): void {
  if (!resume) return;
  const { trial, weights, optimizer } = resume;
  const problem =
    trial.seed !== config.seed
      ? `seed ${trial.seed}, the config has ${config.seed}`
      : weights.length !== parameters
        ? `${weights.length} weights, the model has ${parameters}`
        : optimizer.m.length !== parameters || optimizer.v.length !== parameters
          ? `optimizer moments of ${optimizer.m.length}/${optimizer.v.length} values, the model has ${parameters}`
          : trial.step > config.steps
            ? `step ${trial.step}, beyond config.steps ${config.steps}`
            : trial.config.batchSize !== config.batchSize
              ? `batch size ${trial.config.batchSize}, the config has ${config.batchSize}`
              : undefined;
  if (problem) throw new TrainingError(`cannot resume: the checkpoint has ${problem}`);
}
