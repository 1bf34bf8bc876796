import { describe, it, expect } from 'vitest';
import { seedBands, summarize } from '../../shared/metrics/seedGroups';
import { MetricInputError } from '../../shared/metrics/errors';

describe('summarize', () => {
  it('computes mean, sample std, min, max (hand-computed)', () => {
    // mean 40/8 = 5; squared deviations 9+1+1+1+0+0+4+16 = 32; sample variance 32/7
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.n).toBe(8);
    expect(s.mean).toBe(5);
    expect(s.std).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(s.min).toBe(2);
    expect(s.max).toBe(9);
  });
  it('gives std 0 for a single value and rejects an empty list', () => {
    expect(summarize([0.83])).toEqual({ n: 1, mean: 0.83, std: 0, min: 0.83, max: 0.83 });
    expect(() => summarize([])).toThrow(MetricInputError);
  });
  it('does not lose precision on values with a large common offset', () => {
    // 1e8 + {1, 2, 3}: sample std 1 exactly; E[x^2] - E[x]^2 would be dominated by rounding
    expect(summarize([1e8 + 1, 1e8 + 2, 1e8 + 3]).std).toBeCloseTo(1, 6);
  });
});

describe('seedBands', () => {
  it('summarizes each step over the series that reach it and are finite there', () => {
    const bands = seedBands([[1, 2, 3], [3, 4], [Number.NaN, 6, 5]]);
    expect(bands.map((b) => b.step)).toEqual([0, 1, 2]);
    expect(bands.map((b) => b.n)).toEqual([2, 3, 2]);
    // step 0: {1, 3} mean 2, std sqrt(2); step 1: {2, 4, 6} mean 4, std 2; step 2: {3, 5} mean 4, std sqrt(2)
    expect(bands.map((b) => b.mean)).toEqual([2, 4, 4]);
    expect(bands[0]?.std).toBeCloseTo(Math.SQRT2, 12);
    expect(bands[1]?.std).toBe(2);
    expect(bands[1]?.lower).toBe(2);
    expect(bands[1]?.upper).toBe(6);
    expect(bands[2]?.min).toBe(3);
    expect(bands[2]?.max).toBe(5);
  });
  it('skips steps no series has a finite value for, and handles no series', () => {
    expect(seedBands([[Number.NaN], [Number.NaN, 1]]).map((b) => b.step)).toEqual([1]);
    expect(seedBands([])).toEqual([]);
  });
});
