/**
 * Conv2DBackpropInput for the wasm backend. It is conv2d's input gradient and conv2dTranspose's
 * forward pass; tfjs-backend-wasm 4.22 runs it as a naive scalar loop, ~15x slower than the
 * forward conv of the same size.
 *
 * dx = Σ taps of dy ⋆ (spatially flipped filter with in/out channels swapped). With stride 1 that
 * is one convolution (the wasm Conv2D: the direct SIMD loop where it applies, else XNNPACK) whose
 * output is dx itself. With stride s it is split by output phase (see conv-phases): s² dense
 * stride-1 convolutions with sub-filters. On the direct loop each phase writes its rows and columns
 * of dx in place; on XNNPACK its output is interleaved into dx afterwards.
 */
import { Conv2DBackpropInput } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropInputAttrs, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { asWasmBackend, convGradientInfo, floatInput, heapF32, release, wasmConv2d, type KernelArgs } from './backend-kernels';
import { axisPhases, type AxisPhase } from './conv-phases';
import { directConvApplies, runDirectConv } from './conv2d';

/**
 * The sub-filter of one phase, flipped and with in/out swapped, as HWIO for the correlation over dy:
 * sub[jh, jw, co, ci] = w[th + sh·(Mh-1-jh), tw + sw·(Mw-1-jw), ci, co].
 */
function phaseFilter(
  backend: BackendWasm,
  filter: TensorInfo,
  ph: AxisPhase,
  pw: AxisPhase,
  strides: [number, number],
): TensorInfo {
  const [, kw, ci, co] = filter.shape as [number, number, number, number];
  const sub = backend.makeOutput([ph.taps, pw.taps, co, ci], 'float32');
  const w = heapF32(backend, filter);
  const out = heapF32(backend, sub);
  let o = 0;
  for (let jh = 0; jh < ph.taps; jh++) {
    const i = ph.firstTap + strides[0] * (ph.taps - 1 - jh);
    for (let jw = 0; jw < pw.taps; jw++) {
      const j = pw.firstTap + strides[1] * (pw.taps - 1 - jw);
      const base = (i * kw + j) * ci * co;
      for (let c2 = 0; c2 < co; c2++) {
        for (let c1 = 0; c1 < ci; c1++) out[o++] = w[base + c1 * co + c2] ?? 0;
      }
    }
  }
  return sub;
}

/** Copies a phase's correlation output into its positions of dx (rows a, a+s, …; cols b, b+s, …). */
function interleave(
  backend: BackendWasm,
  part: TensorInfo,
  dx: TensorInfo,
  ph: AxisPhase,
  pw: AxisPhase,
  strides: [number, number],
): void {
  const [n, h, w, c] = dx.shape as [number, number, number, number];
  const [, rows, cols] = part.shape as [number, number, number, number];
  const src = heapF32(backend, part);
  const dst = heapF32(backend, dx);
  for (let b = 0; b < n; b++) {
    for (let q = 0; q < ph.count; q++) {
      let s = ((b * rows + ph.skip + q) * cols + pw.skip) * c;
      let d = ((b * h + ph.phase + strides[0] * q) * w + pw.phase) * c;
      const step = strides[1] * c;
      for (let p = 0; p < pw.count; p++, s += c, d += step) {
        for (let k = 0; k < c; k++) dst[d + k] = src[s + k] ?? 0;
      }
    }
  }
}

function conv2DBackpropInput(args: KernelArgs): TensorInfo {
  const backend = asWasmBackend(args.backend, Conv2DBackpropInput);
  const dy = floatInput(args.inputs, Conv2DBackpropInput, 'dy');
  const filter = floatInput(args.inputs, Conv2DBackpropInput, 'filter');
  // The engine hands kernels their attrs untyped; these are the ones conv2DBackpropInput() sets.
  const attrs = (args.attrs ?? {}) as unknown as Conv2DBackpropInputAttrs;
  const info = convGradientInfo(Conv2DBackpropInput, attrs.inputShape, filter.shape as [number, number, number, number], attrs, dy);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const s: [number, number] = [strideHeight, strideWidth];
  const rowPhases = axisPhases(inHeight, outHeight, info.filterHeight, strideHeight, info.padInfo.top);
  const colPhases = axisPhases(inWidth, outWidth, info.filterWidth, strideWidth, info.padInfo.left);
  const dxShape = [batchSize, inHeight, inWidth, inChannels];

  // Stride 1 ('same', 'valid', any padding within the kernel): the correlation's output is dx.
  const ph0 = rowPhases[0];
  const pw0 = colPhases[0];
  if (
    ph0 !== undefined && pw0 !== undefined && rowPhases.length === 1 && colPhases.length === 1 &&
    ph0.taps > 0 && pw0.taps > 0 && ph0.skip === 0 && pw0.skip === 0 &&
    ph0.convSize === inHeight && pw0.convSize === inWidth && batchSize > 0
  ) {
    const sub = phaseFilter(backend, filter, ph0, pw0, s);
    try {
      return phaseConv(backend, dy, sub, ph0, pw0);
    } finally {
      release(backend, sub);
    }
  }

  const dx = backend.makeOutput(dxShape, 'float32');
  try {
    const anyZeroPhase = rowPhases.some((p) => p.taps === 0 && p.count > 0) || colPhases.some((p) => p.taps === 0 && p.count > 0);
    if (anyZeroPhase || batchSize === 0) heapF32(backend, dx).fill(0);
    if (batchSize === 0) return dx;
    for (const ph of rowPhases) {
      for (const pw of colPhases) {
        if (ph.taps === 0 || pw.taps === 0 || ph.count === 0 || pw.count === 0) continue;
        const sub = phaseFilter(backend, filter, ph, pw, s);
        try {
          writePhase(backend, dy, sub, dx, ph, pw, s);
        } finally {
          release(backend, sub);
        }
      }
    }
  } catch (err) {
    release(backend, dx);
    throw err;
  }
  return dx;
}

/**
 * One phase's correlation of dy with its sub-filter into its rows and columns of dx: on the direct
 * SIMD conv, written straight into dx; else on the wasm Conv2D, then interleaved.
 */
function writePhase(backend: BackendWasm, dy: TensorInfo, sub: TensorInfo, dx: TensorInfo, ph: AxisPhase, pw: AxisPhase, s: [number, number]): void {
  if (directConvApplies(backend, dy, sub, null)) {
    runDirectConv(
      backend,
      dy,
      sub,
      null,
      { stride: [1, 1], top: ph.padBefore - ph.skip, left: pw.padBefore - pw.skip, outRows: ph.count, outCols: pw.count },
      { out: dx, stride: s, offset: [ph.phase, pw.phase] },
    );
    return;
  }
  const part = phaseConv(backend, dy, sub, ph, pw);
  try {
    interleave(backend, part, dx, ph, pw, s);
  } finally {
    release(backend, part);
  }
}

/** One phase's stride-1 correlation of dy with its sub-filter (see phaseFilter). */
function phaseConv(backend: BackendWasm, dy: TensorInfo, sub: TensorInfo, ph: AxisPhase, pw: AxisPhase): TensorInfo {
  return wasmConv2d(backend, dy, sub, {
    stride: [1, 1],
    dilation: [1, 1],
    pad: { top: ph.padBefore, bottom: ph.padAfter, left: pw.padBefore, right: pw.padAfter },
  });
}

/** Registration record for `registerKernel`. */
export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as KernelConfig['kernelFunc'],
};
