/**
 * Conv2D and FusedConv2D (bias, and ReLU where tfjs fuses it: inference only, as tfjs-core fuses
 * an activation only where no gradient is taken) as one tiled implicit GEMM (gemm.ts):
 * C[m, n] = Σ_k A[m, k] · W[k, n] with m = (batch, output row, output column), n the output channel,
 * k = (filter row, filter column, input channel), A[m, k] the input pixel under that tap (0 in the
 * padding). NHWC float32 without dilation; anything else keeps tfjs's kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gemmProgram, gemmShader, gemmTiles, tileCount } from './gemm';
import { int, runProgram, type WebgpuBackend } from './program';

/** How the bias is read: none, one per output channel, or one for all. */
type BiasMode = 'none' | 'channel' | 'scalar';

const SOURCE = (bias: BiasMode) => {
  const biasTerm = bias === 'channel' ? ' + bias[n]' : bias === 'scalar' ? ' + bias[0]' : '';
  return `
  struct GemmGroup { first : i32, m : i32, kStart : i32, kEnd : i32 }

  fn gemmGroup(tile : i32) -> GemmGroup {
    return GemmGroup(0, uniforms.gemmM, 0, uniforms.gemmK);
  }

  // Row m: (batch, output row, output column) -> (the batch's first input row, the top and left input coordinates under tap (0, 0)).
  fn rowOf(g : GemmGroup, m : i32) -> vec4<i32> {
    let perImage = uniforms.outHeight * uniforms.outWidth;
    let b = m / perImage;
    let r = m - b * perImage;
    let oy = r / uniforms.outWidth;
    let ox = r - oy * uniforms.outWidth;
    return vec4<i32>(b * uniforms.inHeight, oy * uniforms.strideH - uniforms.padTop, ox * uniforms.strideW - uniforms.padLeft, 0);
  }

  // Column k: (filter row, filter column, input channel).
  fn colOf(g : GemmGroup, k : i32) -> vec4<i32> {
    let perRow = uniforms.filterWidth * uniforms.inChannels;
    let ky = k / perRow;
    let r = k - ky * perRow;
    let kx = r / uniforms.inChannels;
    return vec4<i32>(ky, kx, r - kx * uniforms.inChannels, 0);
  }

  fn loadA(g : GemmGroup, row : vec4<i32>, col : vec4<i32>) -> f32 {
    let iy = row.y + col.x;
    let ix = row.z + col.y;
    if (iy < 0 || iy >= uniforms.inHeight || ix < 0 || ix >= uniforms.inWidth) {
      return 0.0;
    }
    return x[((row.x + iy) * uniforms.inWidth + ix) * uniforms.inChannels + col.z];
  }

  fn loadB(g : GemmGroup, k : i32, n : i32) -> f32 {
    return W[k * uniforms.gemmN + n];
  }

  fn store(g : GemmGroup, m : i32, n : i32, value : f32) {
    let v = value${biasTerm};
    result[m * uniforms.gemmN + n] = select(v, 0.0, uniforms.relu != 0 && v < 0.0);
  }
`;
};

// relu is a uniform rather than a constant: one shader less to compile (seconds each on SwiftShader) for a select per output.
const UNIFORMS =
  'relu : i32, inHeight : i32, inWidth : i32, inChannels : i32, outHeight : i32, outWidth : i32, filterWidth : i32, padTop : i32, padLeft : i32, strideH : i32, strideW : i32, gemmM : i32, gemmK : i32,';

/** Runs the GEMM for `info`, or returns null where it does not apply (tfjs's kernel then runs). */
function conv2dGemm(backend: WebgpuBackend, x: tf.TensorInfo, filter: tf.TensorInfo, bias: tf.TensorInfo | null, relu: boolean, info: tf.backend_util.Conv2DInfo): tf.TensorInfo | null {
  if (info.dataFormat !== 'channelsLast' || info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || (bias !== null && bias.dtype !== 'float32')) return null;
  let mode: BiasMode = 'none';
  if (bias !== null) {
    const size = tf.util.sizeFromShape(bias.shape);
    if (bias.shape.length > 1 || (size !== info.outChannels && size !== 1)) return null;
    mode = size === info.outChannels ? 'channel' : 'scalar';
  }
  const m = info.batchSize * info.outHeight * info.outWidth;
  const n = info.outChannels;
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const t = gemmTiles(m, n);
  const tiles = tileCount(t, m, n);
  const program = gemmProgram(
    info.outShape,
    `strataConv2D_${mode}`,
    bias === null ? ['x', 'W'] : ['x', 'W', 'bias'],
    UNIFORMS,
    t,
    tiles,
    gemmShader(t, SOURCE(mode), false),
  );
  const inputs = bias === null ? [x, filter] : [x, filter, bias];
  return runProgram(backend, 'strataConv2D', program, inputs, [
    int(relu ? 1 : 0),
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
    int(k),
    int(tiles),
    int(n),
    int(Math.ceil(n / t.tn)),
  ]);
}

type Shape4 = [number, number, number, number];

/** Conv2D: Strata's GEMM, else `original`. */
export function conv2d(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, filter } = args.inputs as unknown as tf.Conv2DInputs & { x: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as tf.Conv2DAttrs;
    const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, a.strides, a.dilations, a.pad, a.dimRoundingMode, false, tf.backend_util.convertConv2DDataFormat(a.dataFormat));
    return conv2dGemm(args.backend as unknown as WebgpuBackend, x, filter, null, false, info) ?? original(args);
  };
}

/** FusedConv2D with a bias or none, linear or ReLU: Strata's GEMM, else `original` (PReLU, other activations, other bias shapes). */
export function fusedConv2d(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const inputs = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
    const a = args.attrs as unknown as tf.FusedConv2DAttrs;
    const activation = a.activation ?? 'linear';
    if ((activation !== 'linear' && activation !== 'relu') || inputs.preluActivationWeights != null) return original(args);
    const { x, filter } = inputs;
    const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, a.strides, a.dilations, a.pad, a.dimRoundingMode, false, tf.backend_util.convertConv2DDataFormat(a.dataFormat));
    return conv2dGemm(args.backend as unknown as WebgpuBackend, x, filter, inputs.bias ?? null, activation === 'relu', info) ?? original(args);
  };
}
