/**
 * The conv encoder and decoder of the Joint VAE paper (Dupont 2018), as standard
 * tfjs-layers models so that `tf.loadLayersModel` reloads them with no custom classes.
 * Images are NHWC with one channel.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ModelConfig } from './config.js';
import { uniform } from '@jvae/rng';
import { Stream } from './streams.js';

/** Where each latent lives in the encoder's single output row [mu | logvar | logits_1 | ...]. */
export interface LatentLayout {
  continuous: number;
  discrete: readonly number[];
  /** Start column of each categorical's logits in the encoder output. */
  logitOffsets: readonly number[];
  /** Start column of each categorical's one-hot in the decoder input concat(z, c_1..c_m). */
  categoryInputOffsets: readonly number[];
  /** 2D + ΣK_i. */
  encoderUnits: number;
  /** D + ΣK_i: concat(z, c_1..c_m). */
  decoderInputs: number;
  /** ΣK_i. */
  categories: number;
}

export function latentLayout(config: ModelConfig): LatentLayout {
  const { continuous, discrete } = config.latent;
  const logitOffsets: number[] = [];
  const categoryInputOffsets: number[] = [];
  let categories = 0;
  for (const k of discrete) {
    logitOffsets.push(2 * continuous + categories);
    categoryInputOffsets.push(continuous + categories);
    categories += k;
  }
  return {
    continuous,
    discrete,
    logitOffsets,
    categoryInputOffsets,
    encoderUnits: 2 * continuous + categories,
    decoderInputs: continuous + categories,
    categories,
  };
}

/** Spatial size after the encoder's convolutions and before the decoder's deconvolutions. */
const BOTTLENECK = [4, 4, 64];
const HIDDEN = 256;

/** Channels of the stride-2 convolutions: one more level for 64×64 inputs. */
function encoderChannels(imageSize: 32 | 64): number[] {
  return imageSize === 32 ? [32, 64, 64] : [32, 32, 64, 64];
}

/** Channels of the stride-2 transposed convolutions before the final one-channel one. */
function decoderChannels(imageSize: 32 | 64): number[] {
  return imageSize === 32 ? [32, 32] : [64, 32, 32];
}

// Weights start at zero without drawing; initializeWeights sets them from the seed.
const conv = { kernelSize: 4, strides: 2, padding: 'same' as const, kernelInitializer: 'zeros' };

/** image [S, S, 1] → [mu | logvar | logits_1 | ... | logits_m]. */
export function buildEncoder(config: ModelConfig): tfl.Sequential {
  const size = config.imageSize;
  const layers: tfl.layers.Layer[] = encoderChannels(size).map((filters, i) =>
    tfl.layers.conv2d({
      ...conv,
      name: `enc_conv${i + 1}`,
      filters,
      activation: 'relu',
      ...(i === 0 ? { inputShape: [size, size, 1] } : {}),
    }),
  );
  layers.push(
    tfl.layers.flatten({ name: 'enc_flatten' }),
    tfl.layers.dense({ name: 'enc_fc', units: HIDDEN, activation: 'relu', kernelInitializer: 'zeros' }),
    tfl.layers.dense({ name: 'enc_latent', units: latentLayout(config).encoderUnits, kernelInitializer: 'zeros' }),
  );
  return tfl.sequential({ name: 'encoder', layers });
}

/**
 * concat(z, c_1..c_m) → image [S, S, 1]. The last layer is a separate sigmoid so that
 * `decoderLogits` can stop one layer earlier and losses can use the logits.
 */
export function buildDecoder(config: ModelConfig): tfl.Sequential {
  const [h, w, c] = BOTTLENECK;
  const layers: tfl.layers.Layer[] = [
    tfl.layers.dense({
      name: 'dec_fc1',
      inputShape: [latentLayout(config).decoderInputs],
      units: HIDDEN,
      activation: 'relu',
      kernelInitializer: 'zeros',
    }),
    tfl.layers.dense({ name: 'dec_fc2', units: h * w * c, activation: 'relu', kernelInitializer: 'zeros' }),
    tfl.layers.reshape({ name: 'dec_reshape', targetShape: BOTTLENECK }),
    ...decoderChannels(config.imageSize).map((filters, i) =>
      tfl.layers.conv2dTranspose({ ...conv, name: `dec_deconv${i + 1}`, filters, activation: 'relu' }),
    ),
    tfl.layers.conv2dTranspose({ ...conv, name: 'dec_logits', filters: 1 }),
    tfl.layers.activation({ name: 'dec_sigmoid', activation: 'sigmoid' }),
  ];
  return tfl.sequential({ name: 'decoder', layers });
}

/** The decoder's pre-sigmoid output (all layers but the final sigmoid), applied eagerly. */
export function decoderLogits(decoder: tfl.LayersModel, latent: tf.Tensor2D): tf.Tensor4D {
  let x: tf.Tensor = latent;
  for (const layer of decoder.layers.slice(0, -1)) x = layer.apply(x) as tf.Tensor;
  return x as tf.Tensor4D;
}

/**
 * torch.nn's default fan-in: the product of all but the kernel's last dimension, given the
 * tfjs layouts [in, out] (dense), [kh, kw, in, out] (conv) and [kh, kw, out, in] (transposed
 * conv). For a transposed conv that counts output channels, as torch does, so the initial
 * scales are those of the paper's code.
 */
function fanIn(kernelShape: readonly number[]): number {
  return kernelShape.slice(0, -1).reduce((product, n) => product * n, 1);
}

/**
 * Sets every trainable weight to uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) drawn from the
 * counter-based RNG: element e of weight tensor n (in model order) is draw (seed, n, e).
 */
export function initializeWeights(models: readonly tfl.LayersModel[], seed: number): void {
  let tensorIndex = 0;
  for (const model of models) {
    for (const layer of model.layers) {
      const weights = layer.trainableWeights;
      if (weights.length === 0) continue;
      const bound = 1 / Math.sqrt(fanIn(weights[0].shape as number[]));
      for (const weight of weights) {
        const values = new Float32Array(tf.util.sizeFromShape(weight.shape as number[]));
        for (let e = 0; e < values.length; e++) {
          values[e] = (2 * uniform(seed, Stream.weights, tensorIndex, e, 0) - 1) * bound;
        }
        const tensor = tf.tensor(values, weight.shape as number[]);
        weight.write(tensor);
        tensor.dispose();
        tensorIndex++;
      }
    }
  }
}
