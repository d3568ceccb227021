import * as tf from '@tensorflow/tfjs-core';
import { KernelCalls } from './kernel-calls.js';

/**
 * Output phase p of one axis: dx index stride*q + p (q < count) sums dy row
 * q - before + j times filter tap first - stride*j, for j < taps.
 */
interface Phase {
  first: number;
  taps: number;
  count: number;
  before: number;
}

/**
 * dx[i] = sum over (o, k) with o*stride + k - padTop = i of dy[o] * w[k]. For
 * i = stride*q + p the taps are k = r + stride*j with r = (p + padTop) mod
 * stride, read at o = q + c - j with c = floor((p + padTop) / stride).
 */
function phasesOf(size: number, filterSize: number, stride: number, padTop: number): Phase[] {
  return Array.from({ length: stride }, (_, p) => {
    const r = (p + padTop) % stride;
    const c = Math.floor((p + padTop) / stride);
    const taps = Math.max(0, Math.ceil((filterSize - r) / stride));
    return { first: r + stride * (taps - 1), taps, count: Math.ceil((size - p) / stride), before: taps - 1 - c };
  });
}

/**
 * Some phases of one axis computed by one stride-1 convolution over a shared
 * window of dy rows: member m's output q is the convolution's output q + offset.
 */
interface Window {
  members: (Phase & { phase: number; offset: number })[];
  size: number;
  padBefore: number;
  padAfter: number;
}

function windowOf(all: Phase[], phases: number[], dySize: number): Window {
  // A phase without taps (filter smaller than the stride) reads one zero tap.
  const size = Math.max(1, ...phases.map((p) => all[p].taps));
  const padBefore = Math.max(0, ...phases.map((p) => all[p].before));
  const members = phases.map((p) => ({ ...all[p], phase: p, offset: padBefore - all[p].before }));
  const length = Math.max(...members.map((m) => m.offset + m.count));
  // Where the last window ends before dy does, the extra outputs are unused.
  const padAfter = Math.max(0, length - 1 + size - dySize - padBefore);
  return { members, size, padBefore, padAfter };
}

/** Phases computed together: their sub-filters stack along the output channels. */
interface PhaseGroup {
  rows: Window;
  cols: Window;
}

/**
 * Few dx channels would leave most of each matrix-multiply tile idle, so all
 * phases go in one convolution (at the cost of a slightly larger output, the
 * union of the phase windows); otherwise each phase is its own convolution.
 */
const MERGE_BELOW_CHANNELS = 8;

function groupsOf(conv: tf.backend_util.Conv2DInfo): PhaseGroup[] {
  const rowPhases = phasesOf(conv.inHeight, conv.filterHeight, conv.strideHeight, conv.padInfo.top);
  const colPhases = phasesOf(conv.inWidth, conv.filterWidth, conv.strideWidth, conv.padInfo.left);
  const all = (n: number) => Array.from({ length: n }, (_, i) => i);
  if (conv.inChannels < MERGE_BELOW_CHANNELS) {
    return [
      {
        rows: windowOf(rowPhases, all(conv.strideHeight), conv.outHeight),
        cols: windowOf(colPhases, all(conv.strideWidth), conv.outWidth),
      },
    ];
  }
  return all(conv.strideHeight).flatMap((ph) =>
    all(conv.strideWidth).map((pw) => ({
      rows: windowOf(rowPhases, [ph], conv.outHeight),
      cols: windowOf(colPhases, [pw], conv.outWidth),
    })),
  );
}

/**
 * Conv2DBackpropInput (also the forward pass of conv2dTranspose) on the
 * backend's fast Conv2D (XNNPACK on wasm) instead of the stock scalar loop:
 * each of the stride*stride output phases ("sub-pixels") of dx is a stride-1
 * convolution of dy with the sub-filter of the taps that reach it, and the
 * phase outputs interleave into dx. With stride 1 that is one convolution
 * with the flipped filter. NCHW runs the `stock` kernel.
 */
export function conv2dBackpropInputKernel(backendName: string, stock: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropInput,
    backendName,
    setupFunc: stock.setupFunc,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
      const calls = new KernelCalls(backend, backendName);
      if (a.dataFormat === 'NCHW') return calls.run(stock, inputs, attrs);
      const conv = tf.backend_util.computeConv2DInfo(
        a.inputShape,
        filter.shape as [number, number, number, number],
        a.strides,
        1,
        a.pad,
        a.dimRoundingMode,
      );
      return subPixelInputGradient(calls, dy, filter, conv);
    },
  };
}

