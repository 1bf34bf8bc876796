import { describe, it, expect } from 'vitest';
import {
  IOU_THRESHOLDS,
  imageHits,
  imagePrecision,
  scoreSet,
  type ImageSet,
} from '../../shared/metrics/competition';
import { DEFAULT_SWEEP_THRESHOLDS, thresholdSweep } from '../../shared/metrics/postprocess';
import { imageIoU } from '../../shared/metrics/iou';
import { MetricInputError } from '../../shared/metrics/errors';

describe('imagePrecision', () => {
  it('uses the thresholds 0.50, 0.55, ..., 0.95', () => {
    expect(IOU_THRESHOLDS).toEqual([0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]);
  });
  it('counts a hit only when IoU is strictly above the threshold (README: IoU > t)', () => {
    // IoU from pixel counts, as the metric meets them: 1 of 2 pixels = .5 exactly: no hit at .50
    const half = imageIoU(Uint8Array.from([1, 1]), Uint8Array.from([1, 0]));
    expect(half).toBe(0.5);
    expect(imagePrecision(half, false, false)).toBe(0);
    // 11/20 = .55 exactly: beats .50 only
    expect(imagePrecision(11 / 20, false, false)).toBe(0.1);
    // 3/5 = .6: beats .50 and .55
    expect(imagePrecision(3 / 5, false, false)).toBe(0.2);
    // 19/20 = .95: beats all but .95
    expect(imagePrecision(19 / 20, false, false)).toBe(0.9);
    // 24/25 = .96 and 1: all ten
    expect(imagePrecision(24 / 25, false, false)).toBe(1);
    expect(imageHits(1, false, false)).toBe(10);
    // just above .5: one hit
    expect(imageHits(0.5000001, false, false)).toBe(1);
  });
  it('applies the empty rules whatever IoU is passed', () => {
    expect(imagePrecision(0, true, true)).toBe(1); // nothing to find, nothing found
    expect(imagePrecision(1, true, false)).toBe(0); // any predicted pixel on an empty image
    expect(imagePrecision(1, false, true)).toBe(0); // salt missed entirely
  });
});

/**
 * Five 2x2 images (pixels in any fixed order):
 *  0: truth 1100, probs .9 .8 .1 .2  -> at .5 pred 1100: IoU 1, score 1
 *  1: truth 0000, probs .1 .2 .3 .4  -> empty/empty: IoU 1, score 1
 *  2: truth 0000, probs .6 0 0 0     -> empty truth, 1 FP: IoU 0, score 0
 *  3: truth 1100, probs .7 .3 0 0    -> pred 1000: IoU 1/2, score 0 (not > .5)
 *  4: truth 1000, probs .1 .1 .1 .1  -> salt, empty prediction: IoU 0, score 0
 */
function fiveImages(): { truths: Uint8Array; probs: number[] } {
  const truths = Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0]);
  const probs = [0.9, 0.8, 0.1, 0.2, 0.1, 0.2, 0.3, 0.4, 0.6, 0, 0, 0, 0.7, 0.3, 0, 0, 0.1, 0.1, 0.1, 0.1];
  return { truths, probs };
}

describe('scoreSet', () => {
  const { truths, probs } = fiveImages();
  const set: ImageSet = { truths, probs: Float32Array.from(probs), n: 5, h: 2, w: 2 };

  it('scores the hand-computed set at 0.5', () => {
    const r = scoreSet({ ...set, threshold: 0.5 });
    expect(r.perImage.map((p) => p.score)).toEqual([1, 1, 0, 0, 0]);
    expect(r.perImage.map((p) => p.iou)).toEqual([1, 1, 0, 0.5, 0]);
    expect(r.perImage.map((p) => p.truthEmpty)).toEqual([false, true, true, false, false]);
    expect(r.perImage.map((p) => p.predEmpty)).toEqual([false, true, false, false, true]);
    expect(r.perImage.map((p) => p.coverage)).toEqual([0.5, 0, 0, 0.5, 0.25]);
    expect(r.score).toBe(2 / 5); // (1 + 1 + 0 + 0 + 0) / 5
    expect(r.meanIoU).toBe(2.5 / 5); // (1 + 1 + 0 + .5 + 0) / 5
    // intersections 2+0+0+1+0 = 3; unions 2+0+1+2+1 = 6
    expect(r.pixelIoU).toBe(3 / 6);
    expect(r.emptyCount).toBe(2);
    expect(r.nonEmptyCount).toBe(3);
    expect(r.emptyScore).toBe(1 / 2); // images 1, 2
    expect(r.nonEmptyScore).toBe(1 / 3); // images 0, 3, 4
  });

  it('gives the same result from quantised Uint8 probabilities', () => {
    const bytes = Uint8Array.from(probs.map((p) => Math.round(p * 255)));
    const a = scoreSet({ ...set, threshold: 0.5 });
    const b = scoreSet({ ...set, probs: bytes, threshold: 0.5 });
    expect(b).toEqual(a);
  });

  it('reports null for a missing group and 1 for an all-empty set', () => {
    const r = scoreSet({ truths: new Uint8Array(8), probs: new Float32Array(8), n: 2, h: 2, w: 2, threshold: 0.5 });
    expect(r.score).toBe(1);
    expect(r.pixelIoU).toBe(1);
    expect(r.nonEmptyScore).toBeNull();
    expect(r.emptyScore).toBe(1);
  });

  it('rejects inconsistent sizes and bad thresholds', () => {
    expect(() => scoreSet({ ...set, n: 4, threshold: 0.5 })).toThrow(MetricInputError);
    expect(() => scoreSet({ ...set, h: 0, threshold: 0.5 })).toThrow(/positive integer/);
    expect(() => scoreSet({ ...set, threshold: Number.NaN })).toThrow(MetricInputError);
  });
});

