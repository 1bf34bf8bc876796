/**
 * Conv2D and FusedConv2D (bias, no activation) for the wasm backend, on kernels.wat's conv_fwd
 * where it applies: small filters, no dilation, input channels divisible by 4 and output
 * channels by 8. XNNPACK's convolution runs the U-Net's layers at about 80-88 GFLOP/s on two
 * cores; the direct loop reaches 88-105 on up to 128 channels because it needs no indirection
 * buffer or packing and keeps 4 pixels x 8 channels in registers. Every other case goes to
 * tfjs-backend-wasm's own kernel. Also used by Conv2DBackpropInput, whose stride-1 form and
 * stride-s phases are convolutions too.
 */
import { backend_util } from '@tensorflow/tfjs-core';
import type { Conv2DAttrs, FusedConv2DAttrs, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset, withFastPath, type SpatialPadding } from './backend-kernels';
import { simdKernels, splitRows } from './simd-kernels';

/** Largest filter (taps) the direct loop takes; bigger ones (e.g. the filter gradient's fallback) stay on XNNPACK. */
const MAX_TAPS = 49;
/**
 * Largest cin x cout the direct loop takes. Measured at batch 32, 3x3 (test/bench/convKernels.ts):
 * against XNNPACK, 16 -> 16 and 32 -> 32 channels run 20% faster, 64 -> 64 12% faster, 128 -> 128
 * about the same (the input gradient of the 64 -> 128 stride-2 layer 25% faster). Wider layers,
 * whose weights outgrow the cache the loop streams them from, stay on XNNPACK.
 */
const MAX_CHANNEL_PRODUCT = 128 * 128;
/** Output rows below which one thread does the whole conv. */
const MIN_ROWS_PER_THREAD = 4;

/** Where a direct conv's output pixels go: row p·stride[0] + offset[0], column q·stride[1] + offset[1] of `out`. */
export interface OutputPlacement {
  out: TensorInfo;
  stride: [number, number];
  offset: [number, number];
}

/**
 * Whether the direct loop takes `x` (NHWC) by `filter` (HWIO) with `bias` on `backend`: SIMD
 * kernels running, float32, input channels divisible by 4, output channels by 8, small filters
 * and channel counts.
 */
export function directConvApplies(backend: BackendWasm, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | null): boolean {
  if (simdKernels(backend) === null) return false;
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || (bias !== null && bias.dtype !== 'float32')) return false;
  if (x.shape.length !== 4 || filter.shape.length !== 4) return false;
  const cin = x.shape[3] ?? 0;
  const [kh, kw, fin, cout] = filter.shape as [number, number, number, number];
  if (fin !== cin || cin % 4 !== 0 || cout % 8 !== 0 || cin === 0 || cout === 0 || kh * kw > MAX_TAPS || cin * cout > MAX_CHANNEL_PRODUCT) return false;
  return bias === null || (bias.shape.length === 1 && bias.shape[0] === cout);
}

/**
 * Runs the direct loop (the caller checked {@link directConvApplies}): the `outRows` x `outCols`
 * outputs of `x` convolved with `filter` at `stride`, the first reading x from row -top, column
 * -left (top and left may be negative: the outputs then start inside x), written to `place`.
 */
export function runDirectConv(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | null,
  geometry: { stride: [number, number]; top: number; left: number; outRows: number; outCols: number },
  place: OutputPlacement,
): void {
  const simd = simdKernels(backend);
  if (simd === null) throw new Error('runDirectConv: the SIMD kernels are not available');
  const [n, h, w, cin] = x.shape as [number, number, number, number];
  const [kh, kw, , cout] = filter.shape as [number, number, number, number];
  const [, ohf, owf] = place.out.shape as [number, number, number, number];
  const { stride, top, left, outRows, outCols } = geometry;
  const xPtr = heapOffset(backend, x);
  const wPtr = heapOffset(backend, filter);
  const bPtr = bias === null ? 0 : heapOffset(backend, bias);
  const oPtr = heapOffset(backend, place.out);
  const ranges = splitRows(n * outRows, simd.threads, MIN_ROWS_PER_THREAD);
  // What a tap in the left or right padding reads: one pixel of zeros.
  const zeros = simd.malloc(4 * cin);
  try {
    new Float32Array(simd.heap, zeros, cin).fill(0);
    simd.run(
      'conv_fwd',
      ranges.map(([r0, r1]) => [
        xPtr, wPtr, bPtr, oPtr, h, w, cin, outRows, outCols, cout, kh, kw, stride[0], stride[1], top, left, r0, r1,
        ohf, owf, place.stride[0], place.stride[1], place.offset[0], place.offset[1], zeros,
      ]),
    );
  } finally {
    simd.free(zeros);
  }
}

/**
 * `x` (NHWC) convolved with `filter` (HWIO) at `stride` with explicit padding, plus `bias` per
 * output channel if given, on the SIMD kernels; null where they do not apply (the caller runs
 * XNNPACK instead).
 */
export function simdConv2d(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | null,
  stride: [number, number],
  pad: SpatialPadding,
): TensorInfo | null {
  if (!directConvApplies(backend, x, filter, bias)) return null;
  const [n, h, w] = x.shape as [number, number, number, number];
  const [kh, kw, , cout] = filter.shape as [number, number, number, number];
  const [sh, sw] = stride;
  const oh = Math.floor((h + pad.top + pad.bottom - kh) / sh) + 1;
  const ow = Math.floor((w + pad.left + pad.right - kw) / sw) + 1;
  if (!(n > 0 && oh > 0 && ow > 0 && sh > 0 && sw > 0) || Math.min(pad.top, pad.left, pad.bottom, pad.right) < 0) return null;
  const out = backend.makeOutput([n, oh, ow, cout], 'float32');
  runDirectConv(backend, x, filter, bias, { stride, top: pad.top, left: pad.left, outRows: oh, outCols: ow }, { out, stride: [1, 1], offset: [0, 0] });
  return out;
}

/** The padding and strides of a conv's attrs, or null where the direct loop does not apply (dilation, NCHW). */
function geometry(x: TensorInfo, filter: TensorInfo, attrs: Conv2DAttrs): { stride: [number, number]; pad: SpatialPadding } | null {
  if (attrs.dataFormat !== 'NHWC' || x.shape.length !== 4 || filter.shape.length !== 4) return null;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  const { top, bottom, left, right } = info.padInfo;
  return { stride: [info.strideHeight, info.strideWidth], pad: { top, bottom, left, right } };
}

/** Conv2D: the direct loop where it applies, else `stock` (tfjs-backend-wasm's XNNPACK kernel). */
export function makeConv2DConfig(stock: KernelConfig): KernelConfig {
  return withFastPath(stock, (args, backend) => {
    const { x, filter } = args.inputs;
    if (x === undefined || filter === undefined) return null;
    const g = geometry(x, filter, args.attrs as unknown as Conv2DAttrs);
    return g === null ? null : simdConv2d(backend, x, filter, null, g.stride, g.pad);
  });
}

/** FusedConv2D with a bias and no activation: the direct loop where it applies, else `stock`. */
export function makeFusedConv2DConfig(stock: KernelConfig): KernelConfig {
  return withFastPath(stock, (args, backend) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs;
    const attrs = args.attrs as unknown as FusedConv2DAttrs;
    if (x === undefined || filter === undefined || preluActivationWeights !== undefined || (attrs.activation ?? 'linear') !== 'linear') return null;
    const g = geometry(x, filter, attrs);
    return g === null ? null : simdConv2d(backend, x, filter, bias ?? null, g.stride, g.pad);
  });
}
