/**
 * Student's t distribution, for confidence intervals over a handful of seeds: its CDF through the
 * regularized incomplete beta function, and its inverse (the quantile) by bisection on that CDF.
 * Degrees of freedom may be fractional (Welch–Satterthwaite gives fractional ones).
 */
import { MetricInputError } from './errors';

// Lanczos coefficients (g = 7, n = 9): ln Γ to about 15 significant digits for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new MetricInputError('logGamma', `x must be above 0, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0] as number;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += (LANCZOS[i] as number) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The continued fraction of the incomplete beta function (modified Lentz), converging for x < (a + 1) / (a + b + 2). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 1000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) return h;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b), for a, b > 0 and x in [0, 1]. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new MetricInputError('incompleteBeta', `a and b must be above 0, got a=${a}, b=${b}`);
  if (!(x >= 0 && x <= 1)) throw new MetricInputError('incompleteBeta', `x must be in [0, 1], got ${x}`);
  if (x === 0 || x === 1) return x;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast on one side of the mean; the other side uses I_x(a, b) = 1 - I_{1-x}(b, a).
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

function checkDf(where: string, df: number): void {
  if (!(df > 0) || !Number.isFinite(df)) throw new MetricInputError(where, `degrees of freedom must be a finite number above 0, got ${df}`);
}

/** P(T <= t) for T with `df` degrees of freedom. */
export function tCdf(t: number, df: number): number {
  checkDf('tCdf', df);
  if (Number.isNaN(t)) throw new MetricInputError('tCdf', 't must be a number, got NaN');
  if (t === Number.POSITIVE_INFINITY) return 1;
  if (t === Number.NEGATIVE_INFINITY) return 0;
  // P(|T| > |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2)
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/**
 * The p-quantile of the t distribution with `df` degrees of freedom: the t with P(T <= t) = p,
 * for p in (0, 1). E.g. tQuantile(0.975, 2) = 4.3027, tQuantile(0.975, 10) = 2.2281.
 */
export function tQuantile(p: number, df: number): number {
  checkDf('tQuantile', df);
  if (!(p > 0 && p < 1)) throw new MetricInputError('tQuantile', `p must be in (0, 1), got ${p}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  // Solve I_x(df/2, 1/2) = 2 (1 - p) for x, which falls as t grows; then t = sqrt(df (1 - x) / x).
  // Bisection on x: the incomplete beta is monotone in x, so it cannot miss, whatever df.
  const target = 2 * (1 - p);
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200 && hi - lo > 0; i++) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    if (incompleteBeta(mid, df / 2, 0.5) < target) lo = mid;
    else hi = mid;
  }
  const x = 0.5 * (lo + hi);
  return Math.sqrt((df * (1 - x)) / x);
}
