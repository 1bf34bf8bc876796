/**
 * Training-mode batch norm (optionally with the ReLU that follows it) as one op with a fused
 * gradient, for the wasm backend.
 *
 * Written with tf.moments + tf.batchNorm4d, one BN layer costs ~25 full-size passes in a training
 * step (the moments' own gradients, tfjs's FusedBatchNorm gradient with its Tile, broadcasts that
 * wasm runs slowly), and the ReLU after it 4 more. Here the forward pass is 3 passes over x and
 * the backward 2:
 *   y = max(γ·x̂ + β, 0 if relu),  x̂ = (x - μ)·r,  r = (σ² + ε)^-½   (μ, σ² over N, H, W; biased σ²)
 *   g = dy · [γ·x̂ + β > 0 if relu]     (the mask recomputed from x: nothing extra is kept)
 *   dx = γ·r·(g - mean(g) - x̂·mean(g·x̂)) + dμ/R + 2·dσ²·(x - μ)/R,  dγ = Σ g·x̂,  dβ = Σ g
 * (dμ, dσ²: gradients reaching the batch statistics, zero in a plain training step.)
 * The same values as the composite, to float rounding (sums are accumulated in float64).
 * Channels divisible by 4 run on the SIMD kernels (kernels.wat), split over threads; others on
 * JS loops. Other backends take the composite path unchanged, so the native/GPU path runs no
 * wasm code.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { asWasmBackend, floatInput, heapF32, heapOffset, type KernelArgs } from './backend-kernels';
import { simdKernels, withPass, type SimdKernels } from './simd-kernels';

/** Kernel names (this repo's own; no tfjs kernel has them). */
export const BATCH_NORM_TRAIN = 'StrataBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'StrataBatchNormTrainGrad';

function attrsOf(attrs: NamedAttrMap | undefined, kernel: string): { eps: number; relu: boolean } {
  const eps = attrs?.['varianceEpsilon'];
  if (typeof eps !== 'number' || !(eps > 0)) throw new Error(`${kernel}: varianceEpsilon must be a positive number`);
  return { eps, relu: attrs?.['relu'] === true };
}

/** Channels and rows of an NHWC tensor seen as [rows, channels]. */
function layout(x: TensorInfo, kernel: string): { c: number; rows: number } {
  if (x.shape.length !== 4) throw new Error(`${kernel}: x must be rank 4 (NHWC), got [${x.shape.join(', ')}]`);
  const c = x.shape[3] ?? 0;
  return { c, rows: c === 0 ? 0 : tf.util.sizeFromShape(x.shape) / c };
}

function forwardKernel(args: KernelArgs): TensorInfo[] {
  const backend = asWasmBackend(args.backend, BATCH_NORM_TRAIN);
  const x = floatInput(args.inputs, BATCH_NORM_TRAIN, 'x');
  const scale = floatInput(args.inputs, BATCH_NORM_TRAIN, 'scale');
  const offset = floatInput(args.inputs, BATCH_NORM_TRAIN, 'offset');
  const { eps, relu } = attrsOf(args.attrs, BATCH_NORM_TRAIN);
  const { c, rows } = layout(x, BATCH_NORM_TRAIN);
  if (rows === 0) throw new Error(`${BATCH_NORM_TRAIN}: empty batch`);
  const y = backend.makeOutput(x.shape, 'float32');
  const mean = backend.makeOutput([c], 'float32');
  const variance = backend.makeOutput([c], 'float32');
  const simd = simdKernels(backend);
  if (simd !== null && c % 4 === 0) simdForward(simd, backend, { x, scale, offset, y, mean, variance }, rows, c, eps, relu);
  else jsForward(backend, { x, scale, offset, y, mean, variance }, rows, c, eps, relu);
  return [y, mean, variance];
}

type ForwardTensors = { x: TensorInfo; scale: TensorInfo; offset: TensorInfo; y: TensorInfo; mean: TensorInfo; variance: TensorInfo };

