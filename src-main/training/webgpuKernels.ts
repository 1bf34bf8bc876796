/**
 * Strata's own WGSL kernels for the `webgpu` backend only, registered over tfjs's as the wasm ones
 * are (wasm/register.ts); each keeps tfjs's kernel for the cases it does not take (NCHW, dilation,
 * other dtypes). Their programs are in webgpu/:
 * - Conv2D and FusedConv2D (bias, ReLU): a tiled implicit GEMM with workgroup memory (gemm.ts,
 *   conv2d.ts), where tfjs's im2col or naive programs give one invocation per output element;
 * - Conv2DBackpropInput, and with it conv2dTranspose: the same GEMM on dy, one product per stride
 *   phase, all in one dispatch (conv2dBackpropInput.ts);
 * - Conv2DBackpropFilter: the GEMM again, split-K over batch x pixels, then a pass adding the
 *   chunks (conv2dBackpropFilter.ts), where tfjs's gives one invocation per filter element
 *   (docs/adr/0005);
 * - Sum and Mean over every axis but the channels (a conv's bias gradient, batch norm's
 *   statistics): a split-K column sum (columnSum.ts), where tfjs's transposes, then gives one
 *   workgroup per channel;
 * - StrataBatchNormTrain and its gradient (wasm/batch-norm.ts's kernels, batch norm in training
 *   with its ReLU): 4 dispatches forward, 5 backward (batchNorm.ts), where tfjs's ops take about 25.
 * Their speed on a GPU is unmeasured (none here); SwiftShader runs them on the CPU.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, batchNormTrainGradConfigForTape } from './wasm/batch-norm';
import { batchNormTrainGradWebgpu, batchNormTrainWebgpu } from './webgpu/batchNorm';
import { mean, sum } from './webgpu/columnSum';
import { conv2d, fusedConv2d } from './webgpu/conv2d';
import { conv2dBackpropFilter } from './webgpu/conv2dBackpropFilter';
import { conv2dBackpropInput } from './webgpu/conv2dBackpropInput';

export { strataDispatchCounts } from './webgpu/program';

/** Each kernel Strata replaces, and how it wraps tfjs's (which it calls for the cases it does not take). */
const KERNELS: readonly [string, (original: tf.KernelFunc) => tf.KernelFunc][] = [
  [tf.Conv2D, conv2d],
  [tf.FusedConv2D, fusedConv2d],
  [tf.Conv2DBackpropInput, conv2dBackpropInput],
  [tf.Conv2DBackpropFilter, conv2dBackpropFilter],
  [tf.Sum, sum],
  [tf.Mean, mean],
];

/** Kernels tfjs-backend-webgpu does not have: Strata's own kernel names. */
const ADDED: readonly tf.KernelConfig[] = [
  { kernelName: BATCH_NORM_TRAIN, backendName: 'webgpu', kernelFunc: batchNormTrainWebgpu(BATCH_NORM_TRAIN) },
  { kernelName: BATCH_NORM_TRAIN_GRAD, backendName: 'webgpu', kernelFunc: batchNormTrainGradWebgpu(BATCH_NORM_TRAIN_GRAD) },
];

/** tfjs's kernel (none for the added ones) and Strata's, by kernel name, once registered. */
const installed = new Map<string, { original: tf.KernelConfig | undefined; strata: tf.KernelConfig }>();

function install(name: string, config: tf.KernelConfig | undefined): void {
  if (tf.getKernel(name, 'webgpu') !== undefined) tf.unregisterKernel(name, 'webgpu');
  if (config !== undefined) tf.registerKernel(config);
}

/** Registers Strata's webgpu kernels over tfjs's (once a process; tfjs-backend-webgpu must be imported). */
export function registerWebgpuTrainingKernels(): void {
  for (const [name, wrap] of KERNELS) {
    if (installed.has(name)) continue;
    const original = tf.getKernel(name, 'webgpu');
    if (original === undefined) throw new Error(`tfjs-backend-webgpu registered no ${name} kernel to replace`);
    const strata: tf.KernelConfig = { kernelName: name, backendName: 'webgpu', kernelFunc: wrap(original.kernelFunc) };
    install(name, strata);
    installed.set(name, { original, strata });
  }
  for (const strata of ADDED) {
    if (installed.has(strata.kernelName)) continue;
    install(strata.kernelName, strata);
    installed.set(strata.kernelName, { original: undefined, strata });
  }
  // The fused batch norm's gradient, the same on every backend (wasm's registration may have added it).
  if (tf.getGradient(BATCH_NORM_TRAIN) === undefined) tf.registerGradient(batchNormTrainGradConfigForTape);
}

/**
 * Puts tfjs's own webgpu kernels back (false: Strata's added kernels are then unregistered) or
 * Strata's again (true), to compare the two (benchmarks); registerWebgpuTrainingKernels must have run.
 */
export function useStrataWebgpuKernels(on: boolean): void {
  if (installed.size === 0) throw new Error("Strata's webgpu kernels are not registered (registerWebgpuTrainingKernels runs when the webgpu backend is)");
  for (const [name, { original, strata }] of installed) install(name, on ? strata : original);
}

/** The kernels whose webgpu implementation is Strata's now (for the tests and the backend report). */
export function strataWebgpuKernels(): string[] {
  return [...installed].filter(([name, { strata }]) => tf.getKernel(name, 'webgpu')?.kernelFunc === strata.kernelFunc).map(([name]) => name);
}
