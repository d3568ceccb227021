/**
 * The compute threads of one process. Shared memory holds one region for the master
 * weights, one for the rank's images of the current step, and one gradient region per
 * thread; each step the rank's rows are split into contiguous slices, one per thread.
 * Mid-pass every thread reports its KL sums and waits on the KL exchange; the pool sums
 * them in slice order (then across ranks, when asked) and releases the threads with the
 * global means. Per-thread gradients are summed in thread order too, so the result does
 * not depend on which thread finishes first.
 */
import { shardRange } from '@jvae/data';
import type { GlobalKl, KlSums, ShardSums } from '@jvae/model';
import type { TrainConfig } from '@jvae/model/config';
import { TrainingError } from '../training-error.js';
import { KlExchange, STEP_ABANDONED } from './kl-exchange.js';
import { ShardComputer, type GradientTask, type ShardSlice } from './shard-computer.js';
import { WorkerComputeThread } from './worker-compute-thread.js';

export interface ComputePoolOptions {
  config: TrainConfig;
  /** The concrete backend every thread activates (as selected by the trainer). */
  backend: string;
  /** Compute threads; 1 runs in-process unless `asyncKlReduction` or `freeMainThread`, more run in worker threads. */
  threads: number;
  /** Model parameter count: the length of the weight and gradient regions. */
  parameters: number;
  /** The largest number of images a step hands this process. */
  maxImages: number;
  /**
   * Steps will reduce KL sums asynchronously (across ranks): the threads must then wait
   * in worker threads, so even one thread runs in a worker.
   */
  asyncKlReduction?: boolean;
  /**
   * Run even one thread in a worker thread, so that the caller's event loop is never blocked for
   * a whole pass: a worker process uploads checkpoints and heartbeats while it trains.
   */
  freeMainThread?: boolean;
}

/** The global-batch facts a gradient pass needs, besides the slice. */
export interface StepContext {
  step: number;
  globalBatchSize: number;
}

/**
 * Sums [klCont, klDisc, count] of this process's slices in place into those of the whole
 * global batch (e.g. across ranks).
 */
export type KlReduction = (sums: Float64Array) => Promise<void>;

export interface StepSums extends GlobalKl {
  /** Each slice's loss sums, in slice order. */
  slices: ShardSums[];
}

interface ComputeThread {
  /** A gradient pass; `onKl` gets the slice's KL sums mid-pass, then the thread waits on the exchange. */
  gradients(task: GradientTask, onKl: (sums: KlSums) => void): Promise<ShardSums>;
  close(): Promise<void>;
}

/** A thread on the pool's own thread: its release must come synchronously from `onKl`. */
function inProcessThread(computer: ShardComputer, exchange: KlExchange): ComputeThread {
  return {
    gradients: async (task, onKl) =>
      computer.gradients(task, (sums) => {
        onKl(sums);
        return exchange.await(task.generation, false);
      }),
    close: async () => computer.dispose(),
  };
}

function sumInSliceOrder(reported: KlSums[]): Float64Array {
  const totals = new Float64Array(3);
  for (const s of reported) {
    totals[0] += s.klCont;
    totals[1] += s.klDisc;
    totals[2] += s.count;
  }
  return totals;
}

/** The global batch's KL means from its [klCont, klDisc, count] sums. */
function globalMeans(totals: Float64Array, globalBatchSize: number): GlobalKl {
  if (totals[2] !== globalBatchSize) {
    throw new TrainingError(`the shards hold ${totals[2]} samples, the global batch is ${globalBatchSize}`);
  }
  return { klCont: totals[0] / globalBatchSize, klDisc: totals[1] / globalBatchSize };
}

function sharedFloats(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT));
}

