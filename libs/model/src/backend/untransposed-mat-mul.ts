import * as tf from '@tensorflow/tfjs-core';
import { KernelCalls } from './kernel-calls.js';

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

function batchOf(shape: number[]): number {
  return tf.util.sizeFromShape(shape.slice(0, -2));
}

/**
 * Wraps a wasm matmul kernel (BatchMatMul or _FusedMatMul): the wasm backend
 * runs a single (unbatched) product on XNNPACK only when neither operand is
 * transposed, and otherwise falls to a scalar loop. Gradients always ask for a
 * transposed operand, so transpose explicitly and call the stock kernel
 * untransposed. Batched products take the scalar loop either way and go
 * straight to the stock kernel.
 *
 * For a plain product C = op(A)·op(B) of [M,K]·[K,N] there are two ways:
 * direct, transposing what op() transposes, or C = (op(B)ᵀ·op(A)ᵀ)ᵀ, which
 * transposes the operands op() leaves alone plus the [N,M] result. Each
 * moves some elements and XNNPACK packs the right operand (K×N or K×M) on
 * every call since it changes every step; the cheaper is taken. For the
 * input gradient of a dense layer (dy·Wᵀ) the swap avoids moving the weights.
 */
export function untransposedMatMulKernel(stock: tf.KernelConfig): tf.KernelConfig {
  const { kernelName, backendName } = stock;
  // Bias and activation apply to C itself, so only the plain product may swap.
  const maySwap = kernelName === tf.BatchMatMul;
  return {
    kernelName,
    backendName,
    setupFunc: stock.setupFunc,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
      const calls = new KernelCalls(backend, backendName);
      if ((!transposeA && !transposeB) || batchOf(a.shape) !== 1 || batchOf(b.shape) !== 1) {
        return calls.run(stock, inputs, attrs);
      }
      const temps: tf.TensorInfo[] = [];
      const transposed = (x: tf.TensorInfo): tf.TensorInfo => {
        const t = calls.run(tf.Transpose, { x }, { perm: swapLastTwo(x.shape.length) });
        temps.push(t);
        return t;
      };
      const untransposed = { ...attrs, transposeA: false, transposeB: false };
      const [m, k] = transposeA ? a.shape.slice(-2).reverse() : a.shape.slice(-2);
      const n = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
      const directCost = (transposeA ? m * k : 0) + (transposeB ? k * n : 0) + k * n;
      const swappedCost = (transposeB ? 0 : k * n) + (transposeA ? 0 : m * k) + k * m + m * n;
      let out: tf.TensorInfo;
      if (maySwap && swappedCost < directCost) {
        const outT = calls.run(
          stock,
          { a: transposeB ? b : transposed(b), b: transposeA ? a : transposed(a) },
          untransposed,
        );
        out = calls.run(tf.Transpose, { x: outT }, { perm: swapLastTwo(outT.shape.length) });
        temps.push(outT);
      } else {
        out = calls.run(
          stock,
          { ...inputs, a: transposeA ? transposed(a) : a, b: transposeB ? transposed(b) : b },
          untransposed,
        );
      }
      calls.dispose(...temps);
      return out;
    },
  };
}
