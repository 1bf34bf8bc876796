/**
 * Input normalisation. Pixels are first scaled to [0, 1] (x / 255), then standardised with the mean
 * and standard deviation of the TRAINING split only, so validation data never leaks into the inputs:
 *
 *   input = (x / 255 - mean) / std
 */
import type { Dataset } from './dataset';

/** Mean and standard deviation of x / 255 over the training pixels. */
export interface NormStats {
  mean: number;
  std: number;
}

/**
 * Statistics over the images of `trainIndices`. A constant training set (std 0) gets std 1, so that
 * normalisation only centres it instead of dividing by zero.
 */
export function computeNormStats(ds: Dataset, trainIndices: readonly number[]): NormStats {
  if (trainIndices.length === 0) throw new RangeError('cannot compute normalisation statistics of an empty training split');
  const pixels = ds.height * ds.width;
  // Integer histogram: exact sums, and one pass over the bytes.
  const histogram = new Float64Array(256);
  for (const index of trainIndices) {
    if (!Number.isInteger(index) || index < 0 || index >= ds.ids.length) {
      throw new RangeError(`training index ${index} is outside the dataset (0..${ds.ids.length - 1})`);
    }
    const offset = index * pixels;
    for (let p = 0; p < pixels; p++) {
      const v = ds.images[offset + p] ?? 0;
      histogram[v] = (histogram[v] ?? 0) + 1;
    }
  }
  const n = trainIndices.length * pixels;
  let sum = 0;
  for (let v = 0; v < 256; v++) sum += (histogram[v] ?? 0) * (v / 255);
  const mean = sum / n;
  let squares = 0;
  for (let v = 0; v < 256; v++) squares += (histogram[v] ?? 0) * (v / 255 - mean) ** 2;
  const std = Math.sqrt(squares / n);
  return { mean, std: std > 0 ? std : 1 };
}
