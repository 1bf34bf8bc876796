/**
 * Calling the wasm backend's own kernels from inside a custom kernel. Kernels run below the
 * engine (no tape, no tidy), so intermediates are backend data that the caller must release
 * with `release`; nothing here creates engine tensors.
 */
import { backend_util, getKernel } from '@tensorflow/tfjs-core';
import type { Conv2DAttrs, KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** What the engine hands a kernel function (attrs untyped). */
export type KernelArgs = { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap };

/** Input `name` of a float32-only kernel; a missing or non-float32 one is an error naming both. */
export function floatInput(inputs: NamedTensorInfoMap, kernel: string, name: string): TensorInfo {
  const t = inputs[name];
  if (t === undefined) throw new Error(`${kernel}: missing input '${name}'`);
  if (t.dtype !== 'float32') throw new Error(`${kernel}: input '${name}' is ${t.dtype}, expected float32`);
  return t;
}

/**
 * `stock` (a tfjs-backend-wasm kernel) behind a fast path: `fast` returns its output, or null for
 * the cases it does not take, which `stock` then runs as before.
 */
export function withFastPath(stock: KernelConfig, fast: (args: KernelArgs, backend: BackendWasm) => TensorInfo | null): KernelConfig {
  const kernelFunc = (args: KernelArgs): TensorInfo | TensorInfo[] =>
    fast(args, asWasmBackend(args.backend, stock.kernelName)) ?? stock.kernelFunc(args as Parameters<KernelConfig['kernelFunc']>[0]);
  return { ...stock, kernelFunc: kernelFunc as KernelConfig['kernelFunc'] };
}

/** Narrows the `backend` a kernel receives; anything else means the kernel was registered for the wrong backend. */
export function asWasmBackend(backend: unknown, kernelName: string): BackendWasm {
  if (!(backend instanceof BackendWasm)) {
    throw new TypeError(`${kernelName}: expected the wasm backend, got ${describe(backend)}`);
  }
  return backend;
}

function describe(value: unknown): string {
  if (typeof value === 'object' && value !== null) return value.constructor.name;
  return typeof value;
}

/** Runs one registered wasm kernel that has a single output. */
export function runWasmKernel(
  backend: BackendWasm,
  kernelName: string,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap,
): TensorInfo {
  const config = getKernel(kernelName, 'wasm');
  if (config === undefined) throw new Error(`wasm backend has no '${kernelName}' kernel`);
  const out = config.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`wasm kernel '${kernelName}' returned ${out.length} outputs, expected 1`);
  return out;
}

/** Releases one reference to a kernel-internal intermediate (reshape views share data and hold a reference each). */
export function release(backend: BackendWasm, info: TensorInfo): void {
  backend.disposeData(info.dataId);
}

/**
 * The geometry of the conv (NHWC, no dilation) whose gradient `kernel` computes, from x's and the
 * filter's shapes and the kernel's attrs, after checking that dy has that conv's output shape.
 */
export function convGradientInfo(
  kernel: string,
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: Pick<Conv2DAttrs, 'strides' | 'pad' | 'dataFormat' | 'dimRoundingMode'>,
  dy: TensorInfo,
): backend_util.Conv2DInfo {
  if (attrs.dataFormat !== 'NHWC') throw new Error(`${kernel}: only NHWC is supported on wasm, got ${attrs.dataFormat}`);
  const info = backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const expectedDy = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (dy.shape.join() !== expectedDy.join()) {
    throw new Error(`${kernel}: dy has shape [${dy.shape.join(', ')}], expected [${expectedDy.join(', ')}]`);
  }
  return info;
}

/** Padding of the two spatial axes, [top, bottom] and [left, right]; each must be ≥ 0. */
export interface SpatialPadding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/**
 * The wasm backend's Conv2D kernel (NHWC x, HWIO filter) with explicit padding: the direct SIMD
 * loop where it applies (see conv2d.ts), else XNNPACK. The operator XNNPACK builds for `filter`
 * is cached by tfjs under the filter's id and freed when that data is released, so per-call
 * filters cost one packing and leave nothing behind.
 */
export function wasmConv2d(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  opts: { stride: [number, number]; dilation: [number, number]; pad: SpatialPadding },
): TensorInfo {
  const { top, bottom, left, right } = opts.pad;
  if (Math.min(top, bottom, left, right) < 0) throw new RangeError(`wasmConv2d: negative padding ${JSON.stringify(opts.pad)}`);
  return runWasmKernel(
    backend,
    'Conv2D',
    { x, filter },
    {
      strides: opts.stride,
      dilations: opts.dilation,
      pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
      dataFormat: 'NHWC',
    },
  );
}

/** A float32 view of `info`'s data on the wasm heap. Take it after the last allocation: growing the heap detaches views. */
export function heapF32(backend: BackendWasm, info: TensorInfo): Float32Array {
  const view = backend.typedArrayFromHeap(info);
  if (!(view instanceof Float32Array)) throw new TypeError(`expected float32 data, got ${info.dtype}`);
  return view;
}

/** The byte offset of `info`'s data on the wasm heap (for kernels that take pointers). */
export function heapOffset(backend: BackendWasm, info: TensorInfo): number {
  const entry = backend.dataIdMap.get(info.dataId);
  if (entry === undefined || typeof entry.memoryOffset !== 'number') throw new Error('tensor data is not on the wasm heap');
  return entry.memoryOffset;
}
