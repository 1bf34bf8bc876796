import { MetricInputError, expectLength } from './errors';

/**
 * Exponential moving average as TensorBoard draws it: the running average starts at 0 and is
 * divided by 1 - weight^k (k = finite values seen so far), so early points are not dragged
 * towards 0. Non-finite values pass through unchanged and do not enter the average; a constant
 * series is returned as is (TensorBoard does the same to avoid rounding noise).
 * `weight` in [0, 1): 0 returns the input, values near 1 smooth hard.
 */
export function emaSmooth(ys: ArrayLike<number>, weight: number): number[] {
  if (!(weight >= 0 && weight < 1)) throw new MetricInputError('emaSmooth', `weight must be in [0, 1), got ${weight}`);
  const out: number[] = [];
  const first = ys[0];
  let constant = true;
  for (let i = 1; i < ys.length; i++) if (ys[i] !== first) constant = false;
  let last = 0;
  let count = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i] ?? Number.NaN;
    if (constant || !Number.isFinite(y)) {
      out.push(y);
      continue;
    }
    last = last * weight + (1 - weight) * y;
    count++;
    out.push(last / (1 - Math.pow(weight, count)));
  }
  return out;
}

/** A downsampled series; `indices` are the kept points' positions in the input. */
export interface Downsampled {
  xs: number[];
  ys: number[];
  indices: number[];
}

/**
 * Reduces a series to at most `maxPoints` points with largest-triangle-three-buckets (Steinarsson
 * 2013), which keeps the visual shape (spikes survive) unlike striding. The first and last points
 * are always kept; the input is never modified. A series already short enough is copied whole.
 * Points with a non-finite y are never chosen over a finite one in their bucket.
 */
export function downsampleSeries(xs: ArrayLike<number>, ys: ArrayLike<number>, maxPoints: number): Downsampled {
  expectLength('downsampleSeries', 'ys', ys.length, xs.length);
  if (!Number.isInteger(maxPoints) || maxPoints < 2) {
    throw new MetricInputError('downsampleSeries', `maxPoints must be an integer >= 2, got ${maxPoints}`);
  }
  const n = xs.length;
  const x = (i: number): number => xs[i] ?? Number.NaN;
  const y = (i: number): number => ys[i] ?? Number.NaN;
  let indices: number[];
  if (n <= maxPoints) {
    indices = Array.from({ length: n }, (_, i) => i);
  } else {
    indices = [0];
    // The n - 2 interior points are split into maxPoints - 2 buckets; one point is kept per bucket.
    const every = (n - 2) / (maxPoints - 2);
    let a = 0;
    for (let b = 0; b < maxPoints - 2; b++) {
      const start = Math.floor(b * every) + 1;
      const end = Math.min(Math.floor((b + 1) * every) + 1, n - 1);
      // The third vertex is the average of the next bucket (or the last point for the final bucket).
      const nextStart = end;
      const nextEnd = Math.min(Math.floor((b + 2) * every) + 1, n);
      let avgX = 0;
      let avgY = 0;
      let m = 0;
      for (let j = nextStart; j < nextEnd; j++) {
        if (!Number.isFinite(y(j))) continue;
        avgX += x(j);
        avgY += y(j);
        m++;
      }
      if (m > 0) {
        avgX /= m;
        avgY /= m;
      } else {
        avgX = x(nextStart);
        avgY = y(nextStart);
      }
      let chosen = start;
      let maxArea = -1;
      for (let j = start; j < end; j++) {
        if (!Number.isFinite(y(j))) continue;
        const area = Math.abs((x(a) - avgX) * (y(j) - y(a)) - (x(a) - x(j)) * (avgY - y(a)));
        if (area > maxArea) {
          maxArea = area;
          chosen = j;
        }
      }
      indices.push(chosen);
      a = chosen;
    }
    indices.push(n - 1);
  }
  return { xs: indices.map(x), ys: indices.map(y), indices };
}
