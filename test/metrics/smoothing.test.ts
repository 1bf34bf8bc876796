import { describe, it, expect } from 'vitest';
import { downsampleSeries, emaSmooth } from '../../shared/metrics/smoothing';
import { MetricInputError } from '../../shared/metrics/errors';

describe('emaSmooth', () => {
  it('debiases like TensorBoard (hand-computed, weight .5)', () => {
    // last: .5*0 + .5*1 = .5, / (1 - .5)   = 1
    //       .5*.5 + .5*3 = 1.75, / (1 - .25) = 7/3
    //       .5*1.75 + .5*2 = 1.875, / (1 - .125) = 15/7
    const s = emaSmooth([1, 3, 2], 0.5);
    expect(s[0]).toBeCloseTo(1, 12);
    expect(s[1]).toBeCloseTo(7 / 3, 12);
    expect(s[2]).toBeCloseTo(15 / 7, 12);
  });
  it('passes non-finite values through without letting them into the average', () => {
    const s = emaSmooth([1, Number.NaN, 3], 0.5);
    expect(s[1]).toBeNaN();
    expect(s[2]).toBeCloseTo(7 / 3, 12); // as if the NaN were absent
  });
  it('returns constant series and weight 0 unchanged, and does not touch the input', () => {
    expect(emaSmooth([2, 2, 2], 0.9)).toEqual([2, 2, 2]);
    const ys = Object.freeze([0.3, 0.1, 0.7]);
    expect(emaSmooth(ys, 0)).toEqual([0.3, 0.1, 0.7]);
    expect(emaSmooth([], 0.6)).toEqual([]);
  });
  it('rejects weights outside [0, 1)', () => {
    expect(() => emaSmooth([1], 1)).toThrow(MetricInputError);
    expect(() => emaSmooth([1], -0.1)).toThrow(MetricInputError);
  });
});

describe('downsampleSeries (LTTB)', () => {
  it('keeps the spike in a hand-worked 5-point example', () => {
    // maxPoints 3: one bucket of points 1..3, third vertex = last point (4, 0); from (0, 0) the
    // triangle area is proportional to 4 * y_j, so the spike at index 2 wins.
    const r = downsampleSeries([0, 1, 2, 3, 4], [0, 0, 5, 0, 0], 3);
    expect(r.indices).toEqual([0, 2, 4]);
    expect(r.xs).toEqual([0, 2, 4]);
    expect(r.ys).toEqual([0, 5, 0]);
  });
  it('keeps first and last, returns exactly maxPoints in increasing order, one per bucket', () => {
    const n = 1000;
    const xs = Object.freeze(Array.from({ length: n }, (_, i) => i * 0.5));
    const ys = Object.freeze(Array.from({ length: n }, (_, i) => Math.sin(i / 17) + (i === 613 ? 40 : 0)));
    const r = downsampleSeries(xs, ys, 50);
    expect(r.indices).toHaveLength(50);
    expect(r.indices[0]).toBe(0);
    expect(r.indices[49]).toBe(n - 1);
    for (let k = 1; k < r.indices.length; k++) expect(r.indices[k] ?? 0).toBeGreaterThan(r.indices[k - 1] ?? 0);
    expect(r.indices).toContain(613); // the outlier survives
    r.indices.forEach((i, k) => {
      expect(r.xs[k]).toBe(xs[i]);
      expect(r.ys[k]).toBe(ys[i]);
    });
  });
  it('copies a short series and does not mutate typed-array input', () => {
    const xs = Float64Array.from([1, 2, 3]);
    const ys = Float64Array.from([4, 5, 6]);
    const r = downsampleSeries(xs, ys, 10);
    expect(r).toEqual({ xs: [1, 2, 3], ys: [4, 5, 6], indices: [0, 1, 2] });
    r.xs[0] = 99;
    expect(xs[0]).toBe(1);
    expect(downsampleSeries(xs, ys, 2).indices).toEqual([0, 2]);
  });
  it('never picks a non-finite point over a finite one in its bucket', () => {
    const r = downsampleSeries([0, 1, 2, 3, 4], [0, Number.POSITIVE_INFINITY, 1, Number.NaN, 0], 3);
    expect(r.indices).toEqual([0, 2, 4]);
  });
  it('rejects mismatched lengths and maxPoints < 2', () => {
    expect(() => downsampleSeries([1, 2], [1], 5)).toThrow(MetricInputError);
    expect(() => downsampleSeries([1, 2], [1, 2], 1)).toThrow(MetricInputError);
  });
});
