/**
 * Statistics over repeated runs (seeds) of one configuration: the note's results vary a lot
 * between runs, so results are shown as mean +- std over seeds rather than as single runs.
 */
import { MetricInputError } from './errors';

/** Summary of a list of numbers. */
export interface Stats {
  n: number;
  mean: number;
  /** Sample standard deviation (divides by n - 1); 0 for a single value. */
  std: number;
  min: number;
  max: number;
}

/** Mean, sample std, min and max of a non-empty list. */
export function summarize(values: ArrayLike<number>): Stats {
  const n = values.length;
  if (n === 0) throw new MetricInputError('summarize', 'cannot summarize an empty list');
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = values[i] ?? Number.NaN;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  // Two passes (sum of squared deviations) rather than E[x^2] - E[x]^2, which cancels badly
  // for losses that differ only in late digits.
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((values[i] ?? Number.NaN) - mean) ** 2;
  return { n, mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, min, max };
}

/** One step of a seed band. */
export interface BandPoint extends Stats {
  /** Index into the series. */
  step: number;
  /** mean - std */
  lower: number;
  /** mean + std */
  upper: number;
}

/**
 * Per-step mean +- std of several series aligned by index (step i of every series is the same
 * epoch). Series may have different lengths (a run stopped early); each step summarizes the
 * series that reach it and that have a finite value there, and `n` says how many did.
 * Steps where no series has a finite value are left out.
 */
export function seedBands(series: readonly ArrayLike<number>[]): BandPoint[] {
  let longest = 0;
  for (const s of series) longest = Math.max(longest, s.length);
  const out: BandPoint[] = [];
  for (let step = 0; step < longest; step++) {
    const values: number[] = [];
    for (const s of series) {
      const v = step < s.length ? s[step] : undefined;
      if (v !== undefined && Number.isFinite(v)) values.push(v);
    }
    if (values.length === 0) continue;
    const st = summarize(values);
    out.push({ step, ...st, lower: st.mean - st.std, upper: st.mean + st.std });
  }
  return out;
}
