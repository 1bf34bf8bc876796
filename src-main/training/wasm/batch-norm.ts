/**
 * Training-mode batch norm as one op with a fused gradient, for the wasm backend.
 *
 * Written with tf.moments + tf.batchNorm4d, one BN layer costs ~25 full-size passes in a training
 * step (the moments' own gradients, tfjs's FusedBatchNorm gradient with its Tile, broadcasts that
 * wasm runs slowly). Here the forward pass is 3 passes over x and the backward 2:
 *   y = γ·x̂ + β,  x̂ = (x - μ)·r,  r = (σ² + ε)^-½    (μ, σ² over N, H, W; σ² biased, as tf.moments)
 *   dx = γ·r·(dy - mean(dy) - x̂·mean(dy·x̂)),  dγ = Σ dy·x̂,  dβ = Σ dy
 * The same values as the composite, to float rounding (sums are accumulated in float64).
 * Other backends take the composite path unchanged, so the native/GPU path runs no wasm code.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { asWasmBackend, heapF32, heapOffset } from './backend-kernels';
import { simdKernels, splitRows, type SimdKernels } from './simd-kernels';

/** Elements below which one thread does a whole pass. */
const MIN_ELEMENTS_PER_THREAD = 1 << 15;

/** Kernel names (this repo's own; no tfjs kernel has them). */
export const BATCH_NORM_TRAIN = 'StrataBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'StrataBatchNormTrainGrad';

function input(inputs: NamedTensorInfoMap, kernel: string, name: string): TensorInfo {
  const t = inputs[name];
  if (t === undefined) throw new Error(`${kernel}: missing input '${name}'`);
  if (t.dtype !== 'float32') throw new Error(`${kernel}: input '${name}' is ${t.dtype}, expected float32`);
  return t;
}

function epsilonOf(attrs: NamedAttrMap | undefined, kernel: string): number {
  const eps = attrs?.['varianceEpsilon'];
  if (typeof eps !== 'number' || !(eps > 0)) throw new Error(`${kernel}: varianceEpsilon must be a positive number`);
  return eps;
}

/** Channels and rows of an NHWC tensor seen as [rows, channels]. */
function layout(x: TensorInfo, kernel: string): { c: number; rows: number } {
  if (x.shape.length !== 4) throw new Error(`${kernel}: x must be rank 4 (NHWC), got [${x.shape.join(', ')}]`);
  const c = x.shape[3] ?? 0;
  return { c, rows: c === 0 ? 0 : tf.util.sizeFromShape(x.shape) / c };
}

