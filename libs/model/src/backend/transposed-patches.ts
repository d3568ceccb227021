import type * as tf from '@tensorflow/tfjs-core';

/**
 * The transposed patch matrix of a convolution ("im2col" transposed): x
 * [batch, inHeight, inWidth, inChannels] -> Pᵀ [filterHeight * filterWidth *
 * inChannels, batch * outHeight * outWidth] with
 *
 *   Pᵀ[(kh * filterWidth + kw) * inChannels + ci, (b * outHeight + oh) * outWidth + ow]
 *     = x[b, oh * strideHeight + kh - top, ow * strideWidth + kw - left, ci],
 *
 * zero where that pixel lies in the padding. Filled row by row, so the writes
 * are sequential and the reads stride through x.
 */
export function transposedPatches(src: Float32Array, dst: Float32Array, conv: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth } = conv;
  const { filterHeight, filterWidth } = conv;
  const { top, left } = conv.padInfo;
  const srcStep = strideWidth * inChannels;
  let d = 0;
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      // The outputs whose column iw = ow * strideWidth + kw - left lies inside x.
      const owBegin = Math.min(outWidth, Math.max(0, Math.ceil((left - kw) / strideWidth)));
      const owEnd = Math.max(owBegin, Math.min(outWidth, Math.floor((inWidth - 1 + left - kw) / strideWidth) + 1));
      for (let ci = 0; ci < inChannels; ci++) {
        for (let b = 0; b < batchSize; b++) {
          for (let oh = 0; oh < outHeight; oh++) {
            const ih = oh * strideHeight + kh - top;
            if (ih < 0 || ih >= inHeight) {
              for (let ow = 0; ow < outWidth; ow++) dst[d++] = 0;
              continue;
            }
            let ow = 0;
            for (; ow < owBegin; ow++) dst[d++] = 0;
            let s = ((b * inHeight + ih) * inWidth + owBegin * strideWidth + kw - left) * inChannels + ci;
            for (; ow < owEnd; ow++, s += srcStep) dst[d++] = src[s];
            for (; ow < outWidth; ow++) dst[d++] = 0;
          }
        }
      }
    }
  }
}
