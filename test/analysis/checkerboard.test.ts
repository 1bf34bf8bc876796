import { describe, expect, it } from 'vitest';
import { checkerboardScore, epochCheckerboard, stridedKernels, subKernelSplit } from '../../shared/analysis/checkerboard';
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

/** The map's Hann window, as nyquistEnergy applies it (symmetric, over n - 1). */
const hann = (i: number, n: number) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));

/** A disc of radius 30 at the centre of 101 x 101 with a one-pixel logistic edge: smooth, 0 outside, 1 inside. */
const disc = (y: number, x: number) => 1 / (1 + Math.exp(Math.hypot(y - 50, x - 50) - 30));

/**
 * The score a ripple a*(-1)^(x+y) on a smooth map should get, worked out without any DFT: by Parseval
 * the ripple's windowed energy is a^2 (sum of hann^2)^2, all of it at Nyquist, where the smooth map
 * has none; for n = 101, sum over i of hann(i)^2 = 101/4 - 1/2 + 51/4 = 37.5 (sum cos = 1, sum cos^2 = 51).
 * The whole map's energy is the windowed sum of squares of its values, mean included (the cross
 * term of a smooth map with an alternating ripple cancels).
 */
function rippleScore(smooth: readonly number[], n: number, a: number): number {
  let sumHann2 = 0;
  for (let i = 0; i < n; i++) sumHann2 += hann(i, n) ** 2;
  const ripple = a * a * sumHann2 * sumHann2;
  let map = 0;
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) map += (hann(y, n) * hann(x, n) * (smooth[y * n + x] as number)) ** 2;
  return Math.sqrt(ripple / (map + ripple));
}

const ripple = (smooth: readonly number[], n: number, a: number) => smooth.map((v, i) => v + a * ((Math.floor(i / n) + (i % n)) % 2 ? 1 : -1));

