import { describe, expect, it } from 'vitest';
import { INITIALIZERS } from '../../shared/arch/types';
import {
  convFans,
  initializerSpec,
  sampleInitializer,
  TRUNCATED_NORMAL_STDDEV,
} from '../../src-main/training/initializers';
import { Rng } from '../../src-main/training/random';

/** erf by its Maclaurin series; exact to double precision for |x| <= 2. */
function erf(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 60; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** Moments of a standard normal truncated to [-2, 2]: E[X^k] = (k-1) E[X^(k-2)] - 2·2^(k-1)·phi(2)/Z for even k. */
const A = 2;
const PHI_A = Math.exp(-(A * A) / 2) / Math.sqrt(2 * Math.PI);
const MASS = erf(A / Math.SQRT2);
const M2 = 1 - (2 * A * PHI_A) / MASS;
const M4 = 3 * M2 - (2 * A ** 3 * PHI_A) / MASS;
/** Kurtosis mu4/sigma^4 of each distribution, for the standard error of the sample variance. */
const KURTOSIS = { truncated_normal: M4 / (M2 * M2), uniform: 9 / 5 };

const N = 200_000;
const Z = 5;

describe('initializerSpec', () => {
  it('uses the truncated normal constant Keras uses', () => {
    expect(TRUNCATED_NORMAL_STDDEV).toBeCloseTo(Math.sqrt(M2), 12);
  });

  it('gives Keras values for a 3x3 conv, 16 -> 32 channels', () => {
    const { fanIn, fanOut } = convFans(3, 3, 16, 32, false);
    expect([fanIn, fanOut]).toEqual([144, 288]);
    const he = initializerSpec('he_normal', fanIn, fanOut);
    expect(he).toMatchObject({ distribution: 'truncated_normal', scale: 2, mode: 'fan_in', n: 144 });
    expect(he.variance).toBeCloseTo(2 / 144, 15);
    expect(he.stddev).toBeCloseTo(Math.sqrt(2 / 144) / 0.87962566103423978, 15);
    const gu = initializerSpec('glorot_uniform', fanIn, fanOut);
    expect(gu).toMatchObject({ distribution: 'uniform', scale: 1, mode: 'fan_avg', n: 216 });
    expect(gu.limit).toBeCloseTo(Math.sqrt(3 / 216), 15);
    expect(initializerSpec('he_uniform', fanIn, fanOut).limit).toBeCloseTo(Math.sqrt(6 / 144), 15);
    expect(initializerSpec('glorot_normal', fanIn, fanOut).stddev).toBeCloseTo(Math.sqrt(1 / 216) / 0.87962566103423978, 15);
  });

  it('reads transposed-conv fans off the [kh, kw, filters, in] kernel, as Keras does', () => {
    // Conv2DTranspose 32 -> 16 channels: kernel [3, 3, 16, 32], fan_in = 9 * 16.
    expect(convFans(3, 3, 32, 16, true)).toEqual({ fanIn: 144, fanOut: 288 });
    expect(convFans(1, 1, 1, 1, true)).toEqual({ fanIn: 1, fanOut: 1 });
  });

  it('rejects fans that are not positive integers', () => {
    expect(() => initializerSpec('he_normal', 0, 1)).toThrow(RangeError);
    expect(() => initializerSpec('he_normal', 3, 2.5)).toThrow(/fanOut/);
  });
});

describe('sampleInitializer', () => {
  for (const init of INITIALIZERS) {
    it(`${init}: mean 0, variance scale/n, bounded`, () => {
      const fanIn = 3 * 3 * 8;
      const fanOut = 3 * 3 * 24;
      const spec = initializerSpec(init, fanIn, fanOut);
      const xs = sampleInitializer(init, N, fanIn, fanOut, new Rng(11));
      expect(xs).toHaveLength(N);
      let sum = 0;
      let sumSq = 0;
      let maxAbs = 0;
      for (const x of xs) {
        sum += x;
        sumSq += x * x;
        maxAbs = Math.max(maxAbs, Math.abs(x));
      }
      const mean = sum / N;
      const variance = sumSq / N - mean * mean;
      const sd = Math.sqrt(spec.variance);
      // Standard errors: of the mean sigma/sqrt(N); of the sample variance sigma^2 sqrt((kurtosis - 1)/N).
      expect(Math.abs(mean)).toBeLessThan((Z * sd) / Math.sqrt(N));
      const kurtosis = KURTOSIS[spec.distribution];
      expect(Math.abs(variance - spec.variance)).toBeLessThan(Z * spec.variance * Math.sqrt((kurtosis - 1) / N));
      // Rounding to float32 is monotone, so the float32 bound holds exactly.
      const bound = spec.distribution === 'uniform' ? (spec.limit ?? 0) : 2 * (spec.stddev ?? 0);
      expect(maxAbs).toBeLessThanOrEqual(Math.fround(bound));
      // ...and the draws reach close to it (not, say, clipped at one stddev).
      expect(maxAbs).toBeGreaterThan(0.99 * bound);
    });
  }

  it('is deterministic for a seed', () => {
    const a = sampleInitializer('he_normal', 1000, 27, 27, new Rng(5));
    const b = sampleInitializer('he_normal', 1000, 27, 27, new Rng(5));
    const c = sampleInitializer('he_normal', 1000, 27, 27, new Rng(6));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
});
