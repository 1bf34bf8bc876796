import { describe, expect, it } from 'vitest';
import { deriveSeed, Rng } from '../../src-main/training/random';

const N = 200_000;
/** Five standard errors: a correct generator fails with probability below 1e-6. */
const Z = 5;

describe('Rng', () => {
  it('matches xoshiro128** by hand from state [1, 2, 3, 4]', () => {
    // Output = rotl(s1 * 5, 7) * 9, then the state update of Blackman & Vigna's reference:
    // 1st: s1 = 2 -> rotl(10, 7) = 1280 -> 11520; state becomes [7, 0, 1026, 12288].
    // 2nd: s1 = 0 -> 0; state becomes [12295, 1029, 1029, 25165824].
    // 3rd: s1 = 1029 -> rotl(5145, 7) = 658560 -> 5927040.
    const rng = Rng.fromState([1, 2, 3, 4]);
    expect([rng.nextUint32(), rng.nextUint32()]).toEqual([11520, 0]);
    expect(rng.state()).toEqual([12295, 1029, 1029, 25165824]);
    expect(rng.nextUint32()).toBe(5927040);
  });

  it('is deterministic per seed and differs between seeds', () => {
    const draw = (seed: number): number[] => {
      const r = new Rng(seed);
      return Array.from({ length: 8 }, () => r.uniform());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    // Seeds past 2^32 keep their high bits.
    expect(draw(2 ** 32 + 5)).not.toEqual(draw(5));
    expect(draw(-1)).not.toEqual(draw(2 ** 32 - 1));
  });

  it('resumes the same stream from state()', () => {
    const a = new Rng(7);
    for (let i = 0; i < 13; i++) a.normal();
    const b = Rng.fromState(a.state());
    const fromA = Array.from({ length: 10 }, () => [a.uniform(), a.normal()]);
    const fromB = Array.from({ length: 10 }, () => [b.uniform(), b.normal()]);
    expect(fromB).toEqual(fromA);
  });

  it('rejects bad seeds and states', () => {
    expect(() => new Rng(1.5)).toThrow(RangeError);
    expect(() => new Rng(Number.NaN)).toThrow(RangeError);
    expect(() => Rng.fromState([0, 0, 0, 0])).toThrow(/all zero/);
    expect(() => Rng.fromState([1, 2, 3])).toThrow(RangeError);
    expect(() => Rng.fromState([1, 2, 3, 2 ** 32])).toThrow(RangeError);
  });

  it('draws uniform values in [0, 1) with mean 1/2 and variance 1/12', () => {
    const rng = new Rng(1);
    let sum = 0;
    let sumSq = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < N; i++) {
      const u = rng.uniform();
      sum += u;
      sumSq += u * u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    const mean = sum / N;
    const variance = sumSq / N - mean * mean;
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(mean - 0.5)).toBeLessThan(Z * Math.sqrt(1 / 12 / N));
    // Var of the sample variance of U(0,1): (mu4 - sigma^4)/N = (1/80 - 1/144)/N.
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(Z * Math.sqrt((1 / 80 - 1 / 144) / N));
  });

  it('draws standard normals', () => {
    const rng = new Rng(2);
    let sum = 0;
    let sumSq = 0;
    let beyond2 = 0;
    for (let i = 0; i < N; i++) {
      const z = rng.normal();
      sum += z;
      sumSq += z * z;
      if (Math.abs(z) > 2) beyond2++;
    }
    const mean = sum / N;
    expect(Math.abs(mean)).toBeLessThan(Z / Math.sqrt(N));
    // Var of the sample variance of N(0,1): 2/N.
    expect(Math.abs(sumSq / N - mean * mean - 1)).toBeLessThan(Z * Math.sqrt(2 / N));
    // P(|z| > 2) = 0.0455003; binomial standard error.
    const p = 0.0455003;
    expect(Math.abs(beyond2 / N - p)).toBeLessThan(Z * Math.sqrt((p * (1 - p)) / N));
  });
});

describe('deriveSeed', () => {
  it('is a deterministic 32-bit hash of seed and name', () => {
    const s = deriveSeed(123, 'enc1/conv0/kernel');
    expect(s).toBe(deriveSeed(123, 'enc1/conv0/kernel'));
    expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
  });

  it('gives distinct seeds for distinct names and run seeds', () => {
    const names = Array.from({ length: 2000 }, (_, i) => `node${i}/kernel`);
    const seeds = new Set(names.map((n) => deriveSeed(9, n)));
    // 2000 draws from 2^32: a collision has probability about 5e-4.
    expect(seeds.size).toBe(names.length);
    expect(deriveSeed(9, 'a')).not.toBe(deriveSeed(10, 'a'));
    expect(deriveSeed(9, 'ab')).not.toBe(deriveSeed(9, 'ba'));
    expect(deriveSeed(9, '')).not.toBe(deriveSeed(9, '\u0000'));
  });
});
