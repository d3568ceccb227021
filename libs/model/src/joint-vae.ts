/**
 * The Joint VAE: encoder, reparameterised continuous and Gumbel-softmax discrete latents,
 * decoder, and the gradients of its loss, whole-batch or per shard of a data-parallel step.
 * Every method releases the tensors it makes; returned tensors belong to the caller.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ModelConfig } from './config.js';
import {
  buildDecoder,
  buildEncoder,
  decoderLogits,
  initializeWeights,
  latentLayout,
  type LatentLayout,
} from './architecture.js';
import { lossReport, type LossTerms } from './joint-loss.js';
import { jointLoss, klContPerDim, klContPerSample, klDiscPerSample, reconPerSample, shardShareLoss } from './loss.js';
import type { Noise } from './noise.js';
import { temperatureAt } from './schedule.js';

/** The epsilon inside the Gumbel logs, as in the seed code. */
const GUMBEL_EPS = 1e-7;
const DEFAULT_EVAL_CHUNK = 500;

export interface EncoderOutput {
  mu: tf.Tensor2D;
  logvar: tf.Tensor2D;
  /** One [B, K_i] tensor per categorical latent. */
  logits: tf.Tensor2D[];
}

export interface ForwardOutput extends EncoderOutput {
  /** The decoder's sigmoid output, [B, S, S, 1]. */
  recon: tf.Tensor4D;
}

/** Sums over a shard's samples of the per-sample KL terms. */
export interface KlSums {
  klCont: number;
  klDisc: number;
  count: number;
}

/** The global batch's KL means. */
export interface GlobalKl {
  klCont: number;
  klDisc: number;
}

/** What a shard's gradient pass needs to know about the whole step. */
export interface ShardPass {
  step: number;
  globalBatchSize: number;
  /** Called once mid-pass with this shard's KL sums; returns the global batch's KL means. */
  globalKl(local: KlSums): GlobalKl;
}

/** What a shard's pass returns (its KL sums went to `ShardPass.globalKl` mid-pass). */
export interface ShardSums {
  /** The shard's reconstruction loss summed over its samples. */
  reconSum: number;
  count: number;
}

export interface StepLoss extends LossTerms<number> {
  loss: number;
}

/** Eval-mode outputs (z = mu, c = one-hot argmax) over a whole set, and its mean loss terms. */
export interface Evaluation extends StepLoss {
  count: number;
  /** count × D, row-major. */
  mu: Float32Array;
  /** count × D, row-major. */
  logvar: Float32Array;
  /** Per categorical latent, the argmax category of each sample. */
  categories: Int32Array[];
  /** Mean KL of each continuous dimension. */
  klPerDim: number[];
  capacityCont: number;
  capacityDisc: number;
  tau: number;
}

export class JointVae {
  /** Trainable weights, encoder then decoder, in layer order: the order of the flat vectors. */
  private readonly variables: tf.Variable[];
  private readonly layout: LatentLayout;
  /** Number of trainable parameters: the length of every flat weight or gradient vector. */
  readonly size: number;

  private constructor(
    readonly config: ModelConfig,
    readonly encoder: tfl.LayersModel,
    readonly decoder: tfl.LayersModel,
  ) {
    this.layout = latentLayout(config);
    this.variables = [...encoder.trainableWeights, ...decoder.trainableWeights].map(
      (w) => w.read() as tf.Variable,
    );
    this.size = this.variables.reduce((sum, v) => sum + v.size, 0);
  }

  /** A new model with weights drawn deterministically from `seed`. */
  static create(config: ModelConfig, seed: number): JointVae {
    const encoder = buildEncoder(config);
    const decoder = buildDecoder(config);
    initializeWeights([encoder, decoder], seed);
    return new JointVae(config, encoder, decoder);
  }