/** γr per channel from the stored float32 variance: the same values in the forward pass and the gradient's ReLU mask. */
function scaleTimesR(backend: BackendWasm, t: { scale: TensorInfo; variance: TensorInfo }, eps: number, out: Float32Array): void {
  const g = heapF32(backend, t.scale);
  const vr = heapF32(backend, t.variance);
  for (let j = 0; j < out.length; j++) out[j] = (g[j] ?? 0) / Math.sqrt((vr[j] ?? 0) + eps);
}

/** Writes the batch mean from the column sums; returns it (a heap view). */
function writeMean(backend: BackendWasm, t: { mean: TensorInfo }, sum: Float64Array, rows: number): Float32Array {
  const meanOut = heapF32(backend, t.mean);
  for (let j = 0; j < meanOut.length; j++) meanOut[j] = (sum[j] ?? 0) / rows;
  return meanOut;
}

/** Writes the batch variance from the squared deviations, then γr into `gr` (from the float32 variance, as the gradient reads it). */
function writeVariance(backend: BackendWasm, t: { scale: TensorInfo; variance: TensorInfo }, sq: Float64Array, rows: number, eps: number, gr: Float32Array): void {
  const varOut = heapF32(backend, t.variance);
  for (let j = 0; j < varOut.length; j++) varOut[j] = (sq[j] ?? 0) / rows;
  scaleTimesR(backend, t, eps, gr);
}

/** Forward pass on the SIMD kernels: sums, squared deviations, then the affine map, each split by rows. */
function simdForward(simd: SimdKernels, backend: BackendWasm, t: ForwardTensors, rows: number, c: number, eps: number, relu: boolean): void {
  withPass(simd, rows, c, 2, 1, ({ ranges, scratch, row: at }) => {
    const x = heapOffset(backend, t.x);
    const y = heapOffset(backend, t.y);
    const mu = heapOffset(backend, t.mean);
    simd.run('col_moments', ranges.map(([r0, r1], k) => [at(x, r0), r1 - r0, c, 0, scratch.sumPtr(0, k), 0]));
    writeMean(backend, t, scratch.total(0), rows);
    // Squared deviations from the float32 mean, as tf.moments computes them.
    simd.run('col_moments', ranges.map(([r0, r1], k) => [at(x, r0), r1 - r0, c, mu, scratch.sumPtr(1, k), 1]));
    writeVariance(backend, t, scratch.total(1), rows, eps, scratch.coef(0));
    const beta = heapOffset(backend, t.offset);
    simd.run('affine', ranges.map(([r0, r1]) => [at(x, r0), r1 - r0, c, mu, scratch.coefPtr(0), beta, relu ? 1 : 0, at(y, r0)]));
  });
}

/** The forward pass as JS loops, for channel counts the SIMD kernels do not take. */
function jsForward(backend: BackendWasm, t: ForwardTensors, rows: number, c: number, eps: number, relu: boolean): void {
  const xs = heapF32(backend, t.x);
  const n = rows * c;
  // Row-major walks with the channel innermost; `as number`: every index is inside [0, n).
  const sum = new Float64Array(c);
  for (let k = 0; k < n; k += c) for (let j = 0; j < c; j++) sum[j] = (sum[j] as number) + (xs[k + j] as number);
  const meanOut = writeMean(backend, t, sum, rows);
  // Two passes (mean, then squared deviations from the float32 mean) as tf.moments does.
  const sq = new Float64Array(c);
  for (let k = 0; k < n; k += c) {
    for (let j = 0; j < c; j++) {
      const d = (xs[k + j] as number) - (meanOut[j] as number);
      sq[j] = (sq[j] as number) + d * d;
    }
  }
  const gr = new Float32Array(c);
  writeVariance(backend, t, sq, rows, eps, gr);
  const b = heapF32(backend, t.offset);
  const lo = relu ? 0 : -Infinity;
  const ys = heapF32(backend, t.y);
  for (let k = 0; k < n; k += c) {
    for (let j = 0; j < c; j++) {
      const v = Math.fround((gr[j] as number) * Math.fround((xs[k + j] as number) - (meanOut[j] as number))) + (b[j] as number);
      ys[k + j] = v > lo || Number.isNaN(v) ? v : lo;
    }
  }
}

