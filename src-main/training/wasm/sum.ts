/**
 * Sum on the wasm backend, with a fast path for the reduction training does most: over every
 * axis but the channels of a float32 tensor (a conv bias's gradient, Σ over N, H, W of dy).
 * tfjs-backend-wasm 4.22 first transposes the channels outermost (a full copy) and then sums;
 * here one threaded SIMD pass sums in place, accumulating in float64. Every other Sum goes to
 * tfjs's own kernel.
 */
import { Sum, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, SumAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { asWasmBackend, heapF32, heapOffset } from './backend-kernels';
import { passRanges, simdKernels } from './simd-kernels';


type KernelArgs = { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap };

/** The Sum kernel: `stock` is tfjs-backend-wasm's, which takes every case the fast path does not. */
export function makeSumConfig(stock: KernelConfig): KernelConfig {
  const kernelFunc = (args: KernelArgs): TensorInfo | TensorInfo[] => {
    const backend = asWasmBackend(args.backend, Sum);
    const x = args.inputs['x'];
    const { axis, keepDims } = (args.attrs ?? {}) as unknown as SumAttrs;
    const rank = x?.shape.length ?? 0;
    const simd = simdKernels(backend);
    if (x !== undefined && x.dtype === 'float32' && rank >= 2 && simd !== null) {
      const axes = util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
      const c = x.shape[rank - 1] ?? 0;
      const leading = axes.length === rank - 1 && axes.every((a, i) => a === i);
      if (leading && c > 0 && c % 4 === 0) {
        const rows = util.sizeFromShape(x.shape) / c;
        const out = backend.makeOutput(keepDims ? [...x.shape.slice(0, -1).map(() => 1), c] : [c], 'float32');
        const ranges = passRanges(simd, rows, c);
        const scratch = simd.malloc(8 * c * ranges.length);
        try {
          new Float64Array(simd.heap, scratch, c * ranges.length).fill(0);
          const xPtr = heapOffset(backend, x);
          simd.run('col_moments', ranges.map(([r0, r1], k) => [xPtr + 4 * r0 * c, r1 - r0, c, 0, scratch + 8 * c * k, 0]));
          const parts = new Float64Array(simd.heap, scratch, c * ranges.length);
          const dst = heapF32(backend, out);
          for (let j = 0; j < c; j++) {
            let s = 0;
            for (let k = 0; k < ranges.length; k++) s += parts[k * c + j] ?? 0;
            dst[j] = s;
          }
        } finally {
          simd.free(scratch);
        }
        return out;
      }
    }
    return stock.kernelFunc(args as Parameters<KernelConfig['kernelFunc']>[0]);
  };
  return { ...stock, kernelFunc: kernelFunc as KernelConfig['kernelFunc'] };
}