  /** Wraps models reloaded with tf.loadLayersModel, after checking they fit `config`. */
  static fromModels(config: ModelConfig, encoder: tfl.LayersModel, decoder: tfl.LayersModel): JointVae {
    const expected = [buildEncoder(config), buildDecoder(config)];
    try {
      [encoder, decoder].forEach((model, i) => {
        const want = expected[i].trainableWeights.map((w) => w.shape.join('x'));
        const got = model.trainableWeights.map((w) => w.shape.join('x'));
        if (want.join(',') !== got.join(',')) {
          throw new Error(
            `${expected[i].name}: weight shapes [${got.join(', ')}] do not fit this config, ` +
              `which needs [${want.join(', ')}]`,
          );
        }
      });
    } finally {
      expected.forEach((m) => m.dispose());
    }
    return new JointVae(config, encoder, decoder);
  }

  /** A copy of all trainable weights as one flat vector. */
  getWeights(): Float32Array {
    const flat = new Float32Array(this.size);
    let offset = 0;
    for (const v of this.variables) {
      flat.set(v.dataSync(), offset);
      offset += v.size;
    }
    return flat;
  }

  /** Sets all trainable weights from a flat vector in getWeights order (copied, not kept). */
  setWeights(flat: Float32Array): void {
    this.checkLength('weights', flat);
    let offset = 0;
    for (const v of this.variables) {
      const value = tf.tensor(flat.slice(offset, offset + v.size), v.shape, 'float32');
      v.assign(value);
      value.dispose();
      offset += v.size;
    }
  }

  /**
   * The model on a batch. Train mode samples z = mu + eps * exp(0.5 logvar) and
   * c_i = softmax((logits_i + g) / tau), g = -log(-log(u + 1e-7) + 1e-7), from `noise`
   * (one row per image); eval mode uses z = mu and c_i = onehot(argmax logits_i).
   */
  forward(images: tf.Tensor4D, noise: Noise | null, tau: number, train: boolean): ForwardOutput {
    return tf.tidy(() => {
      const encoded = this.encode(images);
      const latent = train ? this.trainLatent(encoded, noise, tau) : this.evalLatent(encoded);
      return { ...encoded, recon: tf.sigmoid(decoderLogits(this.decoder, latent)) };
    });
  }

  /** The decoder's images for given latent rows concat(z, c_1..c_m), [N, S, S, 1]. */
  decode(latent: tf.Tensor2D): tf.Tensor4D {
    return tf.tidy(() => tf.sigmoid(decoderLogits(this.decoder, latent)));
  }

  /**
   * Writes into `out` the gradient of this shard's share of the global loss (see
   * shardShareLoss). The share needs the global batch's KL means, which depend on every
   * shard: mid-pass, after the forward pass, `pass.globalKl` receives this shard's KL sums and
   * returns the global means (a compute thread blocks there while the sums of all shards
   * are reduced), so each step runs the encoder once. Summed over the shards of a step,
   * `out` equals lossAndGradients' gradient on the global batch with the same noise.
   */
  shardGradients(images: tf.Tensor4D, noise: Noise, pass: ShardPass, out: Float32Array): ShardSums {
    const count = images.shape[0];
    if (!(pass.globalBatchSize >= count)) {
      throw new Error(`shard of ${count} images exceeds the global batch size ${pass.globalBatchSize}`);
    }
    const { step, globalBatchSize } = pass;
    const tau = temperatureAt(this.config, step);
    const [reconSum] = this.backprop(out, () => {
      const perSample = this.perSampleTerms(images, noise, tau);
      const [klCont, klDisc] = tf.stack([tf.sum(perSample.klCont), tf.sum(perSample.klDisc)]).dataSync();
      const global = pass.globalKl({ klCont, klDisc, count });
      return {
        loss: shardShareLoss(perSample, this.config, { step, globalBatchSize, ...global }),
        stats: tf.sum(perSample.recon),
      };
    });
    return { reconSum, count };
  }

  /** The train-mode loss of one process on a whole batch (forward only). */
  loss(images: tf.Tensor4D, noise: Noise, step: number): StepLoss {
    return toStepLoss(readAndDispose(tf.tidy(() => this.jointLossTerms(images, noise, step).stats)));
  }

  /** The train-mode loss of one process on a whole batch, and its gradient written into `out`. */
  lossAndGradients(images: tf.Tensor4D, noise: Noise, step: number, out: Float32Array): StepLoss {
    return toStepLoss(this.backprop(out, () => this.jointLossTerms(images, noise, step)));
  }

