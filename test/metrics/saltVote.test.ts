/**
 * The salt head's vote on empty images in the post-processing: an image whose salt probability is
 * below the rule's salt cut is predicted empty. Hand-worked values for applying, scoring and tuning it.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SALT_CUT,
  DEFAULT_TUNE_AREAS,
  DEFAULT_TUNE_SALT_CUTS,
  applyPostprocess,
  scorePostprocess,
  tuneThresholdAndArea,
} from '../../shared/metrics/postprocess';
import { lcg } from '../helpers/lcg';

const u8 = (...v: number[]) => Uint8Array.from(v);
const f32 = (...v: number[]) => Float32Array.from(v);

// Two 2x2 images. Image 0: empty truth, one false pixel at p = 0.9. Image 1: three salt pixels, all found.
const truths = u8(0, 0, 0, 0, 1, 1, 1, 0);
const probs = u8(230, 0, 0, 0, 230, 230, 230, 0);

describe('applyPostprocess with a salt cut', () => {
  it('empties an image whose salt probability is below the cut, and only that one', () => {
    const rule = { threshold: 0.5, minArea: 0, saltCut: 0.5 };
    expect([...applyPostprocess(probs, 2, 2, 2, rule, undefined, f32(0.2, 0.9))]).toEqual([0, 0, 0, 0, 1, 1, 1, 0]);
    // A probability equal to the cut is not below it: kept.
    expect([...applyPostprocess(probs, 2, 2, 2, { ...rule, saltCut: 0.2 }, undefined, f32(0.2, 0.9))]).toEqual([1, 0, 0, 0, 1, 1, 1, 0]);
    // A high cut empties both; a cut of 0 never fires.
    expect([...applyPostprocess(probs, 2, 2, 2, { ...rule, saltCut: 0.95 }, undefined, f32(0.2, 0.9))]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...applyPostprocess(probs, 2, 2, 2, { ...rule, saltCut: 0 }, undefined, f32(0, 0))]).toEqual([1, 0, 0, 0, 1, 1, 1, 0]);
    // Without a cut the salt probabilities change nothing; the area rule still applies with the vote.
    expect([...applyPostprocess(probs, 2, 2, 2, { threshold: 0.5, minArea: 0 }, undefined, f32(0.2, 0.1))]).toEqual([1, 0, 0, 0, 1, 1, 1, 0]);
    expect([...applyPostprocess(probs, 2, 2, 2, { threshold: 0.5, minArea: 2, saltCut: 0.5 }, undefined, f32(0.9, 0.9))]).toEqual([0, 0, 0, 0, 1, 1, 1, 0]);
    // Written into `out` when given.
    const out = new Uint8Array(8);
    applyPostprocess(probs, 2, 2, 2, rule, out, [0.2, 0.9]);
    expect([...out]).toEqual([0, 0, 0, 0, 1, 1, 1, 0]);
  });

  it('refuses a cut without salt probabilities, a cut outside [0, 1], and salt probabilities that do not fit', () => {
    const rule = { threshold: 0.5, minArea: 0, saltCut: 0.5 };
    expect(() => applyPostprocess(probs, 2, 2, 2, rule)).toThrow('applyPostprocess: the rule votes with salt cut 0.5, but no per-image salt probabilities were given');
    expect(() => applyPostprocess(probs, 2, 2, 2, { ...rule, saltCut: 1.5 }, undefined, f32(0.2, 0.9))).toThrow('applyPostprocess: salt cut must be in [0, 1], got 1.5');
    expect(() => applyPostprocess(probs, 2, 2, 2, rule, undefined, f32(0.2))).toThrow('applyPostprocess: saltProbs has length 1, expected 2');
    expect(() => applyPostprocess(probs, 2, 2, 2, rule, undefined, f32(0.2, NaN))).toThrow('applyPostprocess: saltProbs[1] must be a probability in [0, 1], got NaN');
  });
});

describe('scorePostprocess with a salt cut', () => {
  it('gives back the empty image the false pixel cost, and costs a salt image the head misses', () => {
    expect(scorePostprocess(truths, probs, 2, 2, 2, { threshold: 0.5, minArea: 0 }).score).toBe(0.5);
    const voted = scorePostprocess(truths, probs, 2, 2, 2, { threshold: 0.5, minArea: 0, saltCut: 0.5 }, f32(0.2, 0.9));
    expect(voted.score).toBe(1);
    expect(voted.perImage.map((p) => p.predEmpty)).toEqual([true, false]);
    // The head doubting image 1 too (0.3): empty right (1), salt missed (0).
    const doubt = scorePostprocess(truths, probs, 2, 2, 2, { threshold: 0.5, minArea: 0, saltCut: 0.5 }, f32(0.2, 0.3));
    expect([doubt.score, doubt.emptyScore, doubt.nonEmptyScore]).toEqual([0.5, 1, 0]);
  });
});

describe('tuneThresholdAndArea with salt probabilities', () => {
  it('tries every cut and picks the one that empties the false image but keeps the salt one', () => {
    const r = tuneThresholdAndArea(truths, probs, 2, 2, 2, { thresholds: [0.5], areas: [0], saltCuts: [0.95, 0, 0.1, 0.5] }, f32(0.2, 0.9));
    // 0 and 0.1 leave the false pixel (0.5); 0.5 empties image 0 alone (1); 0.95 empties both (0.5).
    expect(r.points.map((p) => [p.saltCut, p.score])).toEqual([
      [0, 0.5],
      [0.1, 0.5],
      [0.5, 1],
      [0.95, 0.5],
    ]);
    expect(r.best).toEqual({ threshold: 0.5, minArea: 0, saltCut: 0.5, score: 1, emptyScore: 1, saltScore: 1, meanIoU: 1, pixelIoU: 1 });
  });

  it('breaks ties to the smaller area first, then the smaller cut', () => {
    // Area 2 clears the one false pixel as the vote does: (0, 0.5), (2, 0) and (2, 0.5) all score 1.
    const r = tuneThresholdAndArea(truths, probs, 2, 2, 2, { thresholds: [0.5], areas: [2, 0], saltCuts: [0.5, 0.3, 0] }, f32(0.2, 0.9));
    expect(r.points.map((p) => [p.minArea, p.saltCut, p.score])).toEqual([
      [0, 0, 0.5],
      [0, 0.3, 1],
      [0, 0.5, 1],
      [2, 0, 1],
      [2, 0.3, 1],
      [2, 0.5, 1],
    ]);
    expect(r.best).toMatchObject({ minArea: 0, saltCut: 0.3 });
  });

  it('has no salt cut without salt probabilities, and refuses a bad cut list by name', () => {
    const plain = tuneThresholdAndArea(truths, probs, 2, 2, 2, { thresholds: [0.5], areas: [0], saltCuts: [0.5] });
    expect(plain.points).toHaveLength(1);
    expect(plain.best).not.toHaveProperty('saltCut');
    expect(() => tuneThresholdAndArea(truths, probs, 2, 2, 2, { saltCuts: [] }, f32(0.2, 0.9))).toThrow('tuneThresholdAndArea: no salt cuts given');
    expect(() => tuneThresholdAndArea(truths, probs, 2, 2, 2, { saltCuts: [2] }, f32(0.2, 0.9))).toThrow('tuneThresholdAndArea: salt cut must be in [0, 1], got 2');
    expect(() => tuneThresholdAndArea(truths, probs, 2, 2, 2, {}, f32(0.2))).toThrow('tuneThresholdAndArea: saltProbs has length 1, expected 2');
  });

  it('agrees with scorePostprocess at every point on random images and salt probabilities', () => {
    const rnd = lcg(11);
    const n = 12;
    const h = 23;
    const w = 19;
    const px = h * w;
    const t = new Uint8Array(n * px);
    const p = new Uint8Array(n * px);
    const salt = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      const r = k % 3 === 0 ? 0 : 2 + rnd() * 8;
      const cy = rnd() * h;
      const cx = rnd() * w;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const i = k * px + y * w + x;
          const inside = (y - cy) ** 2 + (x - cx) ** 2 < r * r;
          t[i] = inside ? 1 : 0;
          p[i] = Math.round((inside ? 0.35 + 0.6 * rnd() : rnd() < 0.03 ? 0.3 + 0.6 * rnd() : 0.4 * rnd()) * 255);
        }
      }
      // A noisy head: right-leaning on most images.
      salt[k] = r === 0 ? 0.6 * rnd() : 0.3 + 0.7 * rnd();
    }
    const grid = { thresholds: [0.3, 0.5, 0.7] };
    const r = tuneThresholdAndArea(t, p, n, h, w, grid, salt);
    expect(r.points).toHaveLength(3 * DEFAULT_TUNE_AREAS.length * DEFAULT_TUNE_SALT_CUTS.length);
    for (const q of r.points) {
      const direct = scorePostprocess(t, p, n, h, w, q, salt);
      expect(q.score, `${q.threshold} ${q.minArea} ${q.saltCut}`).toBe(direct.score);
      expect(q.emptyScore).toBe(direct.emptyScore);
      expect(q.saltScore).toBe(direct.nonEmptyScore);
      expect(q.meanIoU).toBeCloseTo(direct.meanIoU, 12);
      expect(q.pixelIoU).toBeCloseTo(direct.pixelIoU, 12);
    }
    // The vote matters on this set: at one threshold and area, the cuts do not all score alike.
    expect(new Set(r.points.filter((q) => q.threshold === 0.5 && q.minArea === 0).map((q) => q.score)).size).toBeGreaterThan(1);
    expect(r.best.score).toBe(Math.max(...r.points.map((q) => q.score)));
  });

  it('tries cuts 0, 0.1, ..., 0.9; a rule fixed without tuning votes at 0.5', () => {
    expect(DEFAULT_TUNE_SALT_CUTS).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(DEFAULT_SALT_CUT).toBe(0.5);
  });
});
