import { gaussian, logStandardDensity, logSumExp, standardMass } from './normal-distribution.js';
import type { NumericDimension, SearchDimension } from './search-dimension.js';

/**
 * A Parzen estimator over all dimensions at once: a mixture with one component per observed
 * point plus a prior component, each a product of one kernel per dimension. Numeric kernels
 * are Gaussians truncated to the interval, centred on the point, as wide as the larger gap to
 * its neighbours in that dimension (clipped so that few points do not make needle-thin
 * kernels); the prior is centred on the interval and as wide as it. Categorical kernels put
 * most of their weight on the observed choice and smooth the rest uniformly; the prior is
 * uniform. Sharing the component across dimensions keeps what made a point good together.
 */
export class ParzenEstimator {
  private readonly weights: number[];
  /** Per dimension, per component: a numeric kernel's centre and width, or choice probabilities. */
  private readonly kernels: Array<NumericKernels | CategoricalKernels>;

  /** `points[i][d]` is point i in dimension d, in model space (see encodeValue). */
  constructor(
    dims: readonly SearchDimension[],
    points: readonly number[][],
    priorWeight: number,
  ) {
    const total = points.length + priorWeight;
    this.weights = [...points.map(() => 1 / total), priorWeight / total];
    this.kernels = dims.map((dim, d) => {
      const column = points.map((p) => p[d]!);
      if (dim.kind === 'categorical') return categoricalKernels(column, dim.keys.length, priorWeight);
      return numericKernels(dim, column);
    });
  }

  /** `count` points drawn from the mixture, in model space. */
  sample(random: () => number, count: number): number[][] {
    return Array.from({ length: count }, () => {
      const component = drawIndex(this.weights, random);
      return this.kernels.map((k) => {
        if ('probabilities' in k) return drawIndex(k.probabilities[component]!, random);
        return drawTruncated(k.mus[component]!, k.sigmas[component]!, k.dim.low, k.dim.high, random);
      });
    });
  }

  /** log of the mixture's density at a point (mass for integer and categorical dimensions). */
  logDensity(point: readonly number[]): number {
    return logSumExp(
      this.weights.map((w, i) => {
        let log = Math.log(w);
        for (let d = 0; d < this.kernels.length; d++) {
          const k = this.kernels[d]!;
          const x = point[d]!;
          if ('probabilities' in k) {
            log += Math.log(k.probabilities[i]![x]!);
            continue;
          }
          const { dim } = k;
          const mu = k.mus[i]!;
          const sigma = k.sigmas[i]!;
          const inside = standardMass((dim.low - mu) / sigma, (dim.high - mu) / sigma);
          const own = dim.integer
            ? Math.log(standardMass((x - 0.5 - mu) / sigma, (x + 0.5 - mu) / sigma))
            : logStandardDensity((x - mu) / sigma) - Math.log(sigma);
          log += own - Math.log(inside);
        }
        return log;
      }),
    );
  }
}

interface NumericKernels {
  dim: NumericDimension;
  mus: number[];
  sigmas: number[];
}

interface CategoricalKernels {
  probabilities: number[][];
}

function numericKernels(dim: NumericDimension, column: readonly number[]): NumericKernels {
  const { low, high } = dim;
  const range = high - low;
  const mus = [...column, (low + high) / 2];
  const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]! || a - b);
  const minSigma = range / Math.min(100, 1 + mus.length);
  const sigmas = new Array<number>(mus.length);
  order.forEach((i, j) => {
    const left = j > 0 ? mus[i]! - mus[order[j - 1]!]! : 0;
    const right = j < order.length - 1 ? mus[order[j + 1]!]! - mus[i]! : 0;
    sigmas[i] = Math.min(Math.max(left, right, minSigma), range);
  });
  sigmas[mus.length - 1] = range; // the prior spans the whole interval
  return { dim, mus, sigmas };
}

function categoricalKernels(column: readonly number[], choices: number, priorWeight: number): CategoricalKernels {
  // Each observation adds priorWeight / (n + 1) to every choice: less smoothing as data grows.
  const smoothing = priorWeight / (column.length + 1);
  const rows = column.map((c) => {
    const row = new Array<number>(choices).fill(smoothing);
    row[c]! += 1;
    const sum = 1 + smoothing * choices;
    return row.map((p) => p / sum);
  });
  rows.push(new Array<number>(choices).fill(1 / choices));
  return { probabilities: rows };
}

function drawIndex(probabilities: readonly number[], random: () => number): number {
  let u = random();
  for (let i = 0; i < probabilities.length - 1; i++) {
    u -= probabilities[i]!;
    if (u < 0) return i;
  }
  return probabilities.length - 1;
}

/** A draw from N(mu, sigma) inside [low, high), by rejection: mu lies inside and sigma ≤ high − low, so over a third of draws land. */
function drawTruncated(mu: number, sigma: number, low: number, high: number, random: () => number): number {
  for (;;) {
    const x = mu + sigma * gaussian(random);
    if (x >= low && x < high) return x;
  }
}
