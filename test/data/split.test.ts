import { describe, expect, it } from 'vitest';
import { coverageBin, maskCoverage } from '../../shared/data/coverage';
import { SplitError, splitDataset } from '../../src-main/data/split';
import { tinyDataset } from './fixtures';

// 100 samples of 20 pixels: 40 empty, 30 with 1 salt pixel (5%, bin 1), 20 with 10 (50%, bin 5), 10 full (bin 10).
const salt = [...Array<number>(40).fill(0), ...Array<number>(30).fill(1), ...Array<number>(20).fill(10), ...Array<number>(10).fill(20)];
const ds = tinyDataset(salt);

function binCounts(indices: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const i of indices) {
    const bin = coverageBin(maskCoverage(ds.masks ?? new Uint8Array(0), i, 20));
    out[bin] = (out[bin] ?? 0) + 1;
  }
  return out;
}

describe('coverageBin', () => {
  it('puts empty masks in 0 and coverage (k/10, (k+1)/10] in k+1', () => {
    expect([0, 0.01, 0.1, 0.1001, 0.5, 0.95, 1].map(coverageBin)).toEqual([0, 1, 1, 2, 5, 10, 10]);
  });
});

describe('splitDataset', () => {
  it('stratifies by coverage: each stratum gives its share (hand-computed for 20%)', () => {
    const split = splitDataset(ds, { valFraction: 0.2, seed: 1 });
    expect(split.val).toHaveLength(20);
    expect(split.train).toHaveLength(80);
    expect(binCounts(split.val)).toEqual({ 0: 8, 1: 6, 5: 4, 10: 2 });
    expect(binCounts(split.train)).toEqual({ 0: 32, 1: 24, 5: 16, 10: 8 });
    expect(new Set([...split.train, ...split.val]).size).toBe(100);
  });

  it('is deterministic for a seed and changes with it', () => {
    const a = splitDataset(ds, { valFraction: 0.2, seed: 1 });
    expect(splitDataset(ds, { valFraction: 0.2, seed: 1 })).toEqual(a);
    expect(splitDataset(ds, { valFraction: 0.2, seed: 2 }).val).not.toEqual(a.val);
  });

  it('hits round(count * valFraction) exactly when strata do not divide evenly', () => {
    // 7 samples: strata 0 (3), 1 (2), 10 (2); 0.3 * 7 = 2.1 -> 2 in validation.
    const small = tinyDataset([0, 0, 0, 1, 1, 20, 20]);
    const split = splitDataset(small, { valFraction: 0.3, seed: 5 });
    expect(split.val).toHaveLength(2);
    expect(split.train).toHaveLength(5);
  });

  it('uses exactly the fixed validation ids when given', () => {
    const split = splitDataset(ds, { valFraction: 0.5, seed: 1, fixedValIds: ['s003', 's001'] });
    expect(split.val).toEqual([1, 3]);
    expect(split.train).toHaveLength(98);
    expect(() => splitDataset(ds, { valFraction: 0.2, seed: 1, fixedValIds: ['s001', 'nope'] })).toThrow(
      /1 fixed validation id\(s\) are not in dataset "tiny": nope/,
    );
  });

  it('refuses an empty training split and a fraction outside [0, 1)', () => {
    expect(() => splitDataset(tinyDataset([0]), { valFraction: 0.9, seed: 1 })).toThrow(SplitError);
    expect(() => splitDataset(tinyDataset([0]), { valFraction: 0.9, seed: 1 })).toThrow(/training split is empty/);
    expect(() => splitDataset(ds, { valFraction: 1, seed: 1 })).toThrow(/valFraction must be in \[0, 1\)/);
    expect(() => splitDataset(tinyDataset([0, 1]), { valFraction: 0.5, seed: 1, fixedValIds: ['s000', 's001'] })).toThrow(
      /all 2 samples are fixed validation ids/,
    );
    expect(splitDataset(ds, { valFraction: 0, seed: 1 }).val).toEqual([]);
  });
});
