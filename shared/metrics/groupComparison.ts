/**
 * Comparing two seed groups without overclaiming: each group's mean ± std (summarize), a
 * confidence interval for the difference of their means by Welch's t and by a seeded percentile
 * bootstrap, and a plain verdict read off Welch's interval.
 *
 * Direction: every comparison says whether higher is better for its metric (`higherIsBetter`):
 * scores and IoUs are better higher; losses, the checkerboard amplitude and the time per epoch lower (see METRIC_DIRECTIONS). The difference is always
 * mean(A) - mean(B), whatever the direction.
 */
import { mulberry32 } from '../data/random';
import { MetricInputError } from './errors';
import { summarize, type Stats } from './seedGroups';
import { tQuantile } from './tDistribution';

/** Fewer seeds than this in either group: no verdict, ever. */
export const MIN_SEEDS_FOR_VERDICT = 3;

/** Whether higher is better, by metric name: scores and IoUs up; losses, the checkerboard amplitude and the time per epoch down. */
export const METRIC_DIRECTIONS: Readonly<Record<string, boolean>> = {
  bestScore: true,
  valScore: true,
  valIoU: true,
  valPixelIoU: true,
  trainIoU: true,
  testScore: true,
  valLoss: false,
  trainLoss: false,
  /** The checkerboard amplitude of the predicted maps (shared/analysis/checkerboard.ts): lower is better. */
  valNyquistAmplitude: false,
  /** Training seconds per epoch: lower is faster. */
  secondsPerEpoch: false,
};

/** Whether higher is better for `metric`; an unknown metric is an error, not a guess. */
export function higherIsBetter(metric: string): boolean {
  const d = METRIC_DIRECTIONS[metric];
  if (d === undefined) throw new MetricInputError('higherIsBetter', `no direction is known for metric '${metric}' (known: ${Object.keys(METRIC_DIRECTIONS).join(', ')})`);
  return d;
}

/** A two-sided confidence interval. */
export interface Interval {
  low: number;
  high: number;
  /** Confidence level, e.g. 0.95. */
  level: number;
}

function checkLevel(where: string, level: number): void {
  if (!(level > 0 && level < 1)) throw new MetricInputError(where, `the confidence level must be in (0, 1), got ${level}`);
}

function checkValues(where: string, what: string, values: readonly number[], min: number): void {
  if (values.length < min) throw new MetricInputError(where, `${what} needs at least ${min} value${min === 1 ? '' : 's'}, got ${values.length}`);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new MetricInputError(where, `${what} has a non-finite value at ${bad} (${values[bad]})`);
}

/** The t interval of one group's mean, mean ± t(1 - α/2, n - 1) s / √n; null below 2 values (no spread to go on). */
export function meanInterval(values: readonly number[], level = 0.95): Interval | null {
  checkLevel('meanInterval', level);
  checkValues('meanInterval', 'the group', values, 1);
  if (values.length < 2) return null;
  const s = summarize(values);
  const half = tQuantile(1 - (1 - level) / 2, s.n - 1) * (s.std / Math.sqrt(s.n));
  return { low: s.mean - half, high: s.mean + half, level };
}

/** Welch's interval for mean(A) - mean(B). */
export interface WelchInterval extends Interval {
  /** Welch–Satterthwaite degrees of freedom; null when both groups have no spread (the interval is then the difference itself). */
  df: number | null;
  /** Standard error of the difference, sqrt(s_A²/n_A + s_B²/n_B). */
  se: number;
  /** The t quantile the half-width was taken with; null with df. */
  t: number | null;
}

/**
 * Welch's t interval for mean(A) - mean(B): unequal variances, df by Welch–Satterthwaite,
 * df = (vA + vB)² / (vA² / (nA - 1) + vB² / (nB - 1)) with v = s² / n. Each group needs 2 values.
 */
export function welchInterval(a: readonly number[], b: readonly number[], level = 0.95): WelchInterval {
  checkLevel('welchInterval', level);
  checkValues('welchInterval', 'group A', a, 2);
  checkValues('welchInterval', 'group B', b, 2);
  const sa = summarize(a);
  const sb = summarize(b);
  const va = (sa.std * sa.std) / sa.n;
  const vb = (sb.std * sb.std) / sb.n;
  const diff = sa.mean - sb.mean;
  const se = Math.sqrt(va + vb);
  if (se === 0) return { low: diff, high: diff, level, df: null, se, t: null };
  const df = (va + vb) ** 2 / (va * va / (sa.n - 1) + (vb * vb) / (sb.n - 1));
  const t = tQuantile(1 - (1 - level) / 2, df);
  return { low: diff - t * se, high: diff + t * se, level, df, se, t };
}