  /**
   * Eval-mode outputs over a set of images and its mean loss terms at `step`. `images` holds
   * them one after another (imageSize² values each); they become tensors `chunkSize` at a
   * time, which bounds memory however large the set.
   */
  evaluate(images: Float32Array, step: number, chunkSize = DEFAULT_EVAL_CHUNK): Evaluation {
    const size = this.config.imageSize;
    const pixels = size * size;
    if (images.length === 0 || images.length % pixels !== 0) {
      throw new Error(`evaluate needs at least one ${size}×${size} image, got ${images.length} values`);
    }
    if (!Number.isInteger(chunkSize) || chunkSize < 1) {
      throw new Error(`evaluate: chunkSize must be a positive integer, got ${chunkSize}`);
    }
    const n = images.length / pixels;
    const d = this.layout.continuous;
    const mu = new Float32Array(n * d);
    const logvar = new Float32Array(n * d);
    const categories = this.layout.discrete.map(() => new Int32Array(n));
    const sums = { recon: 0, klCont: 0, klDisc: 0 };
    const perDimSums = new Float64Array(d);
    for (let start = 0; start < n; start += chunkSize) {
      const count = Math.min(chunkSize, n - start);
      const outputs = tf.tidy(() => {
        const chunk = tf.tensor4d(images.subarray(start * pixels, (start + count) * pixels), [count, size, size, 1]);
        const encoded = this.encode(chunk);
        const latent = this.evalLatent(encoded);
        const recon = reconPerSample(this.config.formulation, decoderLogits(this.decoder, latent), chunk);
        return [
          encoded.mu,
          encoded.logvar,
          tf.stack([
            tf.sum(recon),
            tf.sum(klContPerSample(encoded.mu, encoded.logvar)),
            tf.sum(klDiscPerSample(encoded.logits)),
          ]),
          tf.mul(klContPerDim(encoded.mu, encoded.logvar), count),
          ...encoded.logits.map((l) => tf.argMax(l, 1)),
        ];
      });
      const [muChunk, logvarChunk, termSums, perDim, ...argmax] = outputs.map(readAndDispose);
      mu.set(muChunk, start * d);
      logvar.set(logvarChunk, start * d);
      sums.recon += termSums[0];
      sums.klCont += termSums[1];
      sums.klDisc += termSums[2];
      perDim.forEach((value, i) => (perDimSums[i] += value));
      argmax.forEach((values, i) => categories[i].set(values, start));
    }
    const means = { recon: sums.recon / n, klCont: sums.klCont / n, klDisc: sums.klDisc / n };
    const report = lossReport(this.config, step, means);
    return {
      count: n,
      mu,
      logvar,
      categories,
      ...means,
      loss: report.loss,
      klPerDim: Array.from(perDimSums, (s) => s / n),
      capacityCont: report.capacities.cont,
      capacityDisc: report.capacities.disc,
      tau: report.tau,
    };
  }

  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
  }

  private encode(images: tf.Tensor4D): EncoderOutput {
    const { continuous: d, discrete, logitOffsets } = this.layout;
    const h = this.encoder.apply(images) as tf.Tensor2D;
    const b = h.shape[0];
    return {
      mu: tf.slice(h, [0, 0], [b, d]),
      logvar: tf.slice(h, [0, d], [b, d]),
      logits: discrete.map((k, i) => tf.slice(h, [0, logitOffsets[i]], [b, k])),
    };
  }

  /** The decoder's input concat(z, c_1..c_m) in eval mode: z = mu, c_i = onehot(argmax logits_i). */
  private evalLatent({ mu, logits }: EncoderOutput): tf.Tensor2D {
    const oneHots = logits.map((l, i) => tf.cast(tf.oneHot(tf.argMax(l, 1), this.layout.discrete[i]), 'float32'));
    return tf.concat([mu, ...oneHots], 1) as tf.Tensor2D;
  }

  /** The decoder's input concat(z, c_1..c_m) in train mode, sampled with `noise`. */
  private trainLatent({ mu, logvar, logits }: EncoderOutput, noise: Noise | null, tau: number): tf.Tensor2D {
    const { continuous: d, discrete, logitOffsets, categories } = this.layout;
    const b = mu.shape[0];
    if (!noise) throw new Error('train mode needs noise');
    this.checkNoise(noise, b);
    const eps = tf.tensor2d(noise.eps, [b, d]);
    const z = tf.add(mu, tf.mul(eps, tf.exp(tf.mul(0.5, logvar))));
    const u = tf.tensor2d(noise.uniforms, [b, categories]);
    const gumbel = tf.neg(tf.log(tf.add(tf.neg(tf.log(tf.add(u, GUMBEL_EPS))), GUMBEL_EPS)));
    const samples = logits.map((l, i) => {
      const g = tf.slice(gumbel, [0, logitOffsets[i] - 2 * d], [b, discrete[i]]);
      return tf.softmax(tf.div(tf.add(l, g), tau));
    });
    return tf.concat([z, ...samples], 1) as tf.Tensor2D;
  }

  /** r_b, kc_b and kd_b of each sample in train mode. */
  private perSampleTerms(images: tf.Tensor4D, noise: Noise, tau: number): LossTerms<tf.Tensor1D> {
    const encoded = this.encode(images);
    const logits = decoderLogits(this.decoder, this.trainLatent(encoded, noise, tau));
    return {
      recon: reconPerSample(this.config.formulation, logits, images),
      klCont: klContPerSample(encoded.mu, encoded.logvar),
      klDisc: klDiscPerSample(encoded.logits),
    };
  }

  /** jointLoss on a batch, and the stats [loss, recon, klCont, klDisc]. */
  private jointLossTerms(images: tf.Tensor4D, noise: Noise, step: number): { loss: tf.Scalar; stats: tf.Tensor } {
    const perSample = this.perSampleTerms(images, noise, temperatureAt(this.config, step));
    const terms = {
      recon: tf.mean(perSample.recon) as tf.Scalar,
      klCont: tf.mean(perSample.klCont) as tf.Scalar,
      klDisc: tf.mean(perSample.klDisc) as tf.Scalar,
    };
    const loss = jointLoss(terms, this.config, step);
    return { loss, stats: tf.stack([loss, terms.recon, terms.klCont, terms.klDisc]) };
  }

  /**
   * Differentiates `build().loss` with respect to every trainable weight, writes the
   * gradient into `out` in flat order and returns the values of `build().stats`.
   */
  private backprop(out: Float32Array, build: () => { loss: tf.Scalar; stats: tf.Tensor }): number[] {
    this.checkLength('gradient buffer', out);
    let stats: tf.Tensor | undefined;
    try {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => {
          const built = build();
          stats = tf.keep(built.stats);
          return built.loss;
        }, this.variables);
        let offset = 0;
        for (const v of this.variables) {
          out.set(grads[v.name].dataSync(), offset);
          offset += v.size;
        }
      });
      return Array.from((stats as tf.Tensor).dataSync());
    } finally {
      stats?.dispose();
    }
  }

  private checkLength(what: string, flat: Float32Array): void {
    if (flat.length !== this.size) {
      throw new Error(`${what} has ${flat.length} values, the model has ${this.size} parameters`);
    }
  }

  private checkNoise(noise: Noise, batch: number): void {
    const { continuous, categories } = this.layout;
    if (noise.eps.length !== batch * continuous || noise.uniforms.length !== batch * categories) {
      throw new Error(
        `noise does not fit a batch of ${batch}: eps has ${noise.eps.length} values ` +
          `(needs ${batch}×${continuous}), uniforms ${noise.uniforms.length} (needs ${batch}×${categories})`,
      );
    }
  }
}

function toStepLoss([loss, recon, klCont, klDisc]: number[]): StepLoss {
  return { loss, recon, klCont, klDisc };
}

function readAndDispose(tensor: tf.Tensor): number[] {
  const values = Array.from(tensor.dataSync());
  tensor.dispose();
  return values;
}
