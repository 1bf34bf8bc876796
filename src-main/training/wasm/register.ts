/**
 * The wasm kernels training needs. tfjs-backend-wasm 4.22 lacks Conv2DBackpropFilter (probed by
 * running tf.grads through every op a strict-ResNet U-Net uses), runs Conv2DBackpropInput as a
 * naive loop and Tile per element, and copies in Identity; these are replaced here. Sum, Conv2D
 * and FusedConv2D keep tfjs's kernels behind a faster path for the cases training hits most.
 * The fused batch norm (+ ReLU) is this repo's own kernel. Registered per backend, so the native
 * and cpu backends never see them.
 */
import { getGradient, getKernel, registerGradient, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { batchNormTrainConfig, batchNormTrainGradConfig, batchNormTrainGradConfigForTape } from './batch-norm';
import { makeConv2DConfig, makeFusedConv2DConfig } from './conv2d';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input';
import { identityConfig } from './identity';
import { makeSumConfig } from './sum';
import { tileConfig } from './tile';

/** Kernels the wasm backend does not have: added only while it still lacks them. */
const MISSING: readonly KernelConfig[] = [conv2DBackpropFilterConfig, batchNormTrainConfig, batchNormTrainGradConfig];

/** Kernels the wasm backend has, but far slower than these (or copying where they need not): always take their place. */
const REPLACEMENTS: readonly KernelConfig[] = [conv2DBackpropInputConfig, tileConfig, identityConfig];

/** Every kernel this folder adds to (or replaces in) the wasm backend, the wrappers below aside. */
export const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [...MISSING, ...REPLACEMENTS];

/**
 * Kernels wrapped around tfjs-backend-wasm's own, which they call for every case but their fast
 * path: name, and how to wrap the stock kernel.
 */
const WRAPPERS: readonly [string, (stock: KernelConfig) => KernelConfig][] = [
  ['Sum', makeSumConfig],
  ['Conv2D', makeConv2DConfig],
  ['FusedConv2D', makeFusedConv2DConfig],
];
/** The wrappers installed, by kernel name (so that registering twice does not wrap a wrapper). */
const installed = new Map<string, KernelConfig>();

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
  for (const [name, wrap] of WRAPPERS) {
    const stock = getKernel(name, 'wasm');
    if (stock === undefined || stock === installed.get(name)) continue;
    const wrapper = wrap(stock);
    unregisterKernel(name, 'wasm');
    registerKernel(wrapper);
    installed.set(name, wrapper);
  }
  // The fused batch norm's gradient: keyed by this repo's own kernel name, so no tfjs gradient is touched.
  if (getGradient(batchNormTrainGradConfigForTape.kernelName) === undefined) registerGradient(batchNormTrainGradConfigForTape);
}
