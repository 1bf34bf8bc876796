import { describe, expect, it } from 'vitest';
import { MetricInputError } from '../../shared/metrics/errors';
import { bootstrapInterval, compareGroups, higherIsBetter, meanInterval, welchInterval } from '../../shared/metrics/groupComparison';
import { incompleteBeta, logGamma, tCdf, tQuantile } from '../../shared/metrics/tDistribution';

describe('the t distribution', () => {
  it('logGamma and the incomplete beta match closed forms', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    // I_x(1, 1) = x; I_x(a, 1) = x^a; I_(1/2)(a, a) = 1/2 by symmetry
    expect(incompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    expect(incompleteBeta(0.6, 3, 1)).toBeCloseTo(0.216, 12);
    expect(incompleteBeta(0.5, 4.5, 4.5)).toBeCloseTo(0.5, 12);
    expect(() => incompleteBeta(1.5, 1, 1)).toThrow(MetricInputError);
  });

  it('tCdf: 1/2 at 0, and the Cauchy CDF 1/2 + atan(t)/pi at 1 degree of freedom', () => {
    expect(tCdf(0, 7)).toBe(0.5);
    expect(tCdf(1, 1)).toBeCloseTo(0.75, 12);
    expect(tCdf(-2, 1)).toBeCloseTo(0.5 + Math.atan(-2) / Math.PI, 12);
  });

  it('tQuantile: the closed forms at 1 and 2 degrees of freedom', () => {
    // df 1: tan(pi (p - 1/2)); df 2: (2p - 1) / sqrt(2 p (1 - p))
    expect(tQuantile(0.975, 1)).toBeCloseTo(Math.tan(Math.PI * 0.475), 8);
    expect(tQuantile(0.975, 2)).toBeCloseTo(0.95 / Math.sqrt(2 * 0.975 * 0.025), 10);
    expect(tQuantile(0.9, 2)).toBeCloseTo(0.8 / Math.sqrt(2 * 0.9 * 0.1), 10);
  });

  it('tQuantile: the table values', () => {
    expect(tQuantile(0.975, 2)).toBeCloseTo(4.303, 3);
    expect(tQuantile(0.975, 4)).toBeCloseTo(2.776, 3);
    expect(tQuantile(0.975, 10)).toBeCloseTo(2.228, 3);
    expect(tQuantile(0.95, 5)).toBeCloseTo(2.015, 3);
    expect(tQuantile(0.995, 30)).toBeCloseTo(2.75, 3);
    expect(tQuantile(0.975, 1e6)).toBeCloseTo(1.96, 3);
    expect(tQuantile(0.025, 10)).toBeCloseTo(-2.228, 3);
    expect(tQuantile(0.5, 3)).toBe(0);
  });

  it('tQuantile inverts tCdf at fractional degrees of freedom', () => {
    for (const df of [1.5, 4.959, 17.3]) {
      for (const p of [0.6, 0.9, 0.975, 0.999]) expect(tCdf(tQuantile(p, df), df)).toBeCloseTo(p, 10);
    }
  });

  it('refuses p outside (0, 1) and degrees of freedom that are not above 0', () => {
    expect(() => tQuantile(1, 3)).toThrow(/p must be in \(0, 1\), got 1/);
    expect(() => tQuantile(0.9, 0)).toThrow(/degrees of freedom must be a finite number above 0, got 0/);
  });
});

