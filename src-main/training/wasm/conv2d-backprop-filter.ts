/**
 * Conv2DBackpropFilter for the wasm backend, which tfjs-backend-wasm 4.22 does not have
 * (so on wasm no conv2d or conv2dTranspose kernel could be trained).
 *
 * For every kernel tap (i, j) the filter gradient is one matrix product:
 *   dW[i, j] = Xᵢⱼᵀ · dY,  Xᵢⱼ = x shifted by the tap and subsampled by the stride, as [N·OH·OW, Cin],
 *   dY = dy as [N·OH·OW, Cout].
 * Xᵢⱼ is one strided slice of x zero-padded by the conv's own padding, so the result is exact for
 * any stride, padding and size (odd sizes included). Memory stays linear: one tap slice
 * (the size of dy's spatial grid × Cin) lives at a time, never a kh·kw-times-larger im2col.
 */
import { backend_util, Conv2DBackpropFilter, util } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropFilterAttrs, KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { asWasmBackend, release, runWasmKernel } from './backend-kernels';

function input(inputs: NamedTensorInfoMap, name: string): TensorInfo {
  const t = inputs[name];
  if (t === undefined) throw new Error(`${Conv2DBackpropFilter}: missing input '${name}'`);
  if (t.dtype !== 'float32') throw new Error(`${Conv2DBackpropFilter}: input '${name}' is ${t.dtype}, expected float32`);
  return t;
}

function conv2DBackpropFilter(args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo {
  const backend = asWasmBackend(args.backend, Conv2DBackpropFilter);
  const x = input(args.inputs, 'x');
  const dy = input(args.inputs, 'dy');
  // The engine hands kernels their attrs untyped; these are the ones conv2DBackpropFilter() sets.
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = (args.attrs ?? {}) as unknown as Conv2DBackpropFilterAttrs;
  if (dataFormat !== 'NHWC') throw new Error(`${Conv2DBackpropFilter}: only NHWC is supported on wasm, got ${dataFormat}`);

  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const expectedDy = [batchSize, outHeight, outWidth, outChannels];
  if (!util.arraysEqual(dy.shape, expectedDy)) {
    throw new Error(`${Conv2DBackpropFilter}: dy has shape [${dy.shape.join(', ')}], expected [${expectedDy.join(', ')}]`);
  }

  const out = backend.makeOutput([kh, kw, inChannels, outChannels], 'float32');
  const tapSize = inChannels * outChannels;
  const rows = batchSize * outHeight * outWidth;
  if (rows === 0) {
    backend.typedArrayFromHeap(out).fill(0);
    return out;
  }

  // Pad only as far as the taps reach: top/left by the conv's padding, bottom/right to cover the last tap
  // (never negative: rows past the last tap are simply not sliced).
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const bottom = Math.max(0, (outHeight - 1) * sh + kh - top - inHeight);
  const right = Math.max(0, (outWidth - 1) * sw + kw - left - inWidth);
  const padded =
    top + bottom + left + right === 0
      ? null
      : runWasmKernel(
          backend,
          'PadV2',
          { x },
          { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 },
        );
  const xp = padded ?? x;
  // A reshape is a view on the same data; it is not a new allocation, so it needs no release.
  const dy2: TensorInfo = { dataId: dy.dataId, shape: [rows, outChannels], dtype: 'float32' };

  try {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const tap = runWasmKernel(
          backend,
          'StridedSlice',
          { x: xp },
          {
            begin: [0, i, j, 0],
            end: [batchSize, i + (outHeight - 1) * sh + 1, j + (outWidth - 1) * sw + 1, inChannels],
            strides: [1, sh, sw, 1],
            beginMask: 0,
            endMask: 0,
            ellipsisMask: 0,
            newAxisMask: 0,
            shrinkAxisMask: 0,
          },
        );
        let grad: TensorInfo;
        try {
          const tap2: TensorInfo = { dataId: tap.dataId, shape: [rows, inChannels], dtype: 'float32' };
          grad = runWasmKernel(backend, 'BatchMatMul', { a: tap2, b: dy2 }, { transposeA: true, transposeB: false });
        } finally {
          release(backend, tap);
        }
        // Views are taken after the matmul: an allocation may grow the wasm heap and detach older views.
        backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(grad), (i * kw + j) * tapSize);
        release(backend, grad);
      }
    }
  } catch (err) {
    release(backend, out);
    throw err;
  } finally {
    if (padded !== null) release(backend, padded);
  }
  return out;
}

/** Registration record for `registerKernel`. */
export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as KernelConfig['kernelFunc'],
};
