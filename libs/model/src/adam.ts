/**
 * Adam over flat Float32Array weights, in plain JS so every replica and every restart
 * computes bit-identical updates. Same math as torch.optim.Adam and tf.train.adam:
 * w -= lr * m_hat / (sqrt(v_hat) + epsilon), m_hat = m / (1 - beta1^t), v_hat = v / (1 - beta2^t).
 */
export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export interface AdamState {
  /** Number of steps taken. */
  t: number;
  m: Float32Array;
  v: Float32Array;
}

export class Adam {
  private readonly lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private t = 0;
  private readonly m: Float32Array;
  private readonly v: Float32Array;

  constructor(
    readonly size: number,
    { lr, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 }: AdamOptions,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`Adam: size must be a positive integer, got ${size}`);
    if (!(lr > 0)) throw new RangeError(`Adam: lr must be positive, got ${lr}`);
    if (!(beta1 >= 0 && beta1 < 1)) throw new RangeError(`Adam: beta1 must be in [0, 1), got ${beta1}`);
    if (!(beta2 >= 0 && beta2 < 1)) throw new RangeError(`Adam: beta2 must be in [0, 1), got ${beta2}`);
    if (!(epsilon > 0)) throw new RangeError(`Adam: epsilon must be positive, got ${epsilon}`);
    this.lr = lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /** Resumes from a saved state (copied). */
  static restore(state: AdamState, options: AdamOptions): Adam {
    const adam = new Adam(state.m.length, options);
    if (state.v.length !== state.m.length) {
      throw new RangeError(`Adam: state m has ${state.m.length} values but v has ${state.v.length}`);
    }
    if (!Number.isInteger(state.t) || state.t < 0) {
      throw new RangeError(`Adam: state t must be an integer >= 0, got ${state.t}`);
    }
    adam.t = state.t;
    adam.m.set(state.m);
    adam.v.set(state.v);
    return adam;
  }

  /** One update of `weights` in place from `grads`. */
  step(weights: Float32Array, grads: Float32Array): void {
    if (weights.length !== this.size || grads.length !== this.size) {
      throw new RangeError(
        `Adam: expected ${this.size} weights and gradients, got ${weights.length} and ${grads.length}`,
      );
    }
    this.t++;
    const { beta1, beta2, epsilon, m, v } = this;
    const stepSize = this.lr / (1 - beta1 ** this.t);
    const sqrtCorrection2 = Math.sqrt(1 - beta2 ** this.t);
    const keep1 = 1 - beta1;
    const keep2 = 1 - beta2;
    for (let i = 0; i < weights.length; i++) {
      const g = grads[i];
      // Rounded to float32 as stored, so the update reads the moments it writes.
      const mi = Math.fround(beta1 * m[i] + keep1 * g);
      const vi = Math.fround(beta2 * v[i] + keep2 * g * g);
      m[i] = mi;
      v[i] = vi;
      weights[i] -= (stepSize * mi) / (Math.sqrt(vi) / sqrtCorrection2 + epsilon);
    }
  }

  /** A copy of the optimizer state, for checkpoints. */
  state(): AdamState {
    return { t: this.t, m: this.m.slice(), v: this.v.slice() };
  }
}