describe('intervals', () => {
  it('meanInterval of [1, 2, 3]: 2 ± t(0.975, 2) / sqrt(3)', () => {
    const i = meanInterval([1, 2, 3]);
    const half = (4.302652729911275 * 1) / Math.sqrt(3); // std 1
    expect(i?.low).toBeCloseTo(2 - half, 8);
    expect(i?.high).toBeCloseTo(2 + half, 8);
    expect(meanInterval([0.7])).toBeNull();
  });

  it('Welch, equal sizes and spreads: [1, 2, 3] - [4, 5, 6] has df 4 and se sqrt(2/3)', () => {
    const w = welchInterval([1, 2, 3], [4, 5, 6]);
    expect(w.df).toBeCloseTo(4, 12);
    expect(w.se).toBeCloseTo(Math.sqrt(2 / 3), 12);
    // t(0.975, 4) = 2.776445; half-width 2.776445 * 0.816497 = 2.266958
    expect(w.low).toBeCloseTo(-3 - 2.266958, 5);
    expect(w.high).toBeCloseTo(-3 + 2.266958, 5);
  });

  it('Welch, unequal sizes: [1, 2, 3] - [4, 5, 6, 7] has se^2 = 1/3 + 5/12 and df = 243/49', () => {
    // vA = 1/3, vB = (5/3)/4 = 5/12; df = (3/4)^2 / ((1/3)^2/2 + (5/12)^2/3) = 0.5625 / (49/432) = 243/49
    const w = welchInterval([1, 2, 3], [4, 5, 6, 7]);
    expect(w.se).toBeCloseTo(Math.sqrt(0.75), 12);
    expect(w.df).toBeCloseTo(243 / 49, 12);
    expect(tCdf(w.t ?? 0, 243 / 49)).toBeCloseTo(0.975, 10);
    expect(w.t).toBeGreaterThan(2.571); // t(0.975, 5)
    expect(w.t).toBeLessThan(2.776); // t(0.975, 4)
    expect((w.low + w.high) / 2).toBeCloseTo(-3.5, 12);
  });

  it('Welch with no spread in either group is the difference itself', () => {
    expect(welchInterval([2, 2, 2], [1, 1, 1])).toMatchObject({ low: 1, high: 1, df: null, se: 0 });
    expect(() => welchInterval([1], [1, 2])).toThrow(/group A needs at least 2 values, got 1/);
    expect(() => welchInterval([1, Number.NaN], [1, 2])).toThrow(/group A has a non-finite value at 1/);
  });

  it('bootstrap, hand-worked: A = [0, 1], B = [0]', () => {
    // A's resampled mean is 0, 1/2 or 1 with chances 1/4, 1/2, 1/4; B's is 0.
    // 95%: the 2.5% and 97.5% points are 0 and 1. 40%: the 30% and 70% points are both 1/2.
    expect(bootstrapInterval([0, 1], [0], { level: 0.95 })).toEqual({ low: 0, high: 1, level: 0.95 });
    expect(bootstrapInterval([0, 1], [0], { level: 0.4 })).toEqual({ low: 0.5, high: 0.5, level: 0.4 });
  });

  it('bootstrap: the same seed gives the same interval, and at 3 seeds it is narrower than Welch', () => {
    const a = [0.61, 0.64, 0.7];
    const b = [0.52, 0.6, 0.55];
    const one = bootstrapInterval(a, b, { seed: 7 });
    expect(bootstrapInterval(a, b, { seed: 7 })).toEqual(one);
    // Three values give few distinct resampled means; eight give enough that the seed shows.
    const wide = [0.61, 0.64, 0.7, 0.58, 0.66, 0.69, 0.6, 0.63];
    expect(bootstrapInterval(wide, b, { seed: 8 })).not.toEqual(bootstrapInterval(wide, b, { seed: 7 }));
    const w = welchInterval(a, b);
    expect(one.high - one.low).toBeLessThan(w.high - w.low);
    expect(one.low).toBeGreaterThanOrEqual(Math.min(...a) - Math.max(...b));
    expect(one.high).toBeLessThanOrEqual(Math.max(...a) - Math.min(...b));
    expect(() => bootstrapInterval(a, b, { resamples: 10 })).toThrow(/resamples must be a whole number of at least 100, got 10/);
  });
});

describe('compareGroups verdicts', () => {
  const names = { a: 'glorot', b: 'he' };
  it('a clear difference, read by the metric direction', () => {
    // difference -3, Welch [-5.267, -0.733]: B is higher
    expect(compareGroups([1, 2, 3], [4, 5, 6], { higherIsBetter: true, names }).verdict).toEqual({ kind: 'b-better', text: 'he better than glorot' });
    expect(compareGroups([1, 2, 3], [4, 5, 6], { higherIsBetter: false, names }).verdict).toEqual({ kind: 'a-better', text: 'glorot better than he' });
    const c = compareGroups([4, 5, 6], [1, 2, 3], { higherIsBetter: true });
    expect(c.verdict.text).toBe('A better than B');
    expect(c.difference).toBe(3);
    expect(c.a).toEqual({ n: 3, mean: 5, std: 1, min: 4, max: 6 });
  });

  it('an interval holding 0 is no difference at this scale', () => {
    // difference -0.5, Welch -0.5 ± 2.267
    const c = compareGroups([1, 2, 3], [1.5, 2.5, 3.5], { higherIsBetter: true });
    expect(c.welch?.low).toBeLessThan(0);
    expect(c.welch?.high).toBeGreaterThan(0);
    expect(c.verdict).toEqual({ kind: 'no-difference', text: 'no difference at this scale' });
  });

  it('fewer than 3 seeds in either group never gives a verdict, however large the gap', () => {
    const c = compareGroups([0.1, 0.1001], [0.9, 0.9001, 0.9002], { higherIsBetter: true });
    expect(c.welch).not.toBeNull();
    expect(c.welch!.high).toBeLessThan(0);
    expect(c.verdict).toEqual({ kind: 'too-few-seeds', text: 'too few seeds to tell' });
    expect(compareGroups([0.9, 0.91, 0.92], [0.1], { higherIsBetter: true })).toMatchObject({ welch: null, verdict: { kind: 'too-few-seeds' } });
  });

  it('metric directions: scores and IoU up, losses down, unknown metrics refused', () => {
    expect(higherIsBetter('valScore')).toBe(true);
    expect(higherIsBetter('valIoU')).toBe(true);
    expect(higherIsBetter('valLoss')).toBe(false);
    expect(() => higherIsBetter('speed')).toThrow(/no direction is known for metric 'speed'/);
  });
});
