/**
 * The wasm kernels training needs. tfjs-backend-wasm 4.22 lacks Conv2DBackpropFilter (probed by
 * running tf.grads through every op a strict-ResNet U-Net uses) and runs Conv2DBackpropInput as a
 * naive loop, and Tile (used by tfjs's batch-norm gradient) per element; these are replaced here. Registered per backend, so the
 * native and cpu backends never see them.
 */
import { getGradient, getKernel, registerGradient, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { batchNormTrainConfig, batchNormTrainGradConfig, batchNormTrainGradConfigForTape } from './batch-norm';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input';
import { identityConfig } from './identity';
import { makeSumConfig } from './sum';
import { tileConfig } from './tile';

/** Kernels the wasm backend does not have: added only while it still lacks them. */
const MISSING: readonly KernelConfig[] = [conv2DBackpropFilterConfig, batchNormTrainConfig, batchNormTrainGradConfig];

/** Kernels the wasm backend has, but far slower than these (or copying where they need not): always take their place. */
const REPLACEMENTS: readonly KernelConfig[] = [conv2DBackpropInputConfig, tileConfig, identityConfig];

/** Every kernel this folder adds to (or replaces in) the wasm backend, the Sum wrapper aside. */
export const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [...MISSING, ...REPLACEMENTS];

/** The Sum wrapper installed over tfjs's own (which it calls for all but its fast path). */
let sumWrapper: KernelConfig | null = null;

/**
 * Registers the kernels. Idempotent; a kernel the wasm backend already has is left alone unless it
 * is one of the replacements (a later tfjs-backend-wasm that ships its own Conv2DBackpropFilter keeps it).
 */
export function registerWasmTrainingKernels(): void {
  for (const config of MISSING) {
    if (getKernel(config.kernelName, 'wasm') === undefined) registerKernel(config);
  }
  for (const config of REPLACEMENTS) {
    const current = getKernel(config.kernelName, 'wasm');
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current !== undefined) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
  }
  const sum = getKernel('Sum', 'wasm');
  if (sum !== undefined && sum !== sumWrapper && sum.kernelFunc !== sumWrapper?.kernelFunc) {
    sumWrapper = makeSumConfig(sum);
    unregisterKernel('Sum', 'wasm');
    registerKernel(sumWrapper);
  }
  // The fused batch norm's gradient: keyed by this repo's own kernel name, so no tfjs gradient is touched.
  if (getGradient(batchNormTrainGradConfigForTape.kernelName) === undefined) registerGradient(batchNormTrainGradConfigForTape);
}