type GradTensors = {
  dy: TensorInfo;
  x: TensorInfo;
  scale: TensorInfo;
  offset: TensorInfo;
  mean: TensorInfo;
  variance: TensorInfo;
  dyMean: TensorInfo;
  dyVar: TensorInfo;
  dx: TensorInfo;
  dScale: TensorInfo;
  dOffset: TensorInfo;
};

function gradKernel(args: KernelArgs): TensorInfo[] {
  const name = BATCH_NORM_TRAIN_GRAD;
  const backend = asWasmBackend(args.backend, name);
  const [dy, x, scale, offset, mean, variance, dyMean, dyVar] = ['dy', 'x', 'scale', 'offset', 'mean', 'variance', 'dyMean', 'dyVar'].map((k) =>
    floatInput(args.inputs, name, k),
  ) as [TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo];
  const { eps, relu } = attrsOf(args.attrs, name);
  const { c, rows } = layout(x, name);
  const dx = backend.makeOutput(x.shape, 'float32');
  const dScale = backend.makeOutput([c], 'float32');
  const dOffset = backend.makeOutput([c], 'float32');
  const t: GradTensors = { dy, x, scale, offset, mean, variance, dyMean, dyVar, dx, dScale, dOffset };
  const simd = simdKernels(backend);
  if (simd !== null && c % 4 === 0 && rows > 0) simdGrad(simd, backend, t, rows, c, eps, relu);
  else jsGrad(backend, t, rows, c, eps, relu);
  return [dx, dScale, dOffset];
}

/**
 * Per-channel coefficients of dx = a·g + b·(x - μ) + e from the sums Σg and Σg·(x - μ); also
 * writes dγ and dβ.
 */
function gradCoefficients(
  backend: BackendWasm,
  t: GradTensors,
  sdy: Float64Array,
  sdyx: Float64Array,
  rows: number,
  eps: number,
  out: { a: Float32Array; b: Float32Array; e: Float32Array },
): void {
  const g = heapF32(backend, t.scale);
  const vr = heapF32(backend, t.variance);
  const dMean = heapF32(backend, t.dyMean);
  const dVar = heapF32(backend, t.dyVar);
  const ds = heapF32(backend, t.dScale);
  const db = heapF32(backend, t.dOffset);
  for (let j = 0; j < out.a.length; j++) {
    const r = 1 / Math.sqrt((vr[j] ?? 0) + eps);
    const gr = (g[j] ?? 0) * r;
    ds[j] = (sdyx[j] ?? 0) * r;
    db[j] = sdy[j] ?? 0;
    out.a[j] = gr;
    // d mean/dx = 1/R and d var/dx = 2(x - μ)/R carry the statistics' own gradients.
    out.b[j] = (-gr * r * r * (sdyx[j] ?? 0) + 2 * (dVar[j] ?? 0)) / rows;
    out.e[j] = (-gr * (sdy[j] ?? 0) + (dMean[j] ?? 0)) / rows;
  }
}

/** Gradient on the SIMD kernels: Σg and Σg·(x - μ) in one pass, then dx in another. */
function simdGrad(simd: SimdKernels, backend: BackendWasm, t: GradTensors, rows: number, c: number, eps: number, relu: boolean): void {
  withPass(simd, rows, c, 2, 4, ({ ranges, scratch, row: at }) => {
    const dy = heapOffset(backend, t.dy);
    const x = heapOffset(backend, t.x);
    const dx = heapOffset(backend, t.dx);
    const mu = heapOffset(backend, t.mean);
    const beta = heapOffset(backend, t.offset);
    scaleTimesR(backend, t, eps, scratch.coef(3));
    const gr = scratch.coefPtr(3);
    const mask = relu ? 1 : 0;
    simd.run(
      'grad_sums',
      ranges.map(([r0, r1], k) => [at(dy, r0), at(x, r0), r1 - r0, c, mu, gr, beta, mask, scratch.sumPtr(0, k), scratch.sumPtr(1, k)]),
    );
    gradCoefficients(backend, t, scratch.total(0), scratch.total(1), rows, eps, { a: scratch.coef(0), b: scratch.coef(1), e: scratch.coef(2) });
    simd.run(
      'axpby',
      ranges.map(([r0, r1]) => [at(dy, r0), at(x, r0), r1 - r0, c, scratch.coefPtr(0), scratch.coefPtr(1), mu, scratch.coefPtr(2), gr, beta, mask, at(dx, r0)]),
    );
  });
}

