/**
 * Shared by the backend tests: deterministic data, the stock cpu kernels as
 * the reference, and float comparison.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// The node bundle of tfjs-core registers no gradients; tfjs-layers' bundle registers them all.
import '@tensorflow/tfjs-layers';

/** Deterministic values in [-1, 1) for a shape (a 32-bit LCG). */
export function valuesFor(shape: number[], seed: number): Float32Array {
  const out = new Float32Array(tf.util.sizeFromShape(shape));
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}

/** The cpu backend's own kernels, captured before registerJvaeKernels replaces them. */
export class StockCpuKernels {
  private readonly stock: tf.KernelConfig[];

  /** Call before registerJvaeKernels. */
  constructor(kernelNames: string[]) {
    this.stock = kernelNames.map((name) => {
      const config = tf.getKernel(name, 'cpu');
      if (config == null) throw new Error(`cpu has no '${name}' kernel`);
      return config;
    });
  }

  /** Runs `fn` on the cpu backend with the stock kernels in place, then puts the current ones back. */
  async run<T>(fn: () => T): Promise<T> {
    await tf.setBackend('cpu');
    const current = this.stock.map((s) => tf.getKernel(s.kernelName, 'cpu'));
    const swap = (configs: (tf.KernelConfig | undefined)[]) =>
      configs.forEach((config) => {
        if (config == null) return;
        tf.unregisterKernel(config.kernelName, 'cpu');
        tf.registerKernel(config);
      });
    swap(this.stock);
    try {
      return fn();
    } finally {
      swap(current);
    }
  }
}

/** Runs `fn` on a backend and returns the values of the tensors it returns. */
export async function valuesOn(backend: string, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return readAll(fn);
}

/** The values of the tensors `fn` returns, computed in a tidy scope. */
export function readAll(fn: () => tf.Tensor[]): Float32Array[] {
  const tensors = tf.tidy(fn);
  const values = tensors.map((t) => t.dataSync() as Float32Array);
  tf.dispose(tensors);
  return values;
}

/** Elementwise |actual - expected| <= tolerance * max(1, |expected|). */
export function assertClose(actual: Float32Array, expected: Float32Array, what: string, tolerance = 1e-4): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (Number.isNaN(error) || error > worst) {
      worst = error;
      at = i;
    }
  }
  assert.ok(
    worst <= tolerance,
    `${what}: element ${at} is ${actual[at]}, expected ${expected[at]} (relative error ${worst})`,
  );
}
