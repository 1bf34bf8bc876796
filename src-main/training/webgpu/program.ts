/**
 * What Strata's webgpu kernels need of tfjs-backend-webgpu: its WebGPUBackend's runWebGPUProgram,
 * and programs in the shape it compiles. tfjs generates each shader's bindings around the program's
 * own code: the output (`result`), one read-only array per name in `variableNames`, and `uniforms`
 * (its own fields, each input's `<name>Shape`, `outShape`, then the program's `uniforms` string).
 */
import * as tf from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-webgpu's WebGPUBackend used here. */
export interface WebgpuBackend {
  runWebGPUProgram(program: WebgpuProgram, inputs: tf.TensorInfo[], dtype: tf.DataType, uniforms: Uniform[]): tf.TensorInfo;
  disposeData(dataId: object): boolean;
}

/** A program-defined uniform, in the order of the program's `uniforms` declaration. */
export interface Uniform {
  type: 'int32' | 'float32';
  data: number[];
}

/** A program as tfjs-backend-webgpu compiles and runs it. */
export interface WebgpuProgram {
  outputShape: number[];
  /** The pipeline cache key's prefix: tfjs adds only the inputs' ranks and dtypes, so it names every compile-time constant. */
  shaderKey: string;
  variableNames: string[];
  uniforms: string;
  workgroupSize: [number, number, number];
  /** Every output dimension on x: tfjs may then fold a long x dispatch into y and z (past 65,535 workgroups). */
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  /** Adds `size : i32` (the output's element count) to the uniforms. */
  size?: boolean;
  getUserCode(): string;
}

export const int = (...data: number[]): Uniform => ({ type: 'int32', data });

/**
 * The index of this workgroup over the whole dispatch, as a WGSL expression. tfjs passes the builtins
 * on through private variables, which the uniformity analysis counts as non-uniform, so programs
 * with barriers in loops bounded by it read it once through workgroupUniformLoad (see gemm.ts).
 */
export const WORKGROUP_INDEX = 'i32(workgroupId.z * numWorkgroups.x * numWorkgroups.y + workgroupId.y * numWorkgroups.x + workgroupId.x)';

/** Dispatches of Strata's programs in this process, by program name (the shader key's first part). */
const dispatches = new Map<string, number>();

/**
 * Runs `program` on `backend`, counting it under `name`. The inputs go in seen as flat arrays:
 * Strata's programs index their buffers themselves, and tfjs keys its pipeline cache on whether each
 * input's shape equals the output's and on its broadcast dimensions, so the same shader would be
 * compiled again for each such pattern (seconds each on SwiftShader).
 */
export function runProgram(backend: WebgpuBackend, name: string, program: WebgpuProgram, inputs: tf.TensorInfo[], uniforms: Uniform[]): tf.TensorInfo {
  dispatches.set(name, (dispatches.get(name) ?? 0) + 1);
  const flat = inputs.map((t) => ({ dataId: t.dataId, dtype: t.dtype, shape: [tf.util.sizeFromShape(t.shape)] }));
  return backend.runWebGPUProgram(program, flat, 'float32', uniforms);
}

/** How many times each of Strata's webgpu programs was dispatched in this process (for the tests and the benchmarks). */
export function strataDispatchCounts(): Record<string, number> {
  return Object.fromEntries(dispatches);
}

/**
 * A program with one invocation per output element (or `invocations` of them), 64 a workgroup, its
 * index passed to `main`; `uniforms.size` is the output's element count.
 */
export function flatProgram(outputShape: number[], shaderKey: string, variableNames: string[], uniforms: string, userCode: string, invocations?: number): WebgpuProgram {
  const size = invocations ?? outputShape.reduce((a, b) => a * b, 1);
  return {
    outputShape,
    shaderKey,
    variableNames,
    uniforms,
    workgroupSize: [64, 1, 1],
    size: true,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [Math.ceil(size / 64), 1, 1],
    getUserCode: () => userCode,
  };
}
