/** Per-image scores and the set summary from histograms, and the threshold sweep as the view uses it, against hand-computed values. */
import { describe, expect, it } from 'vitest';
import { scoreSet, thresholdSweep } from '../../shared/metrics';
import { buildHistograms, scoresAt, summarize } from '../../src-renderer/workflows/masksScores';
import { lcg } from '../helpers/lcg';

// Three 2x2 images, one after another.
// A: salt in the top row; probabilities 255, 200 there and 100, 0 below.
// B: no salt; one pixel at 140 (0.549).
// C: salt in the bottom row; nothing predicted anywhere.
const truth = new Uint8Array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
const probs = new Uint8Array([255, 200, 100, 0, 0, 0, 0, 140, 0, 0, 0, 0]);
const set = { truths: truth, probs, n: 3, h: 2, w: 2 };

describe('scoresAt', () => {
  const hist = buildHistograms(probs, truth, 3, 4);

  it('scores each image at 0.5 with the competition rules', () => {
    const s = scoresAt(hist, 0.5);
    // A: predicted = truth, IoU 1, score 1. B: empty truth, one pixel predicted: 0. C: salt missed: 0.
    expect(Array.from(s.iou)).toEqual([1, 0, 0]);
    expect(Array.from(s.score)).toEqual([1, 0, 0]);
    expect(Array.from(s.predicted)).toEqual([2, 1, 0]);
    expect(Array.from(s.truth)).toEqual([2, 0, 2]);
  });

  it('follows the threshold: at 0.8 A keeps one of its two pixels (IoU 0.5 does not pass 0.5) and B is clean', () => {
    const s = scoresAt(hist, 0.8);
    expect(Array.from(s.iou)).toEqual([0.5, 1, 0]);
    expect(Array.from(s.score)).toEqual([0, 1, 0]);
  });

  it('gives exactly what scoreSet gives, image by image, on random data', () => {
    const rnd = lcg(7);
    const n = 20;
    const px = 36;
    const t = Uint8Array.from({ length: n * px }, (_, i) => (Math.floor(i / px) % 3 === 0 ? 0 : rnd() < 0.4 ? 1 : 0));
    const p = Uint8Array.from({ length: n * px }, () => Math.floor(rnd() * 256));
    const h = buildHistograms(p, t, n, px);
    for (const threshold of [0.05, 0.3, 0.5, 0.62, 0.9]) {
      const ours = scoresAt(h, threshold);
      const ref = scoreSet({ truths: t, probs: p, n, h: 6, w: 6, threshold });
      expect(Array.from(ours.iou)).toEqual(ref.perImage.map((r) => r.iou));
      expect(Array.from(ours.score)).toEqual(ref.perImage.map((r) => r.score));
      const sum = summarize(ours);
      expect(sum.score).toBe(ref.score);
      expect(sum.emptyScore).toBe(ref.emptyScore);
      expect(sum.nonEmptyScore).toBe(ref.nonEmptyScore);
      expect(sum.meanIoU).toBeCloseTo(ref.meanIoU, 12);
    }
  });

  it('has no scores for unlabelled data, but still counts predicted salt', () => {
    const s = scoresAt(buildHistograms(probs, null, 3, 4), 0.5);
    expect(Array.from(s.predicted)).toEqual([2, 1, 0]);
    expect(s.score.every((v) => Number.isNaN(v))).toBe(true);
  });
});

describe('summarize', () => {
  it('splits the set score between empty and non-empty truth and counts false-positive and missed images', () => {
    const sum = summarize(scoresAt(buildHistograms(probs, truth, 3, 4), 0.5));
    expect(sum.score).toBe(1 / 3);
    expect(sum.meanIoU).toBe(1 / 3);
    expect(sum.emptyCount).toBe(1);
    expect(sum.emptyScore).toBe(0);
    expect(sum.nonEmptyCount).toBe(2);
    expect(sum.nonEmptyScore).toBe(0.5);
    expect(sum.falsePositiveImages).toBe(1);
    expect(sum.missedImages).toBe(1);
  });
});

describe('thresholdSweep as the summary bar uses it', () => {
  it('scores the set at each threshold and marks the best', () => {
    // 0.5: A 1, B 0, C 0 -> 1/3. 0.6 (cut 154): A 1, B 1, C 0 -> 2/3. 0.8 (cut 205): A 0, B 1, C 0 -> 1/3.
    const sweep = thresholdSweep(set, [0.5, 0.6, 0.8]);
    expect(sweep.points.map((p) => p.score)).toEqual([1 / 3, 2 / 3, 1 / 3]);
    expect(sweep.best.threshold).toBe(0.6);
    // And the summary at the best threshold agrees with the sweep's point.
    expect(summarize(scoresAt(buildHistograms(probs, truth, 3, 4), 0.6)).score).toBe(sweep.best.score);
  });
});
