import { describe, expect, it } from 'vitest';
import { checkerboardScore, stridedKernels, subKernelSplit } from '../../shared/analysis/checkerboard';
import { meanConvTaps, meanTransposedTaps } from '../../shared/analysis/taps';
import { buildUNet, getPreset } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import { Rng } from '../../src-main/training/random';

function map(h: number, w: number, f: (y: number, x: number) => number): number[] {
  const out: number[] = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out.push(f(y, x));
  return out;
}

describe('sub-kernel split', () => {
  it("3x3 at stride 2: sizes 1, 2, 4 (ratio 4); 5x5: 4, 6, 9 (ratio 2.25), as in the note", () => {
    const s3 = subKernelSplit(3, 2);
    expect(s3.sizes).toEqual([4, 2, 2, 1]);
    expect(s3.distinct).toEqual([1, 2, 4]);
    expect(s3.ratio).toBe(4);
    expect(s3.divisible).toBe(false);
    const s5 = subKernelSplit(5, 2);
    expect(s5.distinct).toEqual([4, 6, 9]);
    expect(s5.ratio).toBe(2.25);
    const s4 = subKernelSplit(4, 2);
    expect(s4.distinct).toEqual([4]);
    expect(s4.divisible).toBe(true);
    expect(() => subKernelSplit(0, 2)).toThrow(RangeError);
  });

  it('warns for every uneven strided kernel of a design, and not for even ones', () => {
    const fig2 = stridedKernels(getPreset('fig2') as Architecture);
    expect(fig2.map((k) => k.layer)).toEqual(['down0/strided', 'down1/strided', 'down2/strided', 'up2/transposed', 'up1/transposed', 'up0/transposed']);
    for (const k of fig2) expect(k.warning).toMatch(/1, 2, 4/);
    const five = stridedKernels(buildUNet({ name: 'u5', channels: 4, inputChannels: 1, size: 101, blocksPerLevel: [1, 1, 1, 1, 1, 1, 1], upKernel: 5 }));
    expect(five.filter((k) => k.transposed).every((k) => k.split.ratio === 2.25)).toBe(true);
    const even = stridedKernels(buildUNet({ name: 'u4', channels: 4, inputChannels: 1, size: 104, blocksPerLevel: [1, 1, 1, 1, 1, 1, 1], upKernel: 4, kernel: 4 }));
    expect(even.length).toBe(6);
    for (const k of even) expect(k.warning).toBeUndefined();
  });
});

describe('checkerboard score', () => {
  it('is about 1 on a pure checkerboard and on period-2 stripes, odd size or even', () => {
    for (const n of [32, 101]) {
      expect(checkerboardScore(map(n, n, (y, x) => ((x + y) % 2 ? 1 : -1)), n, n).score).toBeGreaterThan(0.97);
      expect(checkerboardScore(map(n, n, (_y, x) => (x % 2 ? 1 : 0)), n, n).score).toBeGreaterThan(0.97);
      expect(checkerboardScore(map(n, n, (y) => (y % 2 ? 1 : 0)), n, n).score).toBeGreaterThan(0.97);
    }
  });

  it('is about 0 on smooth maps', () => {
    const n = 101;
    const blob = map(n, n, (y, x) => Math.exp(-((y - 40) ** 2 + (x - 60) ** 2) / 300));
    expect(checkerboardScore(blob, n, n).score).toBeLessThan(0.01);
    expect(checkerboardScore(map(n, n, (y, x) => 0.3 * x + 0.1 * y), n, n).score).toBeLessThan(0.01);
    expect(checkerboardScore(map(n, n, () => 5), n, n)).toEqual({ score: 0, highShare: 0 });
  });

  it('finds a faint checkerboard on a smooth map, and pools energy over several maps', () => {
    const n = 64;
    const smooth = map(n, n, (y, x) => Math.sin(x / 9) + Math.cos(y / 13));
    const faint = smooth.map((v, i) => v + 0.05 * ((Math.floor(i / n) + (i % n)) % 2 ? 1 : -1));
    expect(checkerboardScore(faint, n, n).score).toBeGreaterThan(0.9);
    const rng = new Rng(2);
    const noise = Array.from({ length: n * n }, () => rng.normal());
    const noiseScore = checkerboardScore(noise, n, n).score;
    expect(noiseScore).toBeGreaterThan(0.05);
    expect(noiseScore).toBeLessThan(0.3);
    // Two maps pooled: between the two scores.
    const both = checkerboardScore([...faint, ...noise], n, n, 2).score;
    expect(both).toBeGreaterThan(noiseScore);
    expect(both).toBeLessThan(1);
  });
});

describe("'same' padding taps", () => {
  it('count in-image taps by hand', () => {
    // Size 4, k 3, stride 1: the two end pixels lose one tap each: (2 + 3 + 3 + 2) / 4.
    expect(meanConvTaps(4, 3, 1)).toBe(2.5);
    // Size 4 -> 2 at stride 2, pad 0 before: taps (3, 2).
    expect(meanConvTaps(4, 3, 2)).toBe(2.5);
    // Transposed 2 -> 4, k 3: input o feeds 2o + j, j = 0..2, inside [0, 4): 3 + 2 pairs over 4 outputs.
    expect(meanTransposedTaps(4, 3, 2)).toBe(1.25);
    // Far from the borders a stride-2 transposed conv sums k/2 taps per axis on average.
    expect(meanTransposedTaps(1001, 3, 2)).toBeCloseTo(1.5, 2);
    expect(meanTransposedTaps(1000, 5, 2)).toBeCloseTo(2.5, 2);
  });
});
