/**
 * The compute threads of one process. Shared memory holds one region for the master
 * weights, one for the rank's images of the current step, and one gradient region per
 * thread; each step the rank's rows are split into contiguous slices, one per thread,
 * and the per-thread gradients are summed in thread order, so the result does not
 * depend on which thread finishes first.
 */
import { shardRange } from '@jvae/data';
import type { KlSums, ShardSums } from '@jvae/model';
import type { TrainConfig } from '@jvae/model/config';
import { ShardComputer, type GradientTask, type KlTask, type ShardSlice } from './shard-computer.js';
import { WorkerComputeThread } from './worker-compute-thread.js';

export interface ComputePoolOptions {
  config: TrainConfig;
  /** The concrete backend every thread activates (as selected by the trainer). */
  backend: string;
  /** Compute threads; 1 runs in-process, more run in worker threads. */
  threads: number;
  /** Model parameter count: the length of the weight and gradient regions. */
  parameters: number;
  /** The largest number of images a step hands this process. */
  maxImages: number;
}

/** The global-batch facts a gradient pass needs, besides the slice. */
export type StepContext = Omit<GradientTask, keyof KlTask>;

interface ComputeThread {
  klSums(task: KlTask): Promise<KlSums>;
  gradients(task: GradientTask): Promise<ShardSums>;
  close(): Promise<void>;
}

function inProcessThread(computer: ShardComputer): ComputeThread {
  return {
    klSums: async (task) => computer.klSums(task),
    gradients: async (task) => computer.gradients(task),
    close: async () => computer.dispose(),
  };
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
    buffers: { weights: Float32Array; images: Float32Array; grads: Float32Array[] },
  ) {
    this.weights = buffers.weights;
    this.images = buffers.images;
    this.grads = buffers.grads;
  }

  static async open(options: ComputePoolOptions): Promise<ComputePool> {
    const { config, backend, threads, parameters, maxImages } = options;
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    const weights = sharedFloats(parameters);
    const images = sharedFloats(maxImages * config.imageSize * config.imageSize);
    const grads = Array.from({ length: threads }, () => sharedFloats(parameters));
    if (threads === 1) {
      const computer = ShardComputer.create(config, { weights, images, grads: grads[0] });
      return new ComputePool([inProcessThread(computer)], { weights, images, grads });
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
        }),
      ),
    );
    const ready = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) {
      await Promise.all(ready.map((t) => t.close()));
      throw failure.reason;
    }
    return new ComputePool(ready, { weights, images, grads });
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

  /** KL sums of each slice, in slice order. */
  klSums(slices: ShardSlice[]): Promise<KlSums[]> {
    this.checkOpen();
    return Promise.all(slices.map((slice, i) => this.threads[i].klSums({ slice, weightsVersion: this.weightsVersion })));
  }

  /**
   * Runs every slice's shard gradient and writes their sum, taken in slice order, into
   * `out`. Returns each slice's loss sums, in slice order.
   */
  async gradients(slices: ShardSlice[], context: StepContext, out: Float32Array): Promise<ShardSums[]> {
    this.checkOpen();
    const sums = await Promise.all(
      slices.map((slice, i) => this.threads[i].gradients({ ...context, slice, weightsVersion: this.weightsVersion })),
    );
    out.set(this.grads[0]);
    for (let t = 1; t < slices.length; t++) {
      const g = this.grads[t];
      for (let j = 0; j < g.length; j++) out[j] += g[j];
    }
    return sums;
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