export class ComputePool {
  /** The master weights the threads read; call `publishWeights` after changing them. */
  readonly weights: Float32Array;
  /** The rank's images of the step, written by the trainer before `klSums`. */
  readonly images: Float32Array;
  private readonly grads: Float32Array[];
  private weightsVersion = 0;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly threads: ComputeThread[],
    private readonly exchange: KlExchange,
    private readonly inWorkers: boolean,
    buffers: { weights: Float32Array; images: Float32Array; grads: Float32Array[] },
  ) {
    this.weights = buffers.weights;
    this.images = buffers.images;
    this.grads = buffers.grads;
  }

  static async open(options: ComputePoolOptions): Promise<ComputePool> {
    const { config, backend, threads, parameters, maxImages, asyncKlReduction = false, freeMainThread = false } = options;
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    const weights = sharedFloats(parameters);
    const images = sharedFloats(maxImages * config.imageSize * config.imageSize);
    const grads = Array.from({ length: threads }, () => sharedFloats(parameters));
    const exchange = KlExchange.create();
    if (threads === 1 && !asyncKlReduction && !freeMainThread) {
      const computer = ShardComputer.create(config, { weights, images, grads: grads[0] });
      return new ComputePool([inProcessThread(computer, exchange)], exchange, false, { weights, images, grads });
    }
    const started = await Promise.allSettled(
      grads.map((g, index) =>
        WorkerComputeThread.start({
          index,
          backend,
          config,
          weights: weights.buffer as SharedArrayBuffer,
          images: images.buffer as SharedArrayBuffer,
          grads: g.buffer as SharedArrayBuffer,
          exchange: exchange.buffer,
        }),
      ),
    );
    const ready = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) {
      await Promise.all(ready.map((t) => t.close()));
      throw failure.reason;
    }
    return new ComputePool(ready, exchange, true, { weights, images, grads });
  }

  get threadCount(): number {
    return this.threads.length;
  }

  /** Makes the threads reload `weights` before their next task. */
  publishWeights(): void {
    this.weightsVersion++;
  }

  /** Splits `count` rows starting at global-batch index `globalOffset` into one slice per used thread. */
  slices(count: number, globalOffset: number): ShardSlice[] {
    const used = Math.min(this.threads.length, count);
    return Array.from({ length: used }, (_, i) => {
      const { start, end } = shardRange(count, i, used);
      return { start, end, globalOffset: globalOffset + start };
    });
  }

  /**
   * One step's gradient pass on every slice: writes the sum of the slices' gradients,
   * taken in slice order, into `out`. `reduceKl`, when given, turns the KL sums of this
   * process into those of the global batch (and needs a pool opened with
   * `asyncKlReduction`); the global batch must hold `globalBatchSize` samples.
   */
  async gradients(slices: ShardSlice[], context: StepContext, out: Float32Array, reduceKl?: KlReduction): Promise<StepSums> {
    this.checkOpen();
    if (reduceKl && !this.inWorkers) throw new Error('a KL reduction needs a pool opened with asyncKlReduction');
    const generation = this.exchange.generation;
    let released = false;
    const release = (means: GlobalKl | null) => {
      if (released) return;
      released = true;
      this.exchange.release(means);
    };
    let global: GlobalKl | undefined;
    let reductionFailure: { error: unknown } | undefined;
    const finish = (totals: Float64Array) => {
      global = globalMeans(totals, context.globalBatchSize);
      release(global);
    };
    const abandon = (error: unknown) => {
      reductionFailure ??= { error };
      release(null);
    };
    const reported: KlSums[] = [];
    let waiting = slices.length;
    // Called mid-pass by each thread; the last report leads to the release. Without a
    // reduction the release is synchronous, as a thread on this thread needs.
    const onKl = (index: number) => (sums: KlSums) => {
      reported[index] = sums;
      if (--waiting > 0) return;
      const totals = sumInSliceOrder(reported);
      if (reduceKl) {
        reduceKl(totals)
          .then(() => finish(totals))
          .catch(abandon);
        return;
      }
      try {
        finish(totals);
      } catch (err) {
        abandon(err);
      }
    };
    const runs = slices.map((slice, i) =>
      this.threads[i].gradients({ ...context, slice, weightsVersion: this.weightsVersion, generation }, onKl(i)),
    );
    // A thread failing before its report would leave the others waiting.
    for (const run of runs) run.catch(() => release(null));
    const settled = await Promise.allSettled(runs);
    if (reductionFailure) throw reductionFailure.error;
    const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
    if (failures.length > 0) throw failures.find((err) => !err.message.includes(STEP_ABANDONED)) ?? failures[0];
    // Every pass completed, so the exchange released them with the means.
    if (!global) throw new Error('the step ended without a KL release');
    out.set(this.grads[0]);
    for (let t = 1; t < slices.length; t++) {
      const g = this.grads[t];
      for (let j = 0; j < g.length; j++) out[j] += g[j];
    }
    return { ...global, slices: settled.map((s) => (s as PromiseFulfilledResult<ShardSums>).value) };
  }

  /** Terminates every thread; safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= Promise.all(this.threads.map((t) => t.close())).then(() => undefined);
    return this.closing;
  }

  private checkOpen(): void {
    if (this.closing) throw new Error('compute pool is closed');
  }
}