describe('thresholdSweep', () => {
  const { truths, probs } = fiveImages();
  const set: ImageSet = { truths, probs: Float32Array.from(probs), n: 5, h: 2, w: 2 };

  it('finds the hand-computed best threshold, breaking ties towards 0.5', () => {
    // Sum of image scores by threshold t (pixel predicted when p > t):
    //  img0: t<.1 IoU 2/4 -> 0; .1<=t<.2 IoU 2/3 = .667 (> .50 .55 .60 .65) -> .4; .2<=t<.8 -> 1; t=.8 IoU 1/2 -> 0; t>=.9 empty -> 0
    //  img1: 1 iff t >= .4;  img2: 1 iff t >= .6;  img3: 1 iff t < .3;  img4: always 0
    // t: .05 1 | .10 1.4 | .15 1.4 | .20 2 | .25 2 | .30 1 | .35 1 | .40-.55 2 | .60-.75 3 | .80-.95 2
    const expected = [1, 1.4, 1.4, 2, 2, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 2, 2, 2, 2].map((s) => s / 5);
    const sweep = thresholdSweep(set);
    expect(sweep.points.map((p) => p.threshold)).toEqual(DEFAULT_SWEEP_THRESHOLDS);
    sweep.points.forEach((p, j) => expect(p.score).toBeCloseTo(expected[j] ?? Number.NaN, 12));
    // 3/5 at .60, .65, .70, .75: the closest to .5 wins
    expect(sweep.best.threshold).toBe(0.6);
    expect(sweep.best.score).toBe(3 / 5);
  });

  it('prefers the lower threshold when two are equally close to 0.5', () => {
    // One empty-truth image whose brightest pixel is .2: at .25 and at .75 nothing is predicted,
    // both score 1, and both lie exactly .25 from .5 (exact in binary), so the lower one wins.
    const s: ImageSet = { truths: new Uint8Array(4), probs: Float32Array.from([0.2, 0, 0, 0]), n: 1, h: 2, w: 2 };
    expect(thresholdSweep(s, [0.75, 0.25]).best.threshold).toBe(0.25);
    // and an unsorted list comes back sorted
    expect(thresholdSweep(s, [0.75, 0.25]).points.map((p) => p.threshold)).toEqual([0.25, 0.75]);
  });

  it('matches scoreSet at every threshold on random sets, in both encodings', () => {
    // A deterministic LCG so the test is reproducible without fixtures.
    let state = 12345;
    const rand = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    const n = 40;
    const h = 7;
    const w = 6;
    const truths = new Uint8Array(n * h * w);
    const floats = new Float32Array(n * h * w);
    for (let k = 0; k < n; k++) {
      const salty = rand() < 0.6;
      for (let i = k * h * w; i < (k + 1) * h * w; i++) {
        truths[i] = salty && rand() < 0.5 ? 1 : 0;
        // correlated with truth, and with some values sitting exactly on thresholds
        floats[i] = rand() < 0.1 ? Math.round(rand() * 20) / 20 : Math.min(1, Math.max(0, 0.5 * (truths[i] ?? 0) + 0.6 * rand() - 0.05));
      }
    }
    const bytes = Uint8Array.from(floats, (p) => Math.round(p * 255));
    const thresholds = [...DEFAULT_SWEEP_THRESHOLDS, 0.2, 0.0, 1];
    for (const probs of [floats, bytes]) {
      const sweep = thresholdSweep({ truths, probs, n, h, w }, thresholds);
      for (const p of sweep.points) {
        const r = scoreSet({ truths, probs, n, h, w, threshold: p.threshold });
        expect(p.score).toBe(r.score);
        expect(p.meanIoU).toBeCloseTo(r.meanIoU, 12);
        expect(p.pixelIoU).toBeCloseTo(r.pixelIoU, 12);
      }
      const bestScore = Math.max(...sweep.points.map((p) => p.score));
      expect(sweep.best.score).toBe(bestScore);
    }
  });

  it('sweeps 3600 images of 101x101 quickly', () => {
    const n = 3600;
    const size = n * 101 * 101;
    const truths = new Uint8Array(size);
    const probs = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      truths[i] = (i >> 9) & 1;
      probs[i] = ((i * 2654435761) >>> 0) / 2 ** 32;
    }
    const sweep = thresholdSweep({ truths, probs, n, h: 101, w: 101 });
    expect(sweep.points).toHaveLength(19);
  });

  it('rejects an empty or non-finite threshold list', () => {
    expect(() => thresholdSweep(set, [])).toThrow(MetricInputError);
    expect(() => thresholdSweep(set, [0.5, Number.POSITIVE_INFINITY])).toThrow(MetricInputError);
  });
});