describe('checkerboard score', () => {
  it('is 1 on a strong pure checkerboard, and its amplitude over the whole map on a plateau', () => {
    for (const n of [32, 101]) {
      expect(checkerboardScore(map(n, n, (y, x) => ((x + y) % 2 ? 1 : -1)), n, n).score).toBeGreaterThan(0.995);
      expect(checkerboardScore(map(n, n, (y, x) => ((x + y) % 2 ? 3 : -3)), n, n).score).toBeGreaterThan(0.995);
      // +-3 around 7: 3 / sqrt(3^2 + 7^2) = 0.394; 0/1 stripes, +-0.5 around 0.5: 1 / sqrt(2) = 0.707.
      expect(checkerboardScore(map(n, n, (y, x) => 7 + ((x + y) % 2 ? 3 : -3)), n, n).score).toBeCloseTo(3 / Math.sqrt(58), 2);
      expect(checkerboardScore(map(n, n, (_y, x) => (x % 2 ? 1 : 0)), n, n).score).toBeCloseTo(Math.SQRT1_2, 2);
      expect(checkerboardScore(map(n, n, (y) => (y % 2 ? 1 : 0)), n, n).score).toBeCloseTo(Math.SQRT1_2, 2);
      // Whatever the plateau, all of the fine detail is period-2.
      expect(checkerboardScore(map(n, n, (_y, x) => (x % 2 ? 1 : 0)), n, n).shapeRatio).toBeGreaterThan(0.97);
    }
  });

  it('works out sum(hann^2) = 37.5 at 101, the constant the hand-worked ripple scores use', () => {
    let s = 0;
    for (let i = 0; i < 101; i++) s += hann(i, 101) ** 2;
    expect(s).toBeCloseTo(37.5, 10);
  });

  it('scores an invisible ripple on a smooth disc near 0 (the shape ratio alone called it a checkerboard)', () => {
    const n = 101;
    const smooth = map(n, n, disc);
    for (const [a, oldScore] of [
      [1e-3, 0.5],
      [1e-2, 0.99],
    ] as const) {
      const c = checkerboardScore(ripple(smooth, n, a), n, n);
      const expected = rippleScore(smooth, n, a);
      // Hand-worked: 37.5 a / sqrt(disc energy) = 0.00107 for 1e-3 and 0.0107 for 1e-2.
      expect(expected).toBeCloseTo(a * 1.067, 4);
      expect(c.score).toBeCloseTo(expected, a === 1e-3 ? 5 : 4);
      expect(c.score).toBeLessThan(0.02);
      // The shape ratio, Strata's score before this one, says "period-2" whatever the amplitude.
      expect(c.shapeRatio).toBeGreaterThan(oldScore);
    }
    // Without a ripple the disc has no period-2 part at all.
    expect(checkerboardScore(smooth, n, n).score).toBeLessThan(1e-4);
  });

  it('grows with the ripple: a visible one on the disc scores its amplitude over the map', () => {
    const n = 101;
    const smooth = map(n, n, disc);
    expect(checkerboardScore(ripple(smooth, n, 0.2), n, n).score).toBeCloseTo(rippleScore(smooth, n, 0.2), 3);
    expect(rippleScore(smooth, n, 0.2)).toBeCloseTo(0.209, 3);
  });

  it('scores a faint ripple on a featureless map, an early prediction, by its amplitude over the map\'s level', () => {
    const n = 101;
    // 1e-2 on a flat 0.3: 0.01 / sqrt(0.01^2 + 0.3^2) = 0.0333, where the map's own variation is nothing but the ripple.
    const c = checkerboardScore(ripple(map(n, n, () => 0.3), n, 1e-2), n, n);
    expect(c.score).toBeCloseTo(0.01 / Math.sqrt(0.0901), 3);
    expect(c.shapeRatio).toBeGreaterThan(0.99);
  });

  it('is about 0 on smooth maps, and exactly 0 on a constant one', () => {
    const n = 101;
    const blob = map(n, n, (y, x) => Math.exp(-((y - 40) ** 2 + (x - 60) ** 2) / 300));
    expect(checkerboardScore(blob, n, n).score).toBeLessThan(0.01);
    expect(checkerboardScore(map(n, n, (y, x) => 0.3 * x + 0.1 * y), n, n).score).toBeLessThan(0.01);
    expect(checkerboardScore(map(n, n, () => 5), n, n)).toEqual({ score: 0, shapeRatio: 0, highShare: 0 });
    expect(checkerboardScore(map(n, n, () => 0), n, n)).toEqual({ score: 0, shapeRatio: 0, highShare: 0 });
  });

  it('scores white noise at the Nyquist bands\' share of the bins, and pools energy over several maps', () => {
    const n = 64;
    const rng = new Rng(2);
    const noise = Array.from({ length: n * n }, () => rng.normal());
    // Bins 31, 32 and 33 of 64 on either axis: 1 - (61/64)^2 = 9.2% of white noise's energy, score sqrt(0.092) = 0.30.
    const noiseScore = checkerboardScore(noise, n, n).score;
    expect(noiseScore).toBeGreaterThan(0.25);
    expect(noiseScore).toBeLessThan(0.35);
    const smooth = map(n, n, (y, x) => Math.sin(x / 9) + Math.cos(y / 13));
    const f = checkerboardScore(ripple(smooth, n, 0.05), n, n);
    expect(f.shapeRatio).toBeGreaterThan(0.9);
    expect(f.score).toBeLessThan(0.1);
    // Two maps pooled: between the two scores.
    const both = checkerboardScore([...ripple(smooth, n, 0.05), ...noise], n, n, 2).score;
    expect(both).toBeGreaterThan(f.score);
    expect(both).toBeLessThan(noiseScore);
  });
});

describe("an epoch's stored checkerboard figures", () => {
  it('reads the score and shape ratio, and an older run\'s valCheckerboard as the shape ratio only', () => {
    expect(epochCheckerboard({ valNyquistAmplitude: 0.04, valNyquistShape: 0.6 })).toEqual({ score: 0.04, shapeRatio: 0.6 });
    const old = epochCheckerboard({ valCheckerboard: 0.49 });
    expect(old.shapeRatio).toBe(0.49);
    expect(old.score).toBeNaN();
    expect(epochCheckerboard(undefined).score).toBeNaN();
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
