/**
 * Conv2DBackpropFilter for the wasm backend, which tfjs-backend-wasm 4.22 does not have
 * (so on wasm no conv2d or conv2dTranspose kernel could be trained).
 *
 *   dW[i, j, ci, co] = Σ_{n, p, q} x[n, s·p + i - top, s·q + j - left, ci] · dy[n, p, q, co]
 *
 * Input channels divisible by 4 and output channels by 8 run on the direct SIMD loop
 * (kernels.wat's filter_grad), split over threads. Other channel counts run it as a convolution on
 * XNNPACK: x with batch and channel axes swapped ([Cin, H, W, N]: Cin "images" of N "channels") by
 * dy laid out as a filter ([OH, OW, N, Cout]) dilated by the stride, whose output [Cin, kh, kw,
 * Cout] is dW with its first two axes rotated. Both are exact for any stride, padding and size.
 */
import { Conv2DBackpropFilter } from '@tensorflow/tfjs-core';
import type { backend_util } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropFilterAttrs, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { asWasmBackend, convGradientInfo, floatInput, heapF32, heapOffset, release, wasmConv2d, type KernelArgs } from './backend-kernels';
import { batchInnermost, pixelsOutermost } from './heap-transpose';
import { simdKernels, splitRows, type SimdKernels } from './simd-kernels';

/** Rows of dy below which one thread does the whole filter gradient. */
const MIN_ROWS_PER_THREAD = 8;

function conv2DBackpropFilter(args: KernelArgs): TensorInfo {
  const backend = asWasmBackend(args.backend, Conv2DBackpropFilter);
  const x = floatInput(args.inputs, Conv2DBackpropFilter, 'x');
  const dy = floatInput(args.inputs, Conv2DBackpropFilter, 'dy');
  // The engine hands kernels their attrs untyped; these are the ones conv2DBackpropFilter() sets.
  const attrs = (args.attrs ?? {}) as unknown as Conv2DBackpropFilterAttrs;
  const info = convGradientInfo(Conv2DBackpropFilter, x.shape as [number, number, number, number], attrs.filterShape, attrs, dy);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;

  const out = backend.makeOutput([kh, kw, inChannels, outChannels], 'float32');
  if (batchSize * outHeight * outWidth * inChannels * outChannels === 0) {
    heapF32(backend, out).fill(0);
    return out;
  }
  const simd = simdKernels(backend);
  if (simd !== null && inChannels % 4 === 0 && outChannels % 8 === 0) {
    simdFilterGrad(simd, backend, x, dy, out, info);
    return out;
  }
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Pad past the end only as far as the last tap reaches; rows that no tap reaches come out as
  // extra (ignored) outputs instead of negative padding, which XNNPACK does not take.
  const bottom = Math.max(0, kh + (outHeight - 1) * sh - inHeight - top);
  const right = Math.max(0, kw + (outWidth - 1) * sw - inWidth - left);

  const temps: TensorInfo[] = [];
  try {
    const xT = backend.makeOutput([inChannels, inHeight, inWidth, batchSize], 'float32');
    temps.push(xT);
    const dyT = backend.makeOutput([outHeight, outWidth, batchSize, outChannels], 'float32');
    temps.push(dyT);
    batchInnermost(heapF32(backend, x), heapF32(backend, xT), batchSize, inHeight * inWidth, inChannels);
    pixelsOutermost(heapF32(backend, dy), heapF32(backend, dyT), batchSize, outHeight * outWidth, outChannels);
    const g = wasmConv2d(backend, xT, dyT, { stride: [1, 1], dilation: [sh, sw], pad: { top, bottom, left, right } });
    temps.push(g);
    const [, gh, gw] = g.shape as [number, number, number, number];
    const src = heapF32(backend, g);
    const dst = heapF32(backend, out);
    // dW[i, j, ci, :] = g[ci, i, j, :] for the kh x kw taps (g may have extra rows/cols past them).
    let d = 0;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        for (let ci = 0; ci < inChannels; ci++) {
          const s = ((ci * gh + i) * gw + j) * outChannels;
          dst.set(src.subarray(s, s + outChannels), d);
          d += outChannels;
        }
      }
    }
  } catch (err) {
    release(backend, out);
    throw err;
  } finally {
    for (const t of temps) release(backend, t);
  }
  return out;
}

/**
 * The filter gradient as a direct SIMD loop (kernels.wat's filter_grad): no transposes and no
 * packing of dy as a filter. Threads take ranges of dy's rows, each into its own copy of dW,
 * summed at the end (dW is small next to x and dy).
 */
function simdFilterGrad(
  simd: SimdKernels,
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  out: TensorInfo,
  info: backend_util.Conv2DInfo,
): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, padInfo } = info;
  const { top, left } = padInfo;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const size = kh * kw * inChannels * outChannels;
  const ranges = splitRows(batchSize * outHeight, simd.threads, MIN_ROWS_PER_THREAD);
  const partials = ranges.length > 1 ? simd.malloc(4 * size * (ranges.length - 1)) : 0;
  try {
    const xPtr = heapOffset(backend, x);
    const dyPtr = heapOffset(backend, dy);
    const outPtr = heapOffset(backend, out);
    const heap = simd.heap;
    new Float32Array(heap, outPtr, size).fill(0);
    if (partials !== 0) new Float32Array(heap, partials, size * (ranges.length - 1)).fill(0);
    const dest = (k: number) => (k === 0 ? outPtr : partials + 4 * size * (k - 1));
    simd.run(
      'filter_grad',
      ranges.map(([r0, r1], k) => [xPtr, dyPtr, dest(k), inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, kh, kw, sh, sw, top, left, r0, r1]),
    );
    if (partials !== 0) {
      const dst = new Float32Array(heap, outPtr, size);
      for (let k = 1; k < ranges.length; k++) {
        const src = new Float32Array(heap, dest(k), size);
        for (let i = 0; i < size; i++) dst[i] = (dst[i] as number) + (src[i] as number);
      }
    }
  } finally {
    if (partials !== 0) simd.free(partials);
  }
}

/** Registration record for `registerKernel`. */
export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as KernelConfig['kernelFunc'],
};