function subPixelInputGradient(
  calls: KernelCalls,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  conv: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const groups = groupsOf(conv);
  const outputs = groups.map(({ rows, cols }) => {
    const subFilters = calls.create(
      [rows.size, cols.size, conv.outChannels, rows.members.length * cols.members.length * conv.inChannels],
      (out) => stackSubFilters(out, calls.values(filter), conv, rows, cols),
    );
    const output = calls.run(
      tf.Conv2D,
      { x: dy, filter: subFilters },
      {
        strides: [1, 1],
        pad: [
          [0, 0],
          [rows.padBefore, rows.padAfter],
          [cols.padBefore, cols.padAfter],
          [0, 0],
        ],
        dilations: [1, 1],
        dataFormat: 'NHWC',
      },
    );
    calls.dispose(subFilters);
    return output;
  });
  if (outputs.length === 1 && tf.util.arraysEqual(outputs[0].shape, conv.inShape)) return outputs[0];
  const dx = calls.create(conv.inShape, (out) =>
    interleave(
      out,
      outputs.map((o) => ({ values: calls.values(o), shape: o.shape })),
      conv,
      groups,
    ),
  );
  calls.dispose(...outputs);
  return dx;
}

/**
 * filter [kh, kw, in, out] -> sub-filters [jh, jw, out, member * in + in],
 * zero where a member has fewer taps than the shared window.
 */
function stackSubFilters(
  out: Float32Array,
  filter: Float32Array,
  conv: tf.backend_util.Conv2DInfo,
  rows: Window,
  cols: Window,
): void {
  const { filterWidth, inChannels, outChannels, strideHeight, strideWidth } = conv;
  const outStride = rows.members.length * cols.members.length * inChannels;
  out.fill(0);
  rows.members.forEach((row, mh) => {
    cols.members.forEach((col, mw) => {
      const memberBase = (mh * cols.members.length + mw) * inChannels;
      for (let jh = 0; jh < row.taps; jh++) {
        for (let jw = 0; jw < col.taps; jw++) {
          const tap = (row.first - strideHeight * jh) * filterWidth + (col.first - strideWidth * jw);
          const src = tap * inChannels * outChannels;
          const dst = (jh * cols.size + jw) * outChannels * outStride + memberBase;
          for (let ci = 0; ci < inChannels; ci++) {
            for (let co = 0; co < outChannels; co++) {
              out[dst + co * outStride + ci] = filter[src + ci * outChannels + co];
            }
          }
        }
      }
    });
  });
}

/**
 * dx[b, sh*q + ph, sw*q' + pw, :] = the output of the group holding phases
 * (ph, pw) at [b, q + row offset, q' + column offset, that member's channels].
 */
function interleave(
  dx: Float32Array,
  outputs: { values: Float32Array; shape: number[] }[],
  conv: tf.backend_util.Conv2DInfo,
  groups: PhaseGroup[],
): void {
  groups.forEach(({ rows, cols }, g) => {
    const { values, shape } = outputs[g];
    for (const [mh, row] of rows.members.entries()) {
      for (const [mw, col] of cols.members.entries()) {
        copyPhase(dx, conv, values, shape, (mh * cols.members.length + mw) * conv.inChannels, row, col);
      }
    }
  });
}

function copyPhase(
  dx: Float32Array,
  { batchSize, inHeight, inWidth, inChannels, strideHeight, strideWidth }: tf.backend_util.Conv2DInfo,
  src: Float32Array,
  [, height, width, channels]: number[],
  channelBase: number,
  row: Window['members'][number],
  col: Window['members'][number],
): void {
  const dxStep = strideWidth * inChannels;
  for (let b = 0; b < batchSize; b++) {
    for (let q = 0; q < row.count; q++) {
      let d = ((b * inHeight + strideHeight * q + row.phase) * inWidth + col.phase) * inChannels;
      let s = ((b * height + q + row.offset) * width + col.offset) * channels + channelBase;
      for (let q2 = 0; q2 < col.count; q2++, d += dxStep, s += channels) {
        for (let c = 0; c < inChannels; c++) dx[d + c] = src[s + c];
      }
    }
  }
}
