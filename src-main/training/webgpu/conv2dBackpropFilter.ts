/**
 * Conv2DBackpropFilter as a split-K reduction. tfjs's shader gives one invocation per filter
 * element, each summing over batch x height x width (2,304 invocations of 326,432 products for a
 * 3x3 16->16 layer at batch 32), which cannot fill a GPU (docs/adr/0005). Here the batch x pixel
 * range is cut into up to MAX_SPLITS chunks: one pass writes a partial sum per chunk and filter
 * element, a second adds the chunks. NCHW and other dtypes keep tfjs's kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { flatProgram, int, runProgram, type WebgpuBackend } from './program';

/** Products per chunk the split aims at, and the most chunks. */
const CHUNK = 256;
const MAX_SPLITS = 64;

/** How many chunks a reduction over `pixels` products is cut into. */
export function filterGradientSplits(pixels: number): number {
  return Math.min(MAX_SPLITS, Math.max(1, Math.ceil(pixels / CHUNK)));
}

/** Pass 1: partial[s * kh + wR, wC, d1, d2] = the sum over chunk s of x(b, xR, xC, d1) * dy(b, yR, yC, d2). */
const PARTIAL = `
  fn main(index : i32) {
    if (index < uniforms.size) {
      let c = getCoordsFromIndex(index);
      let s = c[0] / uniforms.kernelHeight;
      let wR = c[0] - s * uniforms.kernelHeight;
      let wC = c[1];
      let d1 = c[2];
      let d2 = c[3];
      let perImage = uniforms.outHeight * uniforms.outWidth;
      let start = s * uniforms.chunk;
      let end = min(start + uniforms.chunk, uniforms.pixels);
      var acc = 0.0;
      for (var p = start; p < end; p = p + 1) {
        let b = p / perImage;
        let r = p - b * perImage;
        let yR = r / uniforms.outWidth;
        let yC = r - yR * uniforms.outWidth;
        let xR = wR + yR * uniforms.strides[0] - uniforms.pads[0];
        let xC = wC + yC * uniforms.strides[1] - uniforms.pads[1];
        if (xR >= 0 && xR < uniforms.inHeight && xC >= 0 && xC < uniforms.inWidth) {
          acc = acc + getX(b, xR, xC, d1) * getDy(b, yR, yC, d2);
        }
      }
      setOutputAtIndex(index, acc);
    }
  }`;

/** Pass 2: the filter gradient, the chunks' partial sums added in order. */
const REDUCE = `
  fn main(index : i32) {
    if (index < uniforms.size) {
      var acc = 0.0;
      for (var s = 0; s < uniforms.splits; s = s + 1) {
        acc = acc + partial[s * uniforms.size + index];
      }
      setOutputAtIndex(index, acc);
    }
  }`;

export function conv2dBackpropFilter(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (attrs.dataFormat === 'NCHW' || x.dtype !== 'float32') return original(args);
    const backend = args.backend as unknown as WebgpuBackend;
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    const pixels = info.batchSize * info.outHeight * info.outWidth;
    const splits = filterGradientSplits(pixels);
    const [kh, kw, cin, cout] = info.filterShape;
    const partialProgram = flatProgram(
      [splits * kh, kw, cin, cout],
      'strataConv2DDerFilterPartial',
      ['x', 'dy'],
      'pads : vec2<i32>, strides : vec2<i32>, outHeight : i32, outWidth : i32, inHeight : i32, inWidth : i32, kernelHeight : i32, pixels : i32, chunk : i32,',
      PARTIAL,
    );
    const partial = runProgram(backend, 'strataConv2DDerFilterPartial', partialProgram, [x, dy], [
      int(info.padInfo.top, info.padInfo.left),
      int(info.strideHeight, info.strideWidth),
      int(info.outHeight),
      int(info.outWidth),
      int(info.inHeight),
      int(info.inWidth),
      int(kh),
      int(pixels),
      int(Math.ceil(pixels / splits)),
    ]);
    if (splits === 1) return partial;
    const out = runProgram(backend, 'strataConv2DDerFilterReduce', flatProgram(info.filterShape, 'strataConv2DDerFilterReduce', ['partial'], 'splits : i32,', REDUCE), [partial], [int(splits)]);
    backend.disposeData(partial.dataId);
    return out;
  };
}