function forwardKernel(args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo[] {
  const backend = asWasmBackend(args.backend, BATCH_NORM_TRAIN);
  const x = input(args.inputs, BATCH_NORM_TRAIN, 'x');
  const scale = input(args.inputs, BATCH_NORM_TRAIN, 'scale');
  const offset = input(args.inputs, BATCH_NORM_TRAIN, 'offset');
  const eps = epsilonOf(args.attrs, BATCH_NORM_TRAIN);
  const { c, rows } = layout(x, BATCH_NORM_TRAIN);
  if (rows === 0) throw new Error(`${BATCH_NORM_TRAIN}: empty batch`);
  const y = backend.makeOutput(x.shape, 'float32');
  const mean = backend.makeOutput([c], 'float32');
  const variance = backend.makeOutput([c], 'float32');
  const simd = simdKernels(backend);
  if (simd !== null && c % 4 === 0) {
    simdForward(simd, backend, { x, scale, offset, y, mean, variance }, rows, c, eps);
    return [y, mean, variance];
  }
  const xs = heapF32(backend, x);
  const n = rows * c;
  // Row-major walks with the channel innermost; `as number`: every index is inside [0, n).
  const sum = new Float64Array(c);
  for (let k = 0; k < n; k += c) for (let j = 0; j < c; j++) sum[j] = (sum[j] as number) + (xs[k + j] as number);
  const mu = sum.map((s) => s / rows);
  // Two passes (mean, then squared deviations) as tf.moments does: no cancellation for large means.
  const sq = new Float64Array(c);
  for (let k = 0; k < n; k += c) {
    for (let j = 0; j < c; j++) {
      const d = (xs[k + j] as number) - (mu[j] as number);
      sq[j] = (sq[j] as number) + d * d;
    }
  }
  const g = heapF32(backend, scale);
  const b = heapF32(backend, offset);
  const mulC = new Float32Array(c);
  const addC = new Float32Array(c);
  const meanOut = heapF32(backend, mean);
  const varOut = heapF32(backend, variance);
  for (let j = 0; j < c; j++) {
    const v = (sq[j] ?? 0) / rows;
    meanOut[j] = mu[j] ?? 0;
    varOut[j] = v;
    const r = 1 / Math.sqrt(v + eps);
    mulC[j] = (g[j] ?? 0) * r;
    addC[j] = (b[j] ?? 0) - (mu[j] ?? 0) * (mulC[j] ?? 0);
  }
  const ys = heapF32(backend, y);
  for (let k = 0; k < n; k += c) for (let j = 0; j < c; j++) ys[k + j] = (xs[k + j] as number) * (mulC[j] as number) + (addC[j] as number);
  return [y, mean, variance];
}

function gradKernel(args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo[] {
  const name = BATCH_NORM_TRAIN_GRAD;
  const backend = asWasmBackend(args.backend, name);
  const dy = input(args.inputs, name, 'dy');
  const x = input(args.inputs, name, 'x');
  const scale = input(args.inputs, name, 'scale');
  const mean = input(args.inputs, name, 'mean');
  const variance = input(args.inputs, name, 'variance');
  const eps = epsilonOf(args.attrs, name);
  const { c, rows } = layout(x, name);
  const dx = backend.makeOutput(x.shape, 'float32');
  const dScale = backend.makeOutput([c], 'float32');
  const dOffset = backend.makeOutput([c], 'float32');
  const simd = simdKernels(backend);
  if (simd !== null && c % 4 === 0 && rows > 0) {
    simdGrad(simd, backend, { dy, x, scale, mean, variance, dx, dScale, dOffset }, rows, c, eps);
    return [dx, dScale, dOffset];
  }
  const xs = heapF32(backend, x);
  const dys = heapF32(backend, dy);
  const mu = heapF32(backend, mean);
  const vr = heapF32(backend, variance);
  const n = rows * c;
  const sdy = new Float64Array(c);
  const sdyx = new Float64Array(c);
  for (let k = 0; k < n; k += c) {
    for (let j = 0; j < c; j++) {
      const d = dys[k + j] as number;
      sdy[j] = (sdy[j] as number) + d;
      sdyx[j] = (sdyx[j] as number) + d * ((xs[k + j] as number) - (mu[j] as number));
    }
  }
  const g = heapF32(backend, scale);
  const ds = heapF32(backend, dScale);
  const db = heapF32(backend, dOffset);
  // dx = a·dy + b·(x - μ) + e per channel: a = γr, b = -γr³·Σdy(x-μ)/R, e = -γr·Σdy/R.
  const a = new Float32Array(c);
  const bx = new Float32Array(c);
  const e = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    const r = 1 / Math.sqrt((vr[j] ?? 0) + eps);
    const gr = (g[j] ?? 0) * r;
    ds[j] = (sdyx[j] ?? 0) * r;
    db[j] = sdy[j] ?? 0;
    a[j] = gr;
    bx[j] = (-gr * r * r * (sdyx[j] ?? 0)) / rows;
    e[j] = (-gr * (sdy[j] ?? 0)) / rows;
  }
  const out = heapF32(backend, dx);
  for (let k = 0; k < n; k += c) {
    for (let j = 0; j < c; j++) {
      out[k + j] = (a[j] as number) * (dys[k + j] as number) + (bx[j] as number) * ((xs[k + j] as number) - (mu[j] as number)) + (e[j] as number);
    }
  }
  return [dx, dScale, dOffset];
}

/**
 * Scratch on the heap for one SIMD call: per-thread f64 column sums (`sums` arrays of c per
 * range) and `coefs` f32 arrays of c. Freed by `free`.
 */
class Scratch {
  readonly ptr: number;
  constructor(
    private readonly simd: SimdKernels,
    private readonly c: number,
    private readonly ranges: number,
    sums: number,
    coefs: number,
  ) {
    this.ptr = simd.malloc(8 * c * ranges * sums + 4 * c * coefs);
    new Float64Array(simd.heap, this.ptr, c * ranges * sums).fill(0);
    this.coefBase = this.ptr + 8 * c * ranges * sums;
  }
  private readonly coefBase: number;
  /** Byte offset of range k's sums number s. */
  sumPtr(s: number, k: number): number {
    return this.ptr + 8 * this.c * (s * this.ranges + k);
  }
  /** Sums number s, added over the ranges. */
  total(s: number): Float64Array {
    const out = new Float64Array(this.c);
    for (let k = 0; k < this.ranges; k++) {
      const part = new Float64Array(this.simd.heap, this.sumPtr(s, k), this.c);
      for (let j = 0; j < this.c; j++) out[j] = (out[j] as number) + (part[j] as number);
    }
    return out;
  }
  coefPtr(i: number): number {
    return this.coefBase + 4 * this.c * i;
  }
  coef(i: number): Float32Array {
    return new Float32Array(this.simd.heap, this.coefPtr(i), this.c);
  }
  free(): void {
    this.simd.free(this.ptr);
  }
}

/** Forward pass on the SIMD kernels: sums, squared deviations, then γr·(x - μ) + β, each split by rows. */
function simdForward(
  simd: SimdKernels,
  backend: BackendWasm,
  t: { x: TensorInfo; scale: TensorInfo; offset: TensorInfo; y: TensorInfo; mean: TensorInfo; variance: TensorInfo },
  rows: number,
  c: number,
  eps: number,
): void {
  const ranges = splitRows(rows, simd.threads, Math.ceil(MIN_ELEMENTS_PER_THREAD / c));
  const scratch = new Scratch(simd, c, ranges.length, 2, 2);
  try {
    const x = heapOffset(backend, t.x);
    const y = heapOffset(backend, t.y);
    const mu = heapOffset(backend, t.mean);
    const at = (ptr: number, r0: number) => ptr + 4 * r0 * c;
    simd.run('col_moments', ranges.map(([r0, r1], k) => [at(x, r0), r1 - r0, c, 0, scratch.sumPtr(0, k), 0]));
    const sum = scratch.total(0);
    const meanOut = heapF32(backend, t.mean);
    for (let j = 0; j < c; j++) meanOut[j] = (sum[j] ?? 0) / rows;
    // Squared deviations from the float32 mean, as tf.moments computes them.
    simd.run('col_moments', ranges.map(([r0, r1], k) => [at(x, r0), r1 - r0, c, mu, scratch.sumPtr(1, k), 1]));
    const sq = scratch.total(1);
    const g = heapF32(backend, t.scale);
    const b = heapF32(backend, t.offset);
    const varOut = heapF32(backend, t.variance);
    const a = scratch.coef(0);
    const e = scratch.coef(1);
    for (let j = 0; j < c; j++) {
      const v = (sq[j] ?? 0) / rows;
      varOut[j] = v;
      a[j] = (g[j] ?? 0) / Math.sqrt(v + eps);
      e[j] = b[j] ?? 0;
    }
    simd.run('affine', ranges.map(([r0, r1]) => [at(x, r0), r1 - r0, c, mu, scratch.coefPtr(0), scratch.coefPtr(1), at(y, r0)]));
  } finally {
    scratch.free();
  }
}

/** Gradient on the SIMD kernels: Σdy and Σdy·(x - μ) in one pass, then dx in another. */
function simdGrad(
  simd: SimdKernels,
  backend: BackendWasm,
  t: { dy: TensorInfo; x: TensorInfo; scale: TensorInfo; mean: TensorInfo; variance: TensorInfo; dx: TensorInfo; dScale: TensorInfo; dOffset: TensorInfo },
  rows: number,
  c: number,
  eps: number,
): void {
  const ranges = splitRows(rows, simd.threads, Math.ceil(MIN_ELEMENTS_PER_THREAD / c));
  const scratch = new Scratch(simd, c, ranges.length, 2, 3);
  try {
    const dy = heapOffset(backend, t.dy);
    const x = heapOffset(backend, t.x);
    const dx = heapOffset(backend, t.dx);
    const mu = heapOffset(backend, t.mean);
    const at = (ptr: number, r0: number) => ptr + 4 * r0 * c;
    simd.run('grad_sums', ranges.map(([r0, r1], k) => [at(dy, r0), at(x, r0), r1 - r0, c, mu, scratch.sumPtr(0, k), scratch.sumPtr(1, k)]));
    const sdy = scratch.total(0);
    const sdyx = scratch.total(1);
    const g = heapF32(backend, t.scale);
    const vr = heapF32(backend, t.variance);
    const ds = heapF32(backend, t.dScale);
    const db = heapF32(backend, t.dOffset);
    // dx = a·dy + b·(x - μ) + e per channel: a = γr, b = -γr³·Σdy(x-μ)/R, e = -γr·Σdy/R.
    const a = scratch.coef(0);
    const bx = scratch.coef(1);
    const e = scratch.coef(2);
    for (let j = 0; j < c; j++) {
      const r = 1 / Math.sqrt((vr[j] ?? 0) + eps);
      const gr = (g[j] ?? 0) * r;
      ds[j] = (sdyx[j] ?? 0) * r;
      db[j] = sdy[j] ?? 0;
      a[j] = gr;
      bx[j] = (-gr * r * r * (sdyx[j] ?? 0)) / rows;
      e[j] = (-gr * (sdy[j] ?? 0)) / rows;
    }
    simd.run(
      'axpby',
      ranges.map(([r0, r1]) => [at(dy, r0), at(x, r0), r1 - r0, c, scratch.coefPtr(0), scratch.coefPtr(1), mu, scratch.coefPtr(2), at(dx, r0)]),
    );
  } finally {
    scratch.free();
  }
}

/** Registration records for `registerKernel` (wasm only). */
export const batchNormTrainConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN,
  backendName: 'wasm',
  kernelFunc: forwardKernel as KernelConfig['kernelFunc'],
};
export const batchNormTrainGradConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN_GRAD,
  backendName: 'wasm',
  kernelFunc: gradKernel as KernelConfig['kernelFunc'],
};

