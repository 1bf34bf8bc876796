/**
 * Calling the wasm backend's own kernels from inside a custom kernel. Kernels run below the
 * engine (no tape, no tidy), so intermediates are backend data that the caller must release
 * with `release`; nothing here creates engine tensors.
 */
import { getKernel } from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

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
