/**
 * Layout changes that append all-zero images to a batch (which the Transpose
 * kernel cannot), as plain loops over float32 arrays (heap views on wasm).
 */

/** Images read at a time: even when their strides alias to one cache set, the lines fit in its ways. */
const BATCH_BLOCK = 8;

/**
 * [batch, pixels, channels] -> [channels, pixels, paddedBatch]: the batch
 * becomes the channels, images from `batch` on are zero.
 */
export function batchToChannels(
  src: Float32Array,
  dst: Float32Array,
  batch: number,
  pixels: number,
  channels: number,
  paddedBatch: number,
): void {
  for (let p = 0; p < pixels; p++) {
    for (let b0 = 0; b0 < batch; b0 += BATCH_BLOCK) {
      const b1 = Math.min(batch, b0 + BATCH_BLOCK);
      for (let c = 0; c < channels; c++) {
        let s = (b0 * pixels + p) * channels + c;
        let d = (c * pixels + p) * paddedBatch + b0;
        for (let b = b0; b < b1; b++, s += pixels * channels) dst[d++] = src[s];
      }
    }
    if (paddedBatch > batch) {
      for (let c = 0; c < channels; c++) {
        const d = (c * pixels + p) * paddedBatch;
        dst.fill(0, d + batch, d + paddedBatch);
      }
    }
  }
}

/** [batch, ...] -> [paddedBatch, ...], the added images all zero. */
export function appendZeroImages(src: Float32Array, dst: Float32Array): void {
  dst.set(src);
  dst.fill(0, src.length);
}
