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

describe('splitDataset with a test set', () => {
  const all = (s: { train: number[]; val: number[]; test: number[] }) => [...s.train, ...s.val, ...s.test].sort((a, b) => a - b);

  it('draws a test fraction first, then validation from the rest, both stratified (hand-computed for 10% + 20%)', () => {
    const split = splitDataset(ds, { valFraction: 0.2, seed: 1, testFraction: 0.1 });
    // Test: 10% of each stratum of 40/30/20/10. Validation: 20 of the 90 left, 2/9 of each stratum's 36/27/18/9.
    expect(binCounts(split.test)).toEqual({ 0: 4, 1: 3, 5: 2, 10: 1 });
    expect(binCounts(split.val)).toEqual({ 0: 8, 1: 6, 5: 4, 10: 2 });
    expect(binCounts(split.train)).toEqual({ 0: 28, 1: 21, 5: 14, 10: 7 });
    expect(all(split)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(new Set(all(split)).size).toBe(100);
  });

  it('is deterministic; the test set ignores the validation fraction and grows by keeping what it had', () => {
    const a = splitDataset(ds, { valFraction: 0.2, seed: 1, testFraction: 0.1 });
    expect(splitDataset(ds, { valFraction: 0.2, seed: 1, testFraction: 0.1 })).toEqual(a);
    expect(splitDataset(ds, { valFraction: 0.3, seed: 1, testFraction: 0.1 }).test).toEqual(a.test);
    const bigger = splitDataset(ds, { valFraction: 0.2, seed: 1, testFraction: 0.2 }).test;
    expect(bigger).toHaveLength(20);
    expect(bigger).toEqual(expect.arrayContaining(a.test));
    expect(splitDataset(ds, { valFraction: 0.2, seed: 2, testFraction: 0.1 }).test).not.toEqual(a.test);
  });

  it('changes validation only by the test samples it loses: its own draw is the one without a test set', () => {
    const none = splitDataset(ds, { valFraction: 0.2, seed: 1 });
    expect(none.test).toEqual([]);
    expect(splitDataset(ds, { valFraction: 0.2, seed: 1, testFraction: 0 })).toEqual(none);
    const withTest = splitDataset(ds, { valFraction: 0.2, seed: 1, testFraction: 0.1 });
    const kept = none.val.filter((i) => !withTest.test.includes(i));
    expect(withTest.val).toEqual(expect.arrayContaining(kept));
    // The test draw is a stream of its own, not the validation one's first samples.
    expect(withTest.test.filter((i) => none.val.includes(i)).length).toBeLessThan(withTest.test.length);
  });

  it('holds out exactly the fixed test ids, drawing validation from the others', () => {
    const ids = ['s050', 's000', 's099', 's041'];
    const split = splitDataset(ds, { valFraction: 0.2, seed: 1, fixedTestIds: ids, testFraction: 0.5 });
    expect(split.test).toEqual([0, 41, 50, 99]);
    expect(split.val).toHaveLength(20);
    expect(split.train).toHaveLength(76);
    expect(split.val.some((i) => split.test.includes(i))).toBe(false);
    expect(all(split)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const fixedVal = splitDataset(ds, { valFraction: 0.2, seed: 1, fixedValIds: ['s001', 's002'], fixedTestIds: ids });
    expect(fixedVal).toEqual({ train: expect.any(Array), val: [1, 2], test: [0, 41, 50, 99] });
    expect(fixedVal.train).toHaveLength(94);
    // A test fraction next to fixed validation ids is drawn from the others.
    const drawn = splitDataset(ds, { valFraction: 0.2, seed: 1, fixedValIds: ['s001', 's002'], testFraction: 0.1 });
    expect(drawn.test).toHaveLength(10);
    expect(drawn.test.some((i) => i === 1 || i === 2)).toBe(false);
  });

  it('refuses unknown test ids, ids both validation and test, and test sets that leave no training or validation sample, by count and name', () => {
    const unknown = ['s001', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6'];
    expect(() => splitDataset(ds, { valFraction: 0.2, seed: 1, fixedTestIds: unknown })).toThrow('6 test id(s) are not in dataset "tiny": x1, x2, x3, x4, x5, ...');
    expect(() => splitDataset(ds, { valFraction: 0.2, seed: 1, fixedValIds: ['s001', 's002', 's003'], fixedTestIds: ['s003', 's004', 's001'] })).toThrow(
      '2 id(s) are both validation and test ids: s003, s001; a sample can be in one of them only',
    );
    const small = tinyDataset([0, 0, 1, 1, 20]);
    expect(() => splitDataset(small, { valFraction: 0.2, seed: 1, fixedTestIds: ['s000', 's001', 's002', 's003'] })).toThrow(
      'the training split is empty: of 5 samples, 4 test ids and 1 validation sample leave none to train on',
    );
    expect(() => splitDataset(small, { valFraction: 0.2, seed: 1, fixedValIds: ['s004'], fixedTestIds: ['s000', 's001', 's002', 's003'] })).toThrow(
      'the training split is empty: of 5 samples, 4 test ids and 1 fixed validation id leave none to train on',
    );
    expect(() => splitDataset(small, { valFraction: 0.05, seed: 1, fixedTestIds: ['s000'] })).toThrow(
      'the validation split is empty: with 1 test id of 5 samples held out, validation fraction 0.05 draws none',
    );
    expect(() => splitDataset(ds, { valFraction: 0.5, seed: 1, testFraction: 0.5 })).toThrow(
      'the validation fraction 0.5 and the test fraction 0.5 add up to 1: together they must stay below 1 to leave samples for training',
    );
    expect(() => splitDataset(ds, { valFraction: 0.2, seed: 1, testFraction: 1 })).toThrow(/testFraction must be in \[0, 1\)/);
  });
});
