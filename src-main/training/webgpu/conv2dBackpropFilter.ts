/**
 * Conv2DBackpropFilter as a split-K tiled GEMM (gemm.ts): dW[m, n] = Σ_k A[m, k] · dy[k, n] with
 * m = (filter row, filter column, input channel), n the output channel, and k = (batch, output row,
 * output column) the pixel, A[m, k] the input under that tap (0 in the padding). tfjs's shader gives
 * one invocation per filter element, each summing over batch x height x width (2,304 invocations of
 * 326,432 products for a 3x3 16->16 layer at batch 32), which cannot fill a GPU (docs/adr/0005).
 * Here the pixels are cut into chunks, one product per chunk in one dispatch, enough for
 * TARGET_WORKGROUPS workgroups; a second pass adds the chunks' partial filters. NCHW and other
 * dtypes keep tfjs's kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gemmProgram, gemmShader, gemmTiles, tileCount } from './gemm';
import { flatProgram, int, runProgram, type WebgpuBackend } from './program';

/** Fewest pixels a chunk sums, most chunks, and the workgroups the split aims at. */
const MIN_CHUNK = 256;
const MAX_SPLITS = 256;
const TARGET_WORKGROUPS = 256;

/** How many chunks a filter gradient over `pixels` pixels is cut into, when one product takes `tiles` tiles. */
export function filterGradientSplits(pixels: number, tiles: number): number {
  return Math.max(1, Math.min(MAX_SPLITS, Math.ceil(pixels / MIN_CHUNK), Math.ceil(TARGET_WORKGROUPS / tiles)));
}

const SOURCE = `
  struct GemmGroup { first : i32, m : i32, kStart : i32, kEnd : i32, split : i32 }

  fn gemmGroup(tile : i32) -> GemmGroup {
    let s = tile / uniforms.splitTiles;
    return GemmGroup(s * uniforms.splitTiles, uniforms.gemmM, s * uniforms.chunk, min((s + 1) * uniforms.chunk, uniforms.pixels), s);
  }

  // Row m: (filter row, filter column, input channel) -> (the tap's offsets from the output pixel's top left input, channel).
  fn rowOf(g : GemmGroup, m : i32) -> vec4<i32> {
    let perRow = uniforms.filterWidth * uniforms.inChannels;
    let ky = m / perRow;
    let r = m - ky * perRow;
    let kx = r / uniforms.inChannels;
    return vec4<i32>(ky - uniforms.padTop, kx - uniforms.padLeft, r - kx * uniforms.inChannels, 0);
  }

  // Column k, the pixel: (batch, output row, output column) -> (the batch's first input row, the input coordinates of tap (0, 0) unpadded).
  fn colOf(g : GemmGroup, k : i32) -> vec4<i32> {
    let perImage = uniforms.outHeight * uniforms.outWidth;
    let b = k / perImage;
    let r = k - b * perImage;
    let oy = r / uniforms.outWidth;
    return vec4<i32>(b * uniforms.inHeight, oy * uniforms.strideH, (r - oy * uniforms.outWidth) * uniforms.strideW, 0);
  }

  fn loadA(g : GemmGroup, row : vec4<i32>, col : vec4<i32>) -> f32 {
    let iy = col.y + row.x;
    let ix = col.z + row.y;
    if (iy < 0 || iy >= uniforms.inHeight || ix < 0 || ix >= uniforms.inWidth) {
      return 0.0;
    }
    return x[((col.x + iy) * uniforms.inWidth + ix) * uniforms.inChannels + row.z];
  }

  fn loadB(g : GemmGroup, k : i32, n : i32) -> f32 {
    return dy[k * uniforms.gemmN + n];
  }

  fn store(g : GemmGroup, m : i32, n : i32, value : f32) {
    result[(g.split * uniforms.gemmM + m) * uniforms.gemmN + n] = value;
  }
`;

const UNIFORMS =
  'inHeight : i32, inWidth : i32, inChannels : i32, outHeight : i32, outWidth : i32, filterWidth : i32, padTop : i32, padLeft : i32, strideH : i32, strideW : i32, gemmM : i32, pixels : i32, chunk : i32, splitTiles : i32,';

/** Pass 2: the filter gradient, the chunks' partial filters added in order. */
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

/** Conv2DBackpropFilter: Strata's split-K GEMM, else `original` (NCHW, other dtypes). */
export function conv2dBackpropFilter(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (attrs.dataFormat === 'NCHW' || x.dtype !== 'float32' || dy.dtype !== 'float32') return original(args);
    const backend = args.backend as unknown as WebgpuBackend;
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    const pixels = info.batchSize * info.outHeight * info.outWidth;
    const [kh, kw, cin, cout] = info.filterShape;
    const m = kh * kw * cin;
    const t = gemmTiles(m, cout);
    const splitTiles = tileCount(t, m, cout);
    const splits = filterGradientSplits(pixels, splitTiles);
    const chunk = Math.ceil(pixels / splits);
    const program = gemmProgram(splits === 1 ? info.filterShape : [splits, kh, kw, cin * cout], 'strataConv2DDerFilter', ['x', 'dy'], UNIFORMS, t, splits * splitTiles, gemmShader(t, SOURCE, false));
    const partial = runProgram(backend, 'strataConv2DDerFilter', program, [x, dy], [
      int(info.inHeight),
      int(info.inWidth),
      int(info.inChannels),
      int(info.outHeight),
      int(info.outWidth),
      int(info.filterWidth),
      int(info.padInfo.top),
      int(info.padInfo.left),
      int(info.strideHeight),
      int(info.strideWidth),
      int(m),
      int(pixels),
      int(chunk),
      int(splitTiles),
      int(splits * splitTiles),
      int(cout),
      int(Math.ceil(cout / t.tn)),
    ]);
    if (splits === 1) return partial;
    const out = runProgram(backend, 'strataConv2DDerFilterReduce', flatProgram(info.filterShape, 'strataConv2DDerFilterReduce', ['partial'], 'splits : i32,', REDUCE), [partial], [int(splits)]);
    backend.disposeData(partial.dataId);
    return out;
  };
}
