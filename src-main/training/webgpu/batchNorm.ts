/**
 * Training-mode batch norm with its ReLU (wasm/batch-norm.ts's StrataBatchNormTrain and its
 * gradient kernel, the same math) for the webgpu backend: tf.moments + tf.batchNorm4d + tf.relu
 * and their gradients are about 25 dispatches a layer there, these are 4 forward and 5 backward.
 *   forward:  per chunk of rows and channel, the chunk's mean and squared deviations from it; the
 *             batch mean and variance from the chunks (Chan's combination); y = max(γr·(x - μ) + β, 0 if relu)
 *   backward: per chunk and channel, Σg and Σg·(x - μ) (g = dy masked by the ReLU, recomputed from x);
 *             dβ, dγ, and the coefficients of dx = a·g + b·(x - μ) + e from them; then dx.
 * (μ, σ² over N, H, W; biased σ²; r = (σ² + ε)^-½.) Each kernel is in one piece: float32 NHWC only,
 * anything else is an error naming it, as on wasm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { columnSplits } from './columnSum';
import { flatProgram, int, runProgram, type WebgpuBackend } from './program';

const float = (v: number) => ({ type: 'float32' as const, data: [v] });

/** Rows of chunk s (the last may be shorter, or empty). */
const CHUNK_ROWS = `
  fn chunkRows(s : i32) -> i32 {
    return max(0, min(uniforms.chunk, uniforms.rows - s * uniforms.chunk));
  }`;

/** Forward pass 1: partial[s, 0, c] = the chunk's mean, partial[s, 1, c] = its squared deviations from that mean. */
const MOMENTS = `
  ${CHUNK_ROWS}
  fn main(index : i32) {
    if (index < uniforms.work) {
      let C = uniforms.columns;
      let s = index / C;
      let c = index - s * C;
      let start = s * uniforms.chunk;
      let n = chunkRows(s);
      var sum = 0.0;
      for (var r = start; r < start + n; r = r + 1) {
        sum = sum + x[r * C + c];
      }
      var m = 0.0;
      if (n > 0) {
        m = sum / f32(n);
      }
      var sq = 0.0;
      for (var r = start; r < start + n; r = r + 1) {
        let d = x[r * C + c] - m;
        sq = sq + d * d;
      }
      result[(2 * s) * C + c] = m;
      result[(2 * s + 1) * C + c] = sq;
    }
  }`;

/** Forward pass 2: the batch mean (which 0) or variance (which 1) from the chunks. */
const STATS = `
  ${CHUNK_ROWS}
  fn main(index : i32) {
    if (index < uniforms.size) {
      let C = uniforms.columns;
      var sum = 0.0;
      for (var s = 0; s < uniforms.splits; s = s + 1) {
        sum = sum + f32(chunkRows(s)) * partial[(2 * s) * C + index];
      }
      let mean = sum / f32(uniforms.rows);
      if (uniforms.which == 0) {
        setOutputAtIndex(index, mean);
      } else {
        var sq = 0.0;
        for (var s = 0; s < uniforms.splits; s = s + 1) {
          let d = partial[(2 * s) * C + index] - mean;
          sq = sq + partial[(2 * s + 1) * C + index] + f32(chunkRows(s)) * d * d;
        }
        setOutputAtIndex(index, sq / f32(uniforms.rows));
      }
    }
  }`;

/** γr and the normalised value before the ReLU: the same in the forward pass and the gradient's mask. */
const AFFINE = `
  fn gammaR(c : i32) -> f32 {
    return scale[c] / sqrt(variance[c] + uniforms.epsilon);
  }`;

/** Forward pass 3: y. */
const NORMALIZE = `
  ${AFFINE}
  fn main(index : i32) {
    if (index < uniforms.size) {
      let c = index % uniforms.columns;
      let v = gammaR(c) * (x[index] - mean[c]) + offset[c];
      setOutputAtIndex(index, select(v, 0.0, uniforms.relu != 0 && v <= 0.0));
    }
  }`;

