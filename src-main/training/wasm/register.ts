/**
 * The kernels training needs that tfjs-backend-wasm 4.22 lacks. Probed by running tf.grads through
 * every op a strict-ResNet U-Net uses on wasm: only Conv2DBackpropFilter was missing (it is what both
 * conv2d's and conv2dTranspose's filter gradients call).
 */
import { getKernel, registerKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter';

/** Every kernel this folder adds to the wasm backend. */
export const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [conv2DBackpropFilterConfig];

/**
 * Registers the missing wasm kernels. Idempotent, and a kernel that the wasm backend already has
 * (a later tfjs-backend-wasm that ships its own) is left alone.
 */
export function registerWasmTrainingKernels(): void {
  for (const config of WASM_TRAINING_KERNELS) {
    if (getKernel(config.kernelName, 'wasm') === undefined) registerKernel(config);
  }
}
