/**
 * The loss terms (ARCHITECTURE.md, "The model and its loss") as pure tensor functions. Per-sample forms come first;
 * each batch term is the batch mean of its per-sample form.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's node bundle registers no gradients; tfjs-layers' bundle registers them all.
import '@tensorflow/tfjs-layers';
import type { Formulation, ModelConfig } from './config.js';
import { assembleJointLoss, capacitiesAt, type LossArithmetic, type LossTerms } from './joint-loss.js';

/** The epsilon inside the logs of KL_disc, as in the paper and seed code. */
const KL_EPS = 1e-7;

/**
 * r_b, the reconstruction loss of each sample, from the decoder's pre-sigmoid `logits`.
 * `dupont`: binary cross-entropy summed over pixels, computed from the logits as
 * softplus(l) - x * l, which equals -x log p - (1 - x) log(1 - p) for p = sigmoid(l) exactly,
 * with no clipping and finite gradients everywhere.
 * `pytorch-vae`: mean squared error of sigmoid(l) over the sample's pixels.
 * In both, recon = mean_b r_b.
 */
export function reconPerSample(formulation: Formulation, logits: tf.Tensor, target: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const batch = logits.shape[0];
    const l = tf.reshape(logits, [batch, -1]);
    const x = tf.reshape(target, [batch, -1]);
    if (formulation === 'dupont') return tf.sum(tf.sub(tf.softplus(l), tf.mul(x, l)), 1) as tf.Tensor1D;
    return tf.mean(tf.squaredDifference(tf.sigmoid(l), x), 1) as tf.Tensor1D;
  });
}

export function reconLoss(formulation: Formulation, logits: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(reconPerSample(formulation, logits, target)));
}

/** -0.5 * (1 + logvar - mu^2 - exp(logvar)) per sample and dimension, [B, D]. */
function klContElements(mu: tf.Tensor2D, logvar: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(-0.5, tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar)));
}

/** KL(q(z|x) || N(0, I)) of each sample: sum over dimensions, [B]. */
export function klContPerSample(mu: tf.Tensor2D, logvar: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.sum(klContElements(mu, logvar), 1) as tf.Tensor1D);
}

/** KL_cont = mean_b sum_d -0.5 * (1 + logvar - mu^2 - exp(logvar)). */
export function klCont(mu: tf.Tensor2D, logvar: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(klContPerSample(mu, logvar)));
}

/** The KL of each continuous dimension, averaged over the batch, [D]: active dims stand out. */
export function klContPerDim(mu: tf.Tensor2D, logvar: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.mean(klContElements(mu, logvar), 0) as tf.Tensor1D);
}

/**
 * KL(q(c|x) || uniform) of each sample, summed over the categorical latents, [B]:
 * sum_i sum_k q log(q + 1e-7) - q log(1/K_i + 1e-7), q = softmax(logits_i), K_i = its width.
 */
export function klDiscPerSample(logits: readonly tf.Tensor2D[]): tf.Tensor1D {
  return tf.tidy(() => {
    const perLatent = logits.map((l) => {
      const k = l.shape[1];
      const q = tf.softmax(l);
      const terms = tf.sub(tf.mul(q, tf.log(tf.add(q, KL_EPS))), tf.mul(q, Math.log(1 / k + KL_EPS)));
      return tf.sum(terms, 1);
    });
    return tf.addN(perLatent) as tf.Tensor1D;
  });
}

/** KL_disc = sum_i mean_b KL_i = mean_b of klDiscPerSample. */
export function klDisc(logits: readonly tf.Tensor2D[]): tf.Scalar {
  return tf.tidy(() => tf.mean(klDiscPerSample(logits)));
}

const SCALARS: LossArithmetic<tf.Scalar> = {
  sum: (terms) => tf.addN(terms) as tf.Scalar,
  capacityGap: (gamma, capacity, kl) => tf.mul(gamma, tf.abs(tf.sub(capacity, kl))),
};

/** The joint loss (see assembleJointLoss) on scalar tensors, to be differentiated. */
export function jointLoss(terms: LossTerms<tf.Scalar>, config: ModelConfig, step: number): tf.Scalar {
  return tf.tidy(() => assembleJointLoss(terms, config, step, SCALARS));
}

/** What a shard needs to know about the whole step: the global batch size and KL means. */
export interface ShardContext {
  step: number;
  globalBatchSize: number;
  /** KL_cont of the global batch (its mean over all shards). */
  klCont: number;
  /** KL_disc of the global batch. */
  klDisc: number;
}

/**
 * d|C - KL| / dKL as tf.abs differentiates it (its slope at 0 is taken from the left of C - KL):
 * +1 where KL >= C, else -1.
 */
export function capacitySign(kl: number, capacity: number): 1 | -1 {
  return kl >= capacity ? 1 : -1;
}

/**
 * A shard's share of the loss, linear in its samples:
 * L_s = (1/B) sum_{b in s} [ r_b + gamma_c * sign_c * kc_b + gamma_d * sign_d * kd_b ],
 * with the signs taken at the global-batch KL. Its gradient, summed over the shards of a
 * step, equals the gradient of jointLoss on the global batch; its value does not.
 */
export function shardShareLoss(
  perSample: LossTerms<tf.Tensor1D>,
  config: ModelConfig,
  ctx: ShardContext,
): tf.Scalar {
  const { continuous, discrete } = config.capacity;
  const capacities = capacitiesAt(config, ctx.step);
  const signCont = capacitySign(ctx.klCont, capacities.cont);
  const signDisc = capacitySign(ctx.klDisc, capacities.disc);
  return tf.tidy(() => {
    const perSampleLoss = tf.addN([
      perSample.recon,
      tf.mul(continuous.gamma * signCont, perSample.klCont),
      tf.mul(discrete.gamma * signDisc, perSample.klDisc),
    ]);
    return tf.div(tf.sum(perSampleLoss), ctx.globalBatchSize) as tf.Scalar;
  });
}