/** Backward pass 1: partial[s, 0, c] = Σg, partial[s, 1, c] = Σg·(x - μ) over chunk s. */
const GRAD_SUMS = `
  ${CHUNK_ROWS}
  ${AFFINE}
  fn main(index : i32) {
    if (index < uniforms.work) {
      let C = uniforms.columns;
      let s = index / C;
      let c = index - s * C;
      let gr = gammaR(c);
      let mu = mean[c];
      let beta = offset[c];
      let start = s * uniforms.chunk;
      var sg = 0.0;
      var sgx = 0.0;
      for (var r = start; r < start + chunkRows(s); r = r + 1) {
        let i = r * C + c;
        let d = x[i] - mu;
        var g = dy[i];
        if (uniforms.relu != 0 && gr * d + beta <= 0.0) {
          g = 0.0;
        }
        sg = sg + g;
        sgx = sgx + g * d;
      }
      result[(2 * s) * C + c] = sg;
      result[(2 * s + 1) * C + c] = sgx;
    }
  }`;

/** Backward pass 2: dβ (which 0), dγ (which 1), or dx's coefficients [a, b, e] per channel (which 2). */
const GRAD_STATS = `
  fn main(index : i32) {
    if (index < uniforms.size) {
      let C = uniforms.columns;
      let c = index % C;
      var sg = 0.0;
      var sgx = 0.0;
      for (var s = 0; s < uniforms.splits; s = s + 1) {
        sg = sg + partial[(2 * s) * C + c];
        sgx = sgx + partial[(2 * s + 1) * C + c];
      }
      let r = 1.0 / sqrt(variance[c] + uniforms.epsilon);
      let gr = scale[c] * r;
      let R = f32(uniforms.rows);
      var v = sg;
      if (uniforms.which == 1) {
        v = sgx * r;
      } else if (uniforms.which == 2) {
        let k = index / C;
        // d mean/dx = 1/R and d var/dx = 2(x - μ)/R carry the statistics' own gradients.
        if (k == 0) {
          v = gr;
        } else if (k == 1) {
          v = (-gr * r * r * sgx + 2.0 * dyVar[c]) / R;
        } else {
          v = (-gr * sg + dyMean[c]) / R;
        }
      }
      setOutputAtIndex(index, v);
    }
  }`;

/** Backward pass 3: dx = a·g + b·(x - μ) + e. */
const GRAD_DX = `
  fn main(index : i32) {
    if (index < uniforms.size) {
      let C = uniforms.columns;
      let c = index % C;
      let gr = coef[c];
      let d = x[index] - mean[c];
      var g = dy[index];
      if (uniforms.relu != 0 && gr * d + offset[c] <= 0.0) {
        g = 0.0;
      }
      setOutputAtIndex(index, gr * g + coef[C + c] * d + coef[2 * C + c]);
    }
  }`;

/** The kernels' attributes, checked. */
function attrsOf(attrs: tf.NamedAttrMap | undefined, kernel: string): { eps: number; relu: boolean } {
  const eps = attrs?.['varianceEpsilon'];
  if (typeof eps !== 'number' || !(eps > 0)) throw new Error(`${kernel}: varianceEpsilon must be a positive number`);
  return { eps, relu: attrs?.['relu'] === true };
}

/** Input `name`, float32. */
function input(inputs: tf.NamedTensorInfoMap, kernel: string, name: string): tf.TensorInfo {
  const t = inputs[name];
  if (t === undefined) throw new Error(`${kernel}: missing input '${name}'`);
  if (t.dtype !== 'float32') throw new Error(`${kernel}: input '${name}' is ${t.dtype}, expected float32`);
  return t;
}

/** Channels, rows and the split of an NHWC tensor seen as [rows, channels]. */
function layout(x: tf.TensorInfo, kernel: string): { columns: number; rows: number; splits: number; chunk: number } {
  if (x.shape.length !== 4) throw new Error(`${kernel}: x must be rank 4 (NHWC), got [${x.shape.join(', ')}]`);
  const columns = x.shape[3] ?? 0;
  const rows = columns === 0 ? 0 : tf.util.sizeFromShape(x.shape) / columns;
  if (rows === 0) throw new Error(`${kernel}: empty batch`);
  const splits = columnSplits(rows);
  return { columns, rows, splits, chunk: Math.ceil(rows / splits) };
}

