import * as tf from '@tensorflow/tfjs-core';
import { KernelCalls } from './kernel-calls.js';
import { appendZeroImages, batchToChannels } from './layouts.js';
import { transposedPatches } from './transposed-patches.js';

/**
 * Rows (filter taps x input channels) up to which the filter gradient is the
 * patch-matrix product: both forms pay for XNNPACK packing dy on every call;
 * the convolution also has the wasm Conv2D transpose it, the product has the
 * patch matrix built in JS, which grows with the rows. Measured on wasm at
 * batch 64: 9-32 rows 0-45% faster, 36 and more 5-40% slower.
 */
const PATCH_ROWS_MAX = 32;

/**
 * Conv2DBackpropFilter on the backend's fast matrix kernels (XNNPACK on wasm)
 * instead of a scalar loop:
 *
 *   dW[kh,kw,ci,co] = sum_{b,oh,ow} x[b, oh*sh + kh - top, ow*sw + kw - left, ci] * dy[b,oh,ow,co]
 *
 * For few rows kh*kw*ci that is one product Pᵀ·dy of the transposed patch
 * matrix [kh*kw*ci, b*oh*ow] with dy as [b*oh*ow, co], neither operand
 * transposed (XNNPACK's only fast case on wasm).
 *
 * Otherwise it is ONE forward convolution: a stride-1 convolution of x' = x
 * laid out as [ci,H,W,b] (the batch becomes the channels) with the filter
 * dy' = dy laid out as [oh,ow,b,co], dilated by the forward stride; its
 * [ci,kh,kw,co] output transposed back is dW.
 *
 * `fallback` handles what these forms do not (NCHW); without one those throw.
 * `alignBatch` appends a zero image (it adds nothing to dW) where the batch
 * would give the rows of dy' a stride of a multiple of 1 KiB: the wasm Conv2D
 * transposes its filter on every call, and with such strides the writes of
 * that transpose keep landing in the same cache set (2-3x slower for the whole
 * kernel at batch 64).
 */
export function conv2dBackpropFilterKernel(
  backendName: string,
  { fallback, alignBatch = false }: { fallback?: tf.KernelConfig; alignBatch?: boolean } = {},
): tf.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropFilter,
    backendName,
    setupFunc: fallback?.setupFunc,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      const calls = new KernelCalls(backend, backendName);
      if (a.dataFormat === 'NCHW') {
        if (fallback) return calls.run(fallback, inputs, attrs);
        throw new Error(`Conv2DBackpropFilter on '${backendName}' supports only dataFormat 'NHWC'`);
      }
      const conv = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        a.filterShape,
        a.strides,
        1,
        a.pad,
        a.dimRoundingMode,
      );
      return conv.filterHeight * conv.filterWidth * conv.inChannels <= PATCH_ROWS_MAX
        ? patchFilterGradient(calls, x, dy, conv)
        : dilatedConvFilterGradient(calls, x, dy, conv, alignBatch);
    },
  };
}

function patchFilterGradient(
  calls: KernelCalls,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  conv: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { filterHeight, filterWidth, inChannels, outChannels } = conv;
  const patches = conv.batchSize * conv.outHeight * conv.outWidth;
  const patchesT = calls.create([filterHeight * filterWidth * inChannels, patches], (out) =>
    transposedPatches(calls.values(x), out, conv),
  );
  const dyMatrix = calls.run(tf.Reshape, { x: dy }, { shape: [patches, outChannels] });
  const grad = calls.run(tf.BatchMatMul, { a: patchesT, b: dyMatrix }, { transposeA: false, transposeB: false });
  calls.dispose(patchesT, dyMatrix);
  const out = calls.run(tf.Reshape, { x: grad }, { shape: conv.filterShape });
  calls.dispose(grad);
  return out;
}

function dilatedConvFilterGradient(
  calls: KernelCalls,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  conv: tf.backend_util.Conv2DInfo,
  alignBatch: boolean,
): tf.TensorInfo {
  const { strideHeight, strideWidth, filterHeight, filterWidth, inHeight, inWidth, outHeight, outWidth } = conv;
  const { top, left } = conv.padInfo;
  // Pad the bottom/right so the output is exactly filterHeight x filterWidth;
  // where rows are never read (negative padding) the larger output is cropped.
  const bottom = filterHeight + (outHeight - 1) * strideHeight - inHeight - top;
  const right = filterWidth + (outWidth - 1) * strideWidth - inWidth - left;

  const { batchSize, inChannels, outChannels } = conv;
  const images = alignBatch && (outHeight * outWidth * batchSize) % 256 === 0 ? batchSize + 1 : batchSize;
  const xT = calls.create([inChannels, inHeight, inWidth, images], (out) =>
    batchToChannels(calls.values(x), out, batchSize, inHeight * inWidth, inChannels, images),
  );
  // dy' is a cheap transpose (channel rows move whole) once dy holds `images` images.
  const dyPadded =
    images === batchSize
      ? dy
      : calls.create([images, outHeight, outWidth, outChannels], (out) => appendZeroImages(calls.values(dy), out));
  const dyT = calls.run(tf.Transpose, { x: dyPadded }, { perm: [1, 2, 0, 3] });
  if (dyPadded !== dy) calls.dispose(dyPadded);
  let grad = calls.run(
    tf.Conv2D,
    { x: xT, filter: dyT },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [top, Math.max(0, bottom)],
        [left, Math.max(0, right)],
        [0, 0],
      ],
      dilations: [strideHeight, strideWidth],
      dataFormat: 'NHWC',
    },
  );
  calls.dispose(xT, dyT);
  if (bottom < 0 || right < 0) {
    const cropped = calls.run(
      tf.Slice,
      { x: grad },
      { begin: [0, 0, 0, 0], size: [inChannels, filterHeight, filterWidth, outChannels] },
    );
    calls.dispose(grad);
    grad = cropped;
  }
  const out = calls.run(tf.Transpose, { x: grad }, { perm: [1, 2, 0, 3] });
  calls.dispose(grad);
  return out;
}

