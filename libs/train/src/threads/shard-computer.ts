/**
 * The work of one compute thread: the shard gradient of a contiguous slice of the
 * rank's images, reading weights and images from shared memory and writing
 * the gradient into its own shared region. The same code runs inside a worker
 * thread and in-process, so both give identical arithmetic.
 */
import * as tf from '@tensorflow/tfjs-core';
import { JointVae, sampleNoise, type GlobalKl, type KlSums, type ShardSums } from '@jvae/model';
import type { TrainConfig } from '@jvae/model/config';

/** Views of the shared regions a computer reads and writes. */
export interface ShardBuffers {
  /** Master weights, written by the trainer between steps. */
  weights: Float32Array;
  /** The rank's images of the current step, count × S × S. */
  images: Float32Array;
  /** This computer's gradient output. */
  grads: Float32Array;
}

/** Rows [start, end) of the rank's images; `globalOffset` is the global-batch index of row `start`. */
export interface ShardSlice {
  start: number;
  end: number;
  globalOffset: number;
}

export interface GradientTask {
  slice: ShardSlice;
  weightsVersion: number;
  step: number;
  globalBatchSize: number;
  /** The KL exchange's generation before this step's release. */
  generation: number;
}

export class ShardComputer {
  private weightsVersion = -1;
  private readonly pixels: number;

  private constructor(
    private readonly model: JointVae,
    private readonly config: TrainConfig,
    private readonly buffers: ShardBuffers,
  ) {
    this.pixels = config.imageSize * config.imageSize;
  }

  /** Builds the model on the active TensorFlow.js backend. */
  static create(config: TrainConfig, buffers: ShardBuffers): ShardComputer {
    return new ShardComputer(JointVae.create(config, config.seed), config, buffers);
  }

  /** Runs the pass; mid-pass, `globalKl` turns this slice's KL sums into the global means. */
  gradients(task: GradientTask, globalKl: (local: KlSums) => GlobalKl): ShardSums {
    this.syncWeights(task.weightsVersion);
    const { slice, step, globalBatchSize } = task;
    const noise = sampleNoise(this.config, this.config.seed, step, slice.globalOffset, slice.end - slice.start);
    return this.withImages(slice, (images) =>
      this.model.shardGradients(images, noise, { step, globalBatchSize, globalKl }, this.buffers.grads),
    );
  }

  dispose(): void {
    this.model.dispose();
  }

  private syncWeights(version: number): void {
    if (version === this.weightsVersion) return;
    this.model.setWeights(this.buffers.weights);
    this.weightsVersion = version;
  }

  private withImages<T>(slice: ShardSlice, use: (images: tf.Tensor4D) => T): T {
    const size = this.config.imageSize;
    // A private copy: tensors must not alias shared memory the trainer rewrites.
    const values = this.buffers.images.slice(slice.start * this.pixels, slice.end * this.pixels);
    const images = tf.tensor4d(values, [slice.end - slice.start, size, size, 1]);
    try {
      return use(images);
    } finally {
      images.dispose();
    }
  }
}