const SPLIT_UNIFORMS = 'rows : i32, columns : i32, chunk : i32, splits : i32, work : i32,';

/** The forward kernel: [y, mean, variance]. */
export function batchNormTrainWebgpu(kernel: string): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as unknown as WebgpuBackend;
    const x = input(args.inputs, kernel, 'x');
    const scale = input(args.inputs, kernel, 'scale');
    const offset = input(args.inputs, kernel, 'offset');
    const { eps, relu } = attrsOf(args.attrs, kernel);
    const { columns, rows, splits, chunk } = layout(x, kernel);
    const split = [int(rows), int(columns), int(chunk), int(splits), int(splits * columns)];
    const partial = runProgram(backend, 'strataBatchNormMoments', flatProgram([splits, 2, columns], 'strataBatchNormMoments', ['x'], SPLIT_UNIFORMS, MOMENTS, splits * columns), [x], split);
    const stats = (which: number) =>
      runProgram(backend, 'strataBatchNormStats', flatProgram([columns], 'strataBatchNormStats', ['partial'], `${SPLIT_UNIFORMS} which : i32,`, STATS), [partial], [...split, int(which)]);
    const mean = stats(0);
    const variance = stats(1);
    backend.disposeData(partial.dataId);
    const y = runProgram(
      backend,
      'strataBatchNormApply',
      flatProgram(x.shape, 'strataBatchNormApply', ['x', 'mean', 'variance', 'scale', 'offset'], 'columns : i32, epsilon : f32, relu : i32,', NORMALIZE),
      [x, mean, variance, scale, offset],
      [int(columns), float(eps), int(relu ? 1 : 0)],
    );
    return [y, mean, variance];
  };
}

/** The gradient kernel: [dx, dScale, dOffset]. */
export function batchNormTrainGradWebgpu(kernel: string): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as unknown as WebgpuBackend;
    const [dy, x, scale, offset, mean, variance, dyMean, dyVar] = ['dy', 'x', 'scale', 'offset', 'mean', 'variance', 'dyMean', 'dyVar'].map((k) => input(args.inputs, kernel, k)) as [
      tf.TensorInfo,
      tf.TensorInfo,
      tf.TensorInfo,
      tf.TensorInfo,
      tf.TensorInfo,
      tf.TensorInfo,
      tf.TensorInfo,
      tf.TensorInfo,
    ];
    const { eps, relu } = attrsOf(args.attrs, kernel);
    const { columns, rows, splits, chunk } = layout(x, kernel);
    const split = [int(rows), int(columns), int(chunk), int(splits), int(splits * columns)];
    const partial = runProgram(
      backend,
      'strataBatchNormGradSums',
      flatProgram([splits, 2, columns], 'strataBatchNormGradSums', ['dy', 'x', 'mean', 'variance', 'scale', 'offset'], `${SPLIT_UNIFORMS} epsilon : f32, relu : i32,`, GRAD_SUMS, splits * columns),
      [dy, x, mean, variance, scale, offset],
      [...split, float(eps), int(relu ? 1 : 0)],
    );
    const stats = (which: number, size: number) =>
      runProgram(
        backend,
        'strataBatchNormGradStats',
        flatProgram([size], 'strataBatchNormGradStats', ['partial', 'variance', 'scale', 'dyMean', 'dyVar'], `${SPLIT_UNIFORMS} epsilon : f32, which : i32,`, GRAD_STATS),
        [partial, variance, scale, dyMean, dyVar],
        [...split, float(eps), int(which)],
      );
    const dOffset = stats(0, columns);
    const dScale = stats(1, columns);
    const coef = stats(2, 3 * columns);
    backend.disposeData(partial.dataId);
    const dx = runProgram(
      backend,
      'strataBatchNormGradDx',
      flatProgram(x.shape, 'strataBatchNormGradDx', ['dy', 'x', 'mean', 'offset', 'coef'], 'columns : i32, relu : i32,', GRAD_DX),
      [dy, x, mean, offset, coef],
      [int(columns), int(relu ? 1 : 0)],
    );
    backend.disposeData(coef.dataId);
    return [dx, dScale, dOffset];
  };
}
