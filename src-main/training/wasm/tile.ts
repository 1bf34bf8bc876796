/**
 * Tile for the wasm backend as block copies on the heap. tfjs-backend-wasm 4.22 computes every
 * output element's source index separately (~75 ns an element); tfjs's batch-norm gradient tiles
 * the inverse standard deviation to the full activation shape, so that one kernel cost more than
 * all forward convs of a training step. Here each axis is built by copying the block below it:
 * one memcpy-speed pass over the output.
 */
import { Tile } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo, TileAttrs } from '@tensorflow/tfjs-core';
import { asWasmBackend, type KernelArgs } from './backend-kernels';

type Heap = Float32Array | Int32Array | Uint8Array;

/**
 * Writes x tiled by `reps` into out (both row-major). `outer` is the output offset of the block
 * being built for axis `axis`, `inner` the matching input offset.
 */
function fill(src: Heap, dst: Heap, shape: number[], reps: number[], axis: number, inner: number, outer: number): void {
  const n = shape[axis] ?? 1;
  const r = reps[axis] ?? 1;
  let inStride = 1;
  let outStride = 1;
  for (let a = axis + 1; a < shape.length; a++) {
    inStride *= shape[a] ?? 1;
    outStride *= (shape[a] ?? 1) * (reps[a] ?? 1);
  }
  if (axis === shape.length - 1) {
    // Innermost axis: copy the input run once, then double it.
    dst.set(src.subarray(inner, inner + n), outer);
  } else {
    for (let i = 0; i < n; i++) fill(src, dst, shape, reps, axis + 1, inner + i * inStride, outer + i * outStride);
  }
  const block = n * outStride;
  const total = block * r;
  for (let done = block; done < total; done *= 2) {
    dst.copyWithin(outer + done, outer, outer + Math.min(done, total - done));
  }
}

function tile(args: KernelArgs): TensorInfo {
  const backend = asWasmBackend(args.backend, Tile);
  const x = args.inputs['x'];
  if (x === undefined) throw new Error(`${Tile}: missing input 'x'`);
  // The engine hands kernels their attrs untyped; `reps` is what tile() sets.
  const { reps } = (args.attrs ?? {}) as unknown as TileAttrs;
  if (reps.length !== x.shape.length) throw new Error(`${Tile}: reps [${reps.join(', ')}] do not match rank ${x.shape.length}`);
  const outShape = x.shape.map((d, i) => d * (reps[i] ?? 1));
  const out = backend.makeOutput(outShape, x.dtype);
  if (outShape.some((d) => d === 0)) return out;
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  if (!(src instanceof Float32Array || src instanceof Int32Array || src instanceof Uint8Array) || src.constructor !== dst.constructor) {
    backend.disposeData(out.dataId);
    throw new TypeError(`${Tile}: unsupported dtype ${x.dtype} on wasm`);
  }
  if (x.shape.length === 0) dst.set(src);
  else fill(src, dst as Heap, x.shape, reps, 0, 0, 0);
  return out;
}

/** Registration record for `registerKernel`. */
export const tileConfig: KernelConfig = {
  kernelName: Tile,
  backendName: 'wasm',
  kernelFunc: tile as KernelConfig['kernelFunc'],
};
