/**
 * Evaluation (ARCHITECTURE.md, "Evaluation") on a dataset's validation set in eval mode (z = mu,
 * c = one-hot argmax): loss terms, KL per dimension and active dimensions,
 * schedule values, and where the data allows, discrete accuracy, the Kim & Mnih
 * factor score and MIG.
 */
import type { Dataset } from '@jvae/data';
import type { JointVae } from '@jvae/model';
import type { TrainConfig } from '@jvae/model/config';
import { activeDimensions, discreteAccuracy, factorVaeScore, mutualInformationGap } from './metrics/index.js';

/** Metric values a sweep can rank on: loss, recon, klCont, klDisc, discreteAccuracy, factorScore, mig. */
export interface EvalMetrics {
  step: number;
  loss: number;
  recon: number;
  klCont: number;
  klDisc: number;
  klPerDim: number[];
  /** Continuous dimensions whose mean KL exceeds ACTIVE_KL_THRESHOLD. */
  activeDims: number;
  capacityCont: number;
  capacityDisc: number;
  tau: number;
  /** Present when the validation set has labels: the best categorical latent's majority-label accuracy. */
  discreteAccuracy?: number;
  /**
   * With discreteAccuracy: the categorical latent it scores (index into latent.discrete) and
   * its validation samples per category (rows) and label (columns), which shows the labels a
   * category merges.
   */
  categoryLabels?: { latent: number; counts: number[][] };
  /** Present when the validation set has ground-truth factors: Kim & Mnih's metric. */
  factorScore?: number;
  /** Mutual Information Gap, present with factorScore. */
  mig?: number;
}

export interface EvaluateOptions {
  step: number;
  config: TrainConfig;
  /** Images per forward pass (default JointVae.evaluate's); bounds memory on large validation sets. */
  chunkSize?: number;
}

/**
 * The representation the factor metrics score: each sample's continuous means
 * followed by the argmax category of each categorical latent, so a factor the
 * discrete latent captures (such as shape) counts.
 */
function jointCodes(mu: Float32Array, categories: Int32Array[], d: number, n: number): { codes: Float32Array; dims: number } {
  const dims = d + categories.length;
  const codes = new Float32Array(n * dims);
  for (let i = 0; i < n; i++) {
    codes.set(mu.subarray(i * d, (i + 1) * d), i * dims);
    categories.forEach((c, j) => (codes[i * dims + d + j] = c[i]));
  }
  return { codes, dims };
}

export function evaluate(model: JointVae, dataset: Dataset, options: EvaluateOptions): EvalMetrics {
  const { step, config } = options;
  const validation = dataset.validation;
  if (validation.count < 1) throw new RangeError(`dataset ${dataset.ref} has no validation images`);
  const n = validation.count;
  const pixels = dataset.imageSize * dataset.imageSize;
  const evaluation = model.evaluate(validation.images.subarray(0, n * pixels), step, options.chunkSize);
  const { loss, recon, klCont, klDisc, klPerDim, capacityCont, capacityDisc, tau, categories } = evaluation;
  const active = activeDimensions(klPerDim);
  const metrics: EvalMetrics = {
    step,
    loss,
    recon,
    klCont,
    klDisc,
    klPerDim,
    activeDims: active.length,
    capacityCont,
    capacityDisc,
    tau,
  };
  const labels = validation.labels;
  if (labels && categories.length > 0) {
    const labelCount = dataset.labelCount ?? labels.reduce((max, l) => Math.max(max, l + 1), 0);
    const scores = categories.map((c, i) => discreteAccuracy(c, labels, config.latent.discrete[i], labelCount));
    const latent = scores.reduce((best, score, i) => (score.accuracy > scores[best].accuracy ? i : best), 0);
    metrics.discreteAccuracy = scores[latent].accuracy;
    metrics.categoryLabels = { latent, counts: scores[latent].counts };
  }
  if (validation.factors && dataset.factorSizes) {
    const codes = jointCodes(evaluation.mu, categories, config.latent.continuous, n);
    const input = { ...codes, factors: validation.factors, factorSizes: dataset.factorSizes };
    const d = config.latent.continuous;
    const activeDims = [...active, ...categories.map((_, i) => d + i)];
    metrics.factorScore = factorVaeScore({ ...input, seed: config.seed, activeDims }).score;
    metrics.mig = mutualInformationGap(input).score;
  }
  return metrics;
}
