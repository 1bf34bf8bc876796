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
 *   workgroup per channel.
 * Their speed on a GPU is unmeasured (none here); SwiftShader runs them on the CPU.
 */
import * as tf from '@tensorflow/tfjs-core';
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

/** tfjs's kernel and Strata's, by kernel name, once registered. */
const installed = new Map<string, { original: tf.KernelConfig; strata: tf.KernelConfig }>();

function install(config: tf.KernelConfig): void {
  tf.unregisterKernel(config.kernelName, 'webgpu');
  tf.registerKernel(config);
}

/** Registers Strata's webgpu kernels over tfjs's (once a process; tfjs-backend-webgpu must be imported). */
export function registerWebgpuTrainingKernels(): void {
  for (const [name, wrap] of KERNELS) {
    if (installed.has(name)) continue;
    const original = tf.getKernel(name, 'webgpu');
    if (original === undefined) throw new Error(`tfjs-backend-webgpu registered no ${name} kernel to replace`);
    const strata: tf.KernelConfig = { kernelName: name, backendName: 'webgpu', kernelFunc: wrap(original.kernelFunc) };
    install(strata);
    installed.set(name, { original, strata });
  }
}

/**
 * Puts tfjs's own webgpu kernels back (false) or Strata's again (true), to compare the two
 * (benchmarks); registerWebgpuTrainingKernels must have run.
 */
export function useStrataWebgpuKernels(on: boolean): void {
  if (installed.size === 0) throw new Error("Strata's webgpu kernels are not registered (registerWebgpuTrainingKernels runs when the webgpu backend is)");
  for (const { original, strata } of installed.values()) install(on ? strata : original);
}

/** The kernels whose webgpu implementation is Strata's now (for the tests and the backend report). */
export function strataWebgpuKernels(): string[] {
  return [...installed].filter(([name, { strata }]) => tf.getKernel(name, 'webgpu')?.kernelFunc === strata.kernelFunc).map(([name]) => name);
}