/** Settings of {@link bootstrapInterval}. */
export interface BootstrapOptions {
  level?: number;
  /** Resamples; default 10000. */
  resamples?: number;
  /** Seed of the generator (shared/data/random.ts's mulberry32); default 1, so a report is reproducible. */
  seed?: number;
}

/** The q-quantile of sorted values, interpolated between order statistics (R's type 7). */
function quantileSorted(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

/**
 * Percentile bootstrap interval of mean(A) - mean(B): each resample draws each group with
 * replacement at its own size. At 3 to 5 seeds it is narrower than it should be (it cannot see
 * spread beyond the values drawn), which is why verdicts are read off Welch's interval.
 */
export function bootstrapInterval(a: readonly number[], b: readonly number[], opts: BootstrapOptions = {}): Interval {
  const level = opts.level ?? 0.95;
  const resamples = opts.resamples ?? 10_000;
  checkLevel('bootstrapInterval', level);
  checkValues('bootstrapInterval', 'group A', a, 1);
  checkValues('bootstrapInterval', 'group B', b, 1);
  if (!Number.isInteger(resamples) || resamples < 100) throw new MetricInputError('bootstrapInterval', `resamples must be a whole number of at least 100, got ${resamples}`);
  const rng = mulberry32(opts.seed ?? 1);
  const draw = (xs: readonly number[]) => {
    let sum = 0;
    for (let i = 0; i < xs.length; i++) sum += xs[Math.floor(rng() * xs.length)] as number;
    return sum / xs.length;
  };
  const diffs = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) diffs[r] = draw(a) - draw(b);
  diffs.sort();
  const alpha = 1 - level;
  return { low: quantileSorted(diffs, alpha / 2), high: quantileSorted(diffs, 1 - alpha / 2), level };
}

/** What a comparison concludes. */
export type VerdictKind = 'a-better' | 'b-better' | 'no-difference' | 'too-few-seeds';

/** The verdict, as a kind and in words. */
export interface Verdict {
  kind: VerdictKind;
  /** "A better than B", "B better than A", "no difference at this scale" or "too few seeds to tell", with the groups' names. */
  text: string;
}

/** A comparison of group A against group B on one metric. */
export interface GroupComparison {
  a: Stats;
  b: Stats;
  higherIsBetter: boolean;
  /** mean(A) - mean(B). */
  difference: number;
  /** Null when either group has fewer than 2 values. */
  welch: WelchInterval | null;
  bootstrap: Interval;
  verdict: Verdict;
}

/** Settings of {@link compareGroups}. */
export interface CompareOptions extends BootstrapOptions {
  /** Whether higher values of the metric are better (scores, IoU) or lower (losses). */
  higherIsBetter: boolean;
  /** Names in the verdict's text; default `A` and `B`. */
  names?: { a: string; b: string };
}

/**
 * Compares A with B. The verdict:
 * - fewer than MIN_SEEDS_FOR_VERDICT (3) values in either group: "too few seeds to tell", whatever the numbers;
 * - Welch's interval of mean(A) - mean(B) wholly above 0: A is higher, so "A better than B" when higher
 *   is better and "B better than A" when lower is; wholly below 0, the other way round;
 * - an interval that holds 0: "no difference at this scale" (this many seeds, this budget, this data).
 */
export function compareGroups(a: readonly number[], b: readonly number[], opts: CompareOptions): GroupComparison {
  const level = opts.level ?? 0.95;
  checkValues('compareGroups', 'group A', a, 1);
  checkValues('compareGroups', 'group B', b, 1);
  const sa = summarize(a);
  const sb = summarize(b);
  const names = opts.names ?? { a: 'A', b: 'B' };
  const welch = a.length >= 2 && b.length >= 2 ? welchInterval(a, b, level) : null;
  const bootstrap = bootstrapInterval(a, b, { ...opts, level });
  let verdict: Verdict;
  if (a.length < MIN_SEEDS_FOR_VERDICT || b.length < MIN_SEEDS_FOR_VERDICT || !welch) {
    verdict = { kind: 'too-few-seeds', text: 'too few seeds to tell' };
  } else if (welch.low > 0 || welch.high < 0) {
    const aHigher = welch.low > 0;
    const aBetter = aHigher === opts.higherIsBetter;
    verdict = aBetter ? { kind: 'a-better', text: `${names.a} better than ${names.b}` } : { kind: 'b-better', text: `${names.b} better than ${names.a}` };
  } else {
    verdict = { kind: 'no-difference', text: 'no difference at this scale' };
  }
  return { a: sa, b: sb, higherIsBetter: opts.higherIsBetter, difference: sa.mean - sb.mean, welch, bootstrap, verdict };
}
