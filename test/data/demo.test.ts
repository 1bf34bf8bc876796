import { describe, expect, it } from 'vitest';
import { makeDemoDataset } from '../../src-main/data/demo';

describe('makeDemoDataset', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = makeDemoDataset({ count: 40, seed: 3 });
    const b = makeDemoDataset({ count: 40, seed: 3 });
    const c = makeDemoDataset({ count: 40, seed: 4 });
    expect(a.info.fingerprint).toBe(b.info.fingerprint);
    expect(Buffer.compare(a.images, b.images)).toBe(0);
    expect(c.info.fingerprint).not.toBe(a.info.fingerprint);
    // Sample i does not depend on how many samples are drawn.
    const small = makeDemoDataset({ count: 5, seed: 3 });
    expect(Buffer.compare(small.images, a.images.subarray(0, 5 * 101 * 101))).toBe(0);
  });

  it('is marked synthetic and builds 400 samples by default', () => {
    const ds = makeDemoDataset({});
    expect(ds.info).toMatchObject({ name: 'demo (synthetic)', synthetic: true, count: 400, height: 101, width: 101 });
    expect(ds.info.source).toEqual({ kind: 'demo', seed: 1, count: 400 });
    expect(ds.ids[0]).toBe('demo-0000');
  });

  it('has empty images, salt touching the edges, a spread of coverage and masks that are 0/1', () => {
    const ds = makeDemoDataset({ count: 200, seed: 1 });
    const S = 101;
    const masks = ds.masks ?? new Uint8Array(0);
    expect(masks.every((v) => v === 0 || v === 1)).toBe(true);
    const cov = ds.info.saltCoverage;
    expect(cov?.empty).toBeGreaterThan(20);
    expect(cov?.empty).toBeLessThan(120);
    expect(cov?.bins.filter((n) => n > 0).length).toBeGreaterThanOrEqual(8);
    let touching = 0;
    for (let i = 0; i < ds.ids.length; i++) {
      const m = masks.subarray(i * S * S, (i + 1) * S * S);
      if (m[0] || m[S - 1] || m[(S - 1) * S] || m[S * S - 1] || m.subarray(0, S).some((v) => v === 1)) touching++;
    }
    expect(touching).toBeGreaterThan(20);
  });

  it('is not trivially separable by brightness: salt and sediment have close mean intensities', () => {
    const ds = makeDemoDataset({ count: 100, seed: 2 });
    const masks = ds.masks ?? new Uint8Array(0);
    let saltSum = 0;
    let saltN = 0;
    let restSum = 0;
    let restN = 0;
    for (let p = 0; p < ds.images.length; p++) {
      if (masks[p]) {
        saltSum += ds.images[p] ?? 0;
        saltN++;
      } else {
        restSum += ds.images[p] ?? 0;
        restN++;
      }
    }
    expect(Math.abs(saltSum / saltN - restSum / restN)).toBeLessThan(12);
    // Inside salt, the intensity still varies (texture, not a flat fill).
    let sq = 0;
    const mean = saltSum / saltN;
    for (let p = 0; p < ds.images.length; p++) if (masks[p]) sq += ((ds.images[p] ?? 0) - mean) ** 2;
    expect(Math.sqrt(sq / saltN)).toBeGreaterThan(10);
  });
});
