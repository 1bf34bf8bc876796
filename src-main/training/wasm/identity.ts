/**
 * Identity for the wasm backend as a shared reference, as tfjs's cpu and webgl backends do it.
 * tfjs-backend-wasm 4.22 copies the data, and the engine clones every tensor it saves for the
 * backward pass: in a training step that is a full copy of nearly every activation (155 of the
 * peer U-Net's at batch 32), which costs the copy and doubles the heap those activations take.
 * Sharing is safe because tfjs never writes a tensor's data in place: kernels write only the
 * outputs they allocate, and a variable's assign() takes the new value's data instead.
 */
import { Identity } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { asWasmBackend, type KernelArgs } from './backend-kernels';

function identity(args: KernelArgs): TensorInfo {
  const backend = asWasmBackend(args.backend, Identity);
  const x = args.inputs['x'];
  if (x === undefined) throw new Error(`${Identity}: missing input 'x'`);
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Registration record for `registerKernel`. */
export const identityConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: identity as KernelConfig['kernelFunc'],
};
