/**
 * Sum on the wasm backend, with a fast path for the reduction training does most: over every
 * axis but the channels of a float32 tensor (a conv bias's gradient, Σ over N, H, W of dy).
 * tfjs-backend-wasm 4.22 first transposes the channels outermost (a full copy) and then sums;
 * here one threaded SIMD pass sums in place, accumulating in float64. Every other Sum goes to
 * tfjs's own kernel.
 */
import { util } from '@tensorflow/tfjs-core';
import type { KernelConfig, SumAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapF32, heapOffset, withFastPath, type KernelArgs } from './backend-kernels';
import { simdKernels, withPass } from './simd-kernels';

/** Σ over all axes but the last, on the SIMD kernels; null for every other Sum. */
function sumOverLeadingAxes(args: KernelArgs, backend: BackendWasm): TensorInfo | null {
  const x = args.inputs['x'];
  const { axis, keepDims } = (args.attrs ?? {}) as unknown as SumAttrs;
  const rank = x?.shape.length ?? 0;
  const simd = simdKernels(backend);
  if (x === undefined || x.dtype !== 'float32' || rank < 2 || simd === null) return null;
  const axes = util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  const c = x.shape[rank - 1] ?? 0;
  const leading = axes.length === rank - 1 && axes.every((a, i) => a === i);
  if (!leading || c === 0 || c % 4 !== 0) return null;
  const rows = util.sizeFromShape(x.shape) / c;
  const out = backend.makeOutput(keepDims ? [...x.shape.slice(0, -1).map(() => 1), c] : [c], 'float32');
  withPass(simd, rows, c, 1, 0, ({ ranges, scratch, row }) => {
    const xPtr = heapOffset(backend, x);
    simd.run('col_moments', ranges.map(([r0, r1], k) => [row(xPtr, r0), r1 - r0, c, 0, scratch.sumPtr(0, k), 0]));
    heapF32(backend, out).set(scratch.total(0));
  });
  return out;
}

/** The Sum kernel: `stock` is tfjs-backend-wasm's, which takes every case the fast path does not. */
export function makeSumConfig(stock: KernelConfig): KernelConfig {
  return withFastPath(stock, sumOverLeadingAxes);
}
