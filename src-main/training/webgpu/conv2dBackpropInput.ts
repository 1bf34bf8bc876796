/**
 * Conv2DBackpropInput (the input gradient of a conv, and the whole of tfjs's conv2dTranspose) as
 * one tiled implicit GEMM (gemm.ts) per stride phase, all phases in one dispatch.
 *
 * The forward conv reads x[iy] under tap ky for output row oy where iy = oy·s - padTop + ky, so
 * dx[iy] = Σ dy[oy] · W[ky] over the taps with iy + padTop - ky divisible by s. With a stride of 2,
 * three taps in four would find no output row; so the input rows are split by phase py = iy mod s:
 * rows iy = py + s·qy take only the taps ky = ky0 + s·j (ky0 = (py + padTop) mod s), and read
 * dy[qy + offY - j] with offY = (py + padTop - ky0) / s. Each phase (py, px) is then a dense
 * stride-1 product: m = (batch, qy, qx), n = the input channel, k = (j, i, output channel),
 * B[k, n] = W[ky0 + s·j, kx0 + s·i, n, co]. A stride of 1 has one phase: the flipped filter over dy.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gemmProgram, gemmShader, gemmTiles, tileCount } from './gemm';
import { int, runProgram, type WebgpuBackend } from './program';

/** The most phases one dispatch takes (strides up to 2 x 2). */
const MAX_PHASES = 4;

const SOURCE = `
  struct GemmGroup {
    first : i32, m : i32, kStart : i32, kEnd : i32,
    py : i32, px : i32, ky0 : i32, kx0 : i32, tapsX : i32, offY : i32, offX : i32, rowsY : i32, rowsX : i32,
  }

  fn gemmGroup(tile : i32) -> GemmGroup {
    var p = 0;
    for (var q = 1; q < uniforms.phases; q = q + 1) {
      if (tile >= uniforms.phaseFirst[q]) {
        p = q;
      }
    }
    let py = p / uniforms.strideW;
    let px = p - py * uniforms.strideW;
    let sh = uniforms.strideH;
    let sw = uniforms.strideW;
    let ky0 = (py + uniforms.padTop) % sh;
    let kx0 = (px + uniforms.padLeft) % sw;
    let tapsY = max(0, (uniforms.filterHeight - ky0 + sh - 1) / sh);
    let tapsX = max(0, (uniforms.filterWidth - kx0 + sw - 1) / sw);
    let rowsY = max(0, (uniforms.inHeight - py + sh - 1) / sh);
    let rowsX = max(0, (uniforms.inWidth - px + sw - 1) / sw);
    return GemmGroup(uniforms.phaseFirst[p], uniforms.batch * rowsY * rowsX, 0, tapsY * tapsX * uniforms.outChannels,
      py, px, ky0, kx0, tapsX, (py + uniforms.padTop - ky0) / sh, (px + uniforms.padLeft - kx0) / sw, rowsY, rowsX);
  }

  // Row m of a phase: (batch, qy, qx).
  fn rowOf(g : GemmGroup, m : i32) -> vec4<i32> {
    let perImage = g.rowsY * g.rowsX;
    let b = m / perImage;
    let r = m - b * perImage;
    let qy = r / g.rowsX;
    return vec4<i32>(b, qy, r - qy * g.rowsX, 0);
  }

  // Column k of a phase: (tap j down, tap i across, output channel).
  fn colOf(g : GemmGroup, k : i32) -> vec4<i32> {
    let perRow = g.tapsX * uniforms.outChannels;
    let j = k / perRow;
    let r = k - j * perRow;
    let i = r / uniforms.outChannels;
    return vec4<i32>(j, i, r - i * uniforms.outChannels, 0);
  }

  fn loadA(g : GemmGroup, row : vec4<i32>, col : vec4<i32>) -> f32 {
    let oy = row.y + g.offY - col.x;
    let ox = row.z + g.offX - col.y;
    if (oy < 0 || oy >= uniforms.outHeight || ox < 0 || ox >= uniforms.outWidth) {
      return 0.0;
    }
    return dy[((row.x * uniforms.outHeight + oy) * uniforms.outWidth + ox) * uniforms.outChannels + col.z];
  }

  fn loadB(g : GemmGroup, k : i32, n : i32) -> f32 {
    let c = colOf(g, k);
    let ky = g.ky0 + uniforms.strideH * c.x;
    let kx = g.kx0 + uniforms.strideW * c.y;
    return W[((ky * uniforms.filterWidth + kx) * uniforms.gemmN + n) * uniforms.outChannels + c.z];
  }

  fn store(g : GemmGroup, m : i32, n : i32, value : f32) {
    let r = rowOf(g, m);
    let iy = g.py + uniforms.strideH * r.y;
    let ix = g.px + uniforms.strideW * r.z;
    result[((r.x * uniforms.inHeight + iy) * uniforms.inWidth + ix) * uniforms.gemmN + n] = value;
  }
`;

const UNIFORMS =
  'phaseFirst : vec4<i32>, phases : i32, batch : i32, inHeight : i32, inWidth : i32, outHeight : i32, outWidth : i32, outChannels : i32, filterHeight : i32, filterWidth : i32, padTop : i32, padLeft : i32, strideH : i32, strideW : i32,';

/** Rows of each phase (py, px) of an input of h x w at strides sh x sw, in the shader's order (p = py·sw + px). */
export function phaseRows(batch: number, h: number, w: number, sh: number, sw: number): number[] {
  const rows: number[] = [];
  for (let py = 0; py < sh; py++) for (let px = 0; px < sw; px++) rows.push(batch * Math.max(0, Math.ceil((h - py) / sh)) * Math.max(0, Math.ceil((w - px) / sw)));
  return rows;
}

/** Conv2DBackpropInput: Strata's phase GEMM, else `original` (NCHW, other dtypes, strides past 2 x 2 phases). */
export function conv2dBackpropInput(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if (a.dataFormat === 'NCHW' || dy.dtype !== 'float32' || filter.dtype !== 'float32') return original(args);
    const info = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], a.strides, 1, a.pad, a.dimRoundingMode);
    const phases = info.strideHeight * info.strideWidth;
    if (phases > MAX_PHASES) return original(args);
    const n = info.inChannels;
    const rows = phaseRows(info.batchSize, info.inHeight, info.inWidth, info.strideHeight, info.strideWidth);
    // One tile size for all phases, from the largest.
    const t = gemmTiles(Math.max(...rows), n);
    const first = [0, 0, 0, 0];
    let tiles = 0;
    rows.forEach((m, p) => {
      first[p] = tiles;
      tiles += tileCount(t, m, n);
    });
    const program = gemmProgram(info.inShape, 'strataConv2DDerInput', ['dy', 'W'], UNIFORMS, t, tiles, gemmShader(t, SOURCE, true));
    return runProgram(args.backend as unknown as WebgpuBackend, 'strataConv2DDerInput', program, [dy, filter], [
      int(...first),
      int(phases),
      int(info.batchSize),
      int(info.inHeight),
      int(info.inWidth),
      int(info.outHeight),
      int(info.outWidth),
      int(info.outChannels),
      int(info.filterHeight),
      int(info.filterWidth),
      int(info.padInfo.top),
      int(info.padInfo.left),
      int(info.strideHeight),
      int(info.strideWidth),
      int(tiles),
      int(n),
      int(Math.ceil(n / t.tn)),
    ]);
  };
}