/** Gradient of the fused kernel; also carries gradients that reach the batch mean and variance outputs. */
export const batchNormTrainGradConfigForTape: GradConfig = {
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  gradFunc: (dy, saved, attrs) => {
    const [x, scale, mean, variance] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
    const [dyY, dyMean, dyVar] = dy as [tf.Tensor | null, tf.Tensor | null, tf.Tensor | null];
    // One kernel call for all three gradients, made here rather than per input: the engine runs
    // each input's closure in its own tidy, and these tensors belong to the backward pass's scope.
    const upstream = dyY ?? tf.zerosLike(x);
    const [dx, dScale, dOffset] = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { dy: upstream, x, scale, mean, variance }, attrs as NamedAttrMap) as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
    ];
    return {
      x: () => {
        // d mean/dx = 1/R and d var/dx = 2(x - μ)/R, for a caller that differentiates the statistics.
        const rows = x.size / (x.shape[3] || 1);
        let g = dx;
        if (dyMean) g = tf.add(g, tf.div(dyMean, rows));
        if (dyVar) g = tf.add(g, tf.mul(tf.sub(x, mean), tf.mul(dyVar, 2 / rows)));
        return g;
      },
      scale: () => dScale,
      offset: () => dOffset,
    };
  },
};

/** Output of {@link batchNormTrain}: the normalised tensor and the batch statistics it used. */
export interface BatchNormTrainResult {
  y: tf.Tensor4D;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * Batch norm in training mode over N, H, W of an NHWC tensor, exactly
 * `tf.moments(x, [0, 1, 2])` + `tf.batchNorm4d(x, mean, variance, offset, scale, eps)`.
 * On wasm (with the kernels registered) it runs the fused kernels above; elsewhere, that composite.
 */
export function batchNormTrain(x: tf.Tensor4D, scale: tf.Tensor1D, offset: tf.Tensor1D, epsilon: number): BatchNormTrainResult {
  if (tf.getBackend() === 'wasm' && tf.getKernel(BATCH_NORM_TRAIN, 'wasm') !== undefined && x.dtype === 'float32' && x.size > 0) {
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, scale, offset }, { varianceEpsilon: epsilon }) as [
      tf.Tensor4D,
      tf.Tensor1D,
      tf.Tensor1D,
    ];
    return { y, mean, variance };
  }
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const y = tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, offset, scale, epsilon);
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}