/** The gradient as JS loops, for channel counts the SIMD kernels do not take. */
function jsGrad(backend: BackendWasm, t: GradTensors, rows: number, c: number, eps: number, relu: boolean): void {
  const xs = heapF32(backend, t.x);
  const dys = heapF32(backend, t.dy);
  const mu = heapF32(backend, t.mean);
  const beta = heapF32(backend, t.offset);
  const gr = new Float32Array(c);
  scaleTimesR(backend, t, eps, gr);
  const n = rows * c;
  // The upstream gradient, masked by the ReLU where it is fused.
  const masked = (k: number, j: number): number => {
    const d = dys[k + j] as number;
    if (!relu) return d;
    const y = Math.fround((gr[j] as number) * Math.fround((xs[k + j] as number) - (mu[j] as number))) + (beta[j] as number);
    return y > 0 ? d : 0;
  };
  const sdy = new Float64Array(c);
  const sdyx = new Float64Array(c);
  for (let k = 0; k < n; k += c) {
    for (let j = 0; j < c; j++) {
      const d = masked(k, j);
      sdy[j] = (sdy[j] as number) + d;
      sdyx[j] = (sdyx[j] as number) + d * ((xs[k + j] as number) - (mu[j] as number));
    }
  }
  const coefs = { a: new Float32Array(c), b: new Float32Array(c), e: new Float32Array(c) };
  gradCoefficients(backend, t, sdy, sdyx, rows, eps, coefs);
  const out = heapF32(backend, t.dx);
  for (let k = 0; k < n; k += c) {
    for (let j = 0; j < c; j++) {
      out[k + j] = (coefs.a[j] as number) * masked(k, j) + (coefs.b[j] as number) * ((xs[k + j] as number) - (mu[j] as number)) + (coefs.e[j] as number);
    }
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

/** Gradient of the fused kernel, including gradients that reach the batch mean and variance outputs. */
export const batchNormTrainGradConfigForTape: GradConfig = {
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ['x', 'scale', 'offset'],
  outputsToSave: [false, true, true],
  gradFunc: (dy, saved, attrs) => {
    const [x, scale, offset, mean, variance] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
    const [dyY, dyMean, dyVar] = dy as [tf.Tensor | null, tf.Tensor | null, tf.Tensor | null];
    // One kernel call for all three gradients, made here rather than per input: the engine runs
    // each input's closure in its own tidy, and these tensors belong to the backward pass's scope.
    // (The engine hands zeros for outputs that no gradient reached; they cost nothing here.)
    const inputs = {
      dy: dyY ?? tf.zerosLike(x),
      x,
      scale,
      offset,
      mean,
      variance,
      dyMean: dyMean ?? tf.zerosLike(mean),
      dyVar: dyVar ?? tf.zerosLike(variance),
    };
    const [dx, dScale, dOffset] = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, inputs, attrs as NamedAttrMap) as [tf.Tensor, tf.Tensor, tf.Tensor];
    return { x: () => dx, scale: () => dScale, offset: () => dOffset };
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
 * `tf.moments(x, [0, 1, 2])` + `tf.batchNorm4d(x, mean, variance, offset, scale, eps)`, followed by
 * `tf.relu` when `relu`. On wasm and webgpu (with their kernels registered) it runs the fused
 * kernels; elsewhere, that composite.
 */
export function batchNormTrain(x: tf.Tensor4D, scale: tf.Tensor1D, offset: tf.Tensor1D, epsilon: number, relu = false): BatchNormTrainResult {
  // wasm and webgpu register the fused kernel (webgpu/batchNorm.ts); cpu and tfjs-node take the composite.
  if (tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend()) !== undefined && x.dtype === 'float32' && x.size > 0) {
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, scale, offset }, { varianceEpsilon: epsilon, relu }) as [
      tf.Tensor4D,
      tf.Tensor1D,
      tf.Tensor1D,
    ];
    return { y, mean, variance };
  }
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const normed = tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, offset, scale, epsilon);
  return { y: relu ? tf.relu(normed) : normed, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}
