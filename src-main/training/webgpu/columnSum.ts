/**
 * Sum and Mean over every axis but the last (a conv's bias gradient, batch norm's statistics and
 * its gradients' sums over N, H, W) as a split-K column reduction: the rows are cut into up to
 * MAX_SPLITS chunks, one pass writes a partial sum per chunk and channel, a second adds them.
 * tfjs's reduce transposes the tensor to put the channels first (a full pass) and then gives one
 * workgroup per channel, which is 8 workgroups for an 8-channel layer. Other axes, other dtypes:
 * tfjs's kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { flatProgram, int, runProgram, type WebgpuBackend } from './program';

/** Rows per chunk the split aims at, and the most chunks. */
const CHUNK_ROWS = 64;
const MAX_SPLITS = 1024;

/** How many chunks a column sum over `rows` rows is cut into. */
export function columnSplits(rows: number): number {
  return Math.min(MAX_SPLITS, Math.max(1, Math.ceil(rows / CHUNK_ROWS)));
}

/** Pass 1: partial[s, c] = scale · the sum of x[r, c] over chunk s's rows. */
const PARTIAL = `
  fn main(index : i32) {
    if (index < uniforms.size) {
      let s = index / uniforms.columns;
      let c = index - s * uniforms.columns;
      let end = min((s + 1) * uniforms.chunk, uniforms.rows);
      var acc = 0.0;
      for (var r = s * uniforms.chunk; r < end; r = r + 1) {
        acc = acc + x[r * uniforms.columns + c];
      }
      setOutputAtIndex(index, acc * uniforms.scale);
    }
  }`;

/** Pass 2: the chunks' partial sums added in order, times scale. */
const REDUCE = `
  fn main(index : i32) {
    if (index < uniforms.size) {
      var acc = 0.0;
      for (var s = 0; s < uniforms.splits; s = s + 1) {
        acc = acc + partial[s * uniforms.size + index];
      }
      setOutputAtIndex(index, acc * uniforms.scale);
    }
  }`;

const float = (v: number) => ({ type: 'float32' as const, data: [v] });

/** Σ (times scale) over the leading axes of x seen as [rows, columns], shaped `outShape`. */
function columnSum(backend: WebgpuBackend, x: tf.TensorInfo, outShape: number[], scale: number): tf.TensorInfo {
  const columns = x.shape[x.shape.length - 1] ?? 1;
  const rows = tf.util.sizeFromShape(x.shape) / columns;
  const splits = columnSplits(rows);
  const chunk = Math.ceil(rows / splits);
  const partialProgram = flatProgram(splits === 1 ? outShape : [splits, columns], 'strataColumnSumPartial', ['x'], 'rows : i32, columns : i32, chunk : i32, scale : f32,', PARTIAL);
  const partial = runProgram(backend, 'strataColumnSumPartial', partialProgram, [x], [int(rows), int(columns), int(chunk), float(splits === 1 ? scale : 1)]);
  if (splits === 1) return partial;
  const out = runProgram(backend, 'strataColumnSumReduce', flatProgram(outShape, 'strataColumnSumReduce', ['partial'], 'splits : i32, scale : f32,', REDUCE), [partial], [int(splits), float(scale)]);
  backend.disposeData(partial.dataId);
  return out;
}

/** The output shape when `axis` names every axis of `shape` but the last (float32, rank 2 or more), else null. */
function leadingAxesOut(x: tf.TensorInfo, axis: number | number[], keepDims: boolean): number[] | null {
  const rank = x.shape.length;
  if (x.dtype !== 'float32' || rank < 2 || tf.util.sizeFromShape(x.shape) === 0) return null;
  const axes = [...tf.util.parseAxisParam(axis, x.shape)].sort((a, b) => a - b);
  if (axes.length !== rank - 1 || axes.some((a, i) => a !== i)) return null;
  const columns = x.shape[rank - 1] ?? 1;
  return keepDims ? [...axes.map(() => 1), columns] : [columns];
}

/** Sum over the leading axes: Strata's column sum, else `original`. */
export function sum(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const outShape = leadingAxesOut(x, axis, keepDims);
    return outShape === null ? original(args) : columnSum(args.backend as unknown as WebgpuBackend, x, outShape, 1);
  };
}

/** Mean over the leading axes: Strata's column sum over the row count, else `original`. */
export function mean(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as tf.MeanAttrs;
    const outShape = leadingAxesOut(x, axis, keepDims);
    if (outShape === null) return original(args);
    const rows = tf.util.sizeFromShape(x.shape) / (x.shape[x.shape.length - 1] ?? 1);
    return columnSum(args.backend as unknown as WebgpuBackend, x, outShape, 1 / rows);
  };
}
