import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { conv2dBackpropFilterKernel } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputKernel } from './conv2d-backprop-input.js';
import { leadingAxesSumKernel } from './leading-axes-sum.js';
import { sharedIdentityKernel } from './shared-identity.js';
import { untransposedMatMulKernel } from './untransposed-mat-mul.js';

/** Backends whose kernels this module replaces, once each. */
const replaced = new Set<string>();

function stockKernel(kernelName: string, backendName: string): tf.KernelConfig {
  const config = tf.getKernel(kernelName, backendName);
  if (config == null) throw new Error(`backend '${backendName}' has no '${kernelName}' kernel to build on`);
  return config;
}

function replaceKernel(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName) != null) {
    tf.unregisterKernel(config.kernelName, config.backendName);
  }
  tf.registerKernel(config);
}

/** The replacements for one backend, built on its stock kernels. */
function kernelsFor(backendName: string): tf.KernelConfig[] {
  switch (backendName) {
    case 'wasm':
      return [
        // The wasm backend has no Conv2DBackpropFilter at all.
        conv2dBackpropFilterKernel('wasm', { alignBatch: true }),
        conv2dBackpropInputKernel('wasm', stockKernel(tf.Conv2DBackpropInput, 'wasm')),
        untransposedMatMulKernel(stockKernel(tf.BatchMatMul, 'wasm')),
        untransposedMatMulKernel(stockKernel(tf._FusedMatMul, 'wasm')),
        leadingAxesSumKernel(stockKernel(tf.Sum, 'wasm')),
        sharedIdentityKernel(stockKernel(tf.Identity, 'wasm')),
      ];
    case 'cpu':
      // The stock cpu filter gradient is a scalar loop 30-60x slower than its
      // Conv2D; its input gradient is already as fast as the sub-pixel form there.
      return [conv2dBackpropFilterKernel('cpu', { fallback: stockKernel(tf.Conv2DBackpropFilter, 'cpu') })];
    default:
      return [];
  }
}

/**
 * Registers the faster convolution-gradient, matmul, sum and identity kernels for the
 * `cpu` backend and, once @tensorflow/tfjs-backend-wasm is imported (it is
 * loaded on demand: `selectBackend` imports it and calls this again), for `wasm`.
 * Results equal the stock kernels' up to float rounding. Idempotent.
 */
export function registerJvaeKernels(): void {
  for (const backendName of ['wasm', 'cpu']) {
    if (replaced.has(backendName) || tf.getKernel(tf.Conv2D, backendName) == null) continue;
    kernelsFor(backendName).forEach(replaceKernel);
    replaced.add(backendName);
  }
}
