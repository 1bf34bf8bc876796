import { describe, expect, it } from 'vitest';
import { MetricInputError } from '../../shared/metrics/errors';
import {
  DEFAULT_SWEEP_THRESHOLDS,
  DEFAULT_TUNE_AREAS,
  DEFAULT_TUNE_THRESHOLDS,
  applyPostprocess,
  bestTunePoint,
  scorePostprocess,
  thresholdSweep,
  tuneThresholdAndArea,
  type TunePoint,
} from '../../shared/metrics/postprocess';
import { byteCut } from '../../shared/metrics/probs';
import { scoreMasks, scoreSet } from '../../shared/metrics/competition';
import { describeCheckpoints, describePostprocess, resolvePostprocess, type RunPostprocess } from '../../shared/runs/postprocess';
import { lcg } from '../helpers/lcg';

const u8 = (...v: number[]) => Uint8Array.from(v);

describe('applyPostprocess', () => {
  it('marks salt where p > threshold, as predictMask does (bytes read as p*255, floats rounded to float32)', () => {
    // 127/255 = 0.498 and 128/255 = 0.502: the cut at 0.5 falls between them.
    expect([...applyPostprocess(u8(0, 127, 128, 255), 1, 2, 2, { threshold: 0.5, minArea: 0 })]).toEqual([0, 0, 1, 1]);
    expect([...applyPostprocess(Float32Array.from([0.3, 0.5, 0.50001, 0.9]), 1, 2, 2, { threshold: 0.5, minArea: 0 })]).toEqual([0, 0, 1, 1]);
  });

  it('clears an image with fewer salt pixels than the minimum area, image by image', () => {
    // Image 0 has 2 salt pixels, image 1 has 3.
    const probs = u8(200, 200, 0, 0, 200, 200, 200, 0);
    expect([...applyPostprocess(probs, 2, 2, 2, { threshold: 0.5, minArea: 2 })]).toEqual([1, 1, 0, 0, 1, 1, 1, 0]);
    expect([...applyPostprocess(probs, 2, 2, 2, { threshold: 0.5, minArea: 3 })]).toEqual([0, 0, 0, 0, 1, 1, 1, 0]);
    expect([...applyPostprocess(probs, 2, 2, 2, { threshold: 0.5, minArea: 4 })]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('refuses sizes, lengths and rules that do not fit, naming them', () => {
    const p = u8(0, 0, 0, 0);
    expect(() => applyPostprocess(p, 2, 2, 2, { threshold: 0.5, minArea: 0 })).toThrow(/probs has length 4, expected 8/);
    expect(() => applyPostprocess(p, 1, 2, 2, { threshold: 0.5, minArea: -1 })).toThrow(/minimum area must be a non-negative whole number of pixels, got -1/);
    expect(() => applyPostprocess(p, 1, 2, 2, { threshold: 0.5, minArea: 1.5 })).toThrow(MetricInputError);
    expect(() => applyPostprocess(p, 1, 2, 2, { threshold: NaN, minArea: 0 })).toThrow(/threshold must be a finite number/);
    expect(() => applyPostprocess(p, 0, 2, 2, { threshold: 0.5, minArea: 0 })).toThrow(/n must be a positive integer/);
  });
});

describe('scorePostprocess', () => {
  it('scores the masks after the area rule: one false pixel on an empty image costs that image, and the rule gives it back', () => {
    // Image 0: empty truth, one false pixel at p = 0.9. Image 1: three salt pixels, all found.
    const truths = u8(0, 0, 0, 0, 1, 1, 1, 0);
    const probs = u8(230, 0, 0, 0, 230, 230, 230, 0);
    const raw = scorePostprocess(truths, probs, 2, 2, 2, { threshold: 0.5, minArea: 0 });
    expect(raw.score).toBe(0.5);
    expect(raw.emptyScore).toBe(0);
    expect(raw.nonEmptyScore).toBe(1);
    const fixed = scorePostprocess(truths, probs, 2, 2, 2, { threshold: 0.5, minArea: 2 });
    expect(fixed.score).toBe(1);
    expect(fixed.perImage.map((p) => p.predEmpty)).toEqual([true, false]);
    // Too large an area clears the salt image too.
    expect(scorePostprocess(truths, probs, 2, 2, 2, { threshold: 0.5, minArea: 4 }).score).toBe(0.5);
    // With no area rule it is scoreSet at the threshold.
    expect(raw.score).toBe(scoreSet({ truths, probs, n: 2, h: 2, w: 2, threshold: 0.5 }).score);
  });
});

describe('tuneThresholdAndArea', () => {
  it('finds the area that removes a false pixel on an empty image, preferring the smallest that does', () => {
    const truths = u8(0, 0, 0, 0, 1, 1, 1, 0);
    const probs = u8(230, 0, 0, 0, 230, 230, 230, 0);
    const r = tuneThresholdAndArea(truths, probs, 2, 2, 2, { thresholds: [0.5], areas: [4, 0, 1, 2, 3] });
    // Areas 0 and 1 keep the false pixel (0.5); 2 and 3 clear it and keep the 3-pixel salt (1.0); 4 clears both (0.5).
    expect(r.points.map((p) => [p.minArea, p.score])).toEqual([
      [0, 0.5],
      [1, 0.5],
      [2, 1],
      [3, 1],
      [4, 0.5],
    ]);
    expect(r.best).toEqual({ threshold: 0.5, minArea: 2, score: 1, emptyScore: 1, saltScore: 1, meanIoU: 1, pixelIoU: 1 });
  });

  it('scores a hand-worked three-image set at every pair', () => {
    // 3x3 images. Byte cuts: 0.4 -> 103, 0.5 -> 128, 0.7 -> 179.
    expect([byteCut(0.4), byteCut(0.5), byteCut(0.7)]).toEqual([103, 128, 179]);
    const truths = u8(
      ...[0, 0, 0, 0, 0, 0, 0, 0, 0], // image 0: empty
      ...[1, 1, 0, 1, 1, 0, 0, 0, 0], // image 1: 4 salt pixels
      ...[0, 0, 0, 0, 0, 0, 0, 0, 1], // image 2: 1 salt pixel
    );
    const probs = u8(
      ...[153, 25, 25, 25, 25, 25, 25, 25, 25], // one false pixel at 0.6
      ...[204, 204, 115, 204, 115, 0, 0, 0, 0], // three sure salt pixels, a true and a false one at 0.45
      ...[0, 0, 0, 0, 0, 0, 0, 0, 178], // the salt pixel at 0.698
    );
    const r = tuneThresholdAndArea(truths, probs, 3, 3, 3, { thresholds: [0.7, 0.4, 0.5], areas: [2, 0] });
    const at = (t: number, a: number): TunePoint | undefined => r.points.find((p) => p.threshold === t && p.minArea === a);
    // t 0.4: image 0 has its false pixel (0 hits); image 1 predicts 5 pixels, 4 right: IoU 0.8, 6 hits;
    // image 2 is found (10). Area 2 clears image 0 (now 10) but also image 2's single pixel (0): 16 either way.
    // Pixel IoU pools the images: at area 0 intersections 0 + 4 + 1 over unions 1 + 5 + 1; at area 2 the
    // cleared images predict nothing: 0 + 4 + 0 over 0 + 5 + 1 (image 2's truth pixel stays in the union).
    expect(at(0.4, 0)).toEqual({ threshold: 0.4, minArea: 0, score: 16 / 30, emptyScore: 0, saltScore: 16 / 20, meanIoU: (0 + 0.8 + 1) / 3, pixelIoU: 5 / 7 });
    expect(at(0.4, 2)).toEqual({ threshold: 0.4, minArea: 2, score: 16 / 30, emptyScore: 1, saltScore: 6 / 20, meanIoU: (1 + 0.8 + 0) / 3, pixelIoU: 4 / 6 });
    // t 0.5: image 1 keeps its 3 sure pixels: IoU 3/4 = 0.75, 5 hits (0.75 is not above 0.75).
    expect(at(0.5, 0)?.score).toBe(15 / 30);
    expect(at(0.5, 2)?.score).toBe(15 / 30);
    // t 0.7: image 0 is empty (10), image 1 has 5 hits, image 2's 0.698 is missed (0).
    // Pixel IoU: image 1's 3 of 4, image 2's missed pixel: 3 / (4 + 1).
    expect(at(0.7, 0)).toEqual({ threshold: 0.7, minArea: 0, score: 15 / 30, emptyScore: 1, saltScore: 5 / 20, meanIoU: (1 + 0.75 + 0) / 3, pixelIoU: 3 / 5 });
    // Points in ascending threshold then area order; the tie at 16 hits goes to the smaller area.
    expect(r.points.map((p) => [p.threshold, p.minArea])).toEqual([
      [0.4, 0],
      [0.4, 2],
      [0.5, 0],
      [0.5, 2],
      [0.7, 0],
      [0.7, 2],
    ]);
    expect(r.best).toMatchObject({ threshold: 0.4, minArea: 0 });
  });

  it('breaks a tie between thresholds towards 0.5, then towards the lower one', () => {
    // One perfectly predicted image: every threshold below 1 scores 1.
    const truths = u8(1, 1, 0, 0);
    const probs = u8(255, 255, 0, 0);
    const r = tuneThresholdAndArea(truths, probs, 1, 2, 2, { thresholds: [0.25, 0.75, 0.625, 0.375], areas: [0, 1] });
    expect(r.points.every((p) => p.score === 1)).toBe(true);
    // 0.375 and 0.625 are both 0.125 from 0.5: the lower wins; area 0 beats area 1.
    expect(r.best).toMatchObject({ threshold: 0.375, minArea: 0 });
    const near = tuneThresholdAndArea(truths, probs, 1, 2, 2, { thresholds: [0.25, 0.75, 0.625], areas: [0] });
    expect(near.best.threshold).toBe(0.625);
  });

  it('reads float probabilities with the same cut as applyPostprocess', () => {
    const truths = u8(0, 0, 0, 0, 1, 1, 1, 0);
    const probs = Float32Array.from([0.9, 0, 0, 0, 0.9, 0.9, 0.9, 0.3]);
    const r = tuneThresholdAndArea(truths, probs, 2, 2, 2, { thresholds: [0.3, 0.5], areas: [0, 2] });
    // 0.3 is not above a threshold of 0.3 (both float32): at 0.3 image 1 is still exact.
    expect(r.points.map((p) => p.score)).toEqual([0.5, 1, 0.5, 1]);
    expect(r.best).toMatchObject({ threshold: 0.5, minArea: 2, score: 1 });
  });

  it('agrees with scorePostprocess at every pair of the default grid on random images', () => {
    const rnd = lcg(7);
    const n = 12;
    const h = 31;
    const w = 29;
    const px = h * w;
    const truths = new Uint8Array(n * px);
    const probs = new Uint8Array(n * px);
    for (let k = 0; k < n; k++) {
      // A third empty; the rest a blob of random size; probabilities noisy around the truth.
      const r = k % 3 === 0 ? 0 : 2 + rnd() * 12;
      const cy = rnd() * h;
      const cx = rnd() * w;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const i = k * px + y * w + x;
          const salt = (y - cy) ** 2 + (x - cx) ** 2 < r * r;
          truths[i] = salt ? 1 : 0;
          const p = salt ? 0.35 + 0.6 * rnd() : rnd() < 0.02 ? 0.3 + 0.6 * rnd() : 0.4 * rnd();
          probs[i] = Math.round(p * 255);
        }
      }
    }
    const r = tuneThresholdAndArea(truths, probs, n, h, w);
    expect(r.points).toHaveLength(DEFAULT_TUNE_THRESHOLDS.length * DEFAULT_TUNE_AREAS.length);
    for (const p of r.points) {
      const direct = scorePostprocess(truths, probs, n, h, w, p);
      expect(p.score, `${p.threshold} ${p.minArea}`).toBe(direct.score);
      expect(p.emptyScore).toBe(direct.emptyScore);
      expect(p.saltScore).toBe(direct.nonEmptyScore);
      expect(p.meanIoU).toBeCloseTo(direct.meanIoU, 12);
      expect(p.pixelIoU).toBeCloseTo(direct.pixelIoU, 12);
    }
    const top = Math.max(...r.points.map((p) => p.score));
    expect(r.best.score).toBe(top);
    expect(r.best.minArea).toBe(Math.min(...r.points.filter((p) => p.score === top).map((p) => p.minArea)));
  });

  it('defaults to thresholds 0.20..0.80 by 0.02 and areas 0..300', () => {
    expect(DEFAULT_TUNE_THRESHOLDS[0]).toBe(0.2);
    expect(DEFAULT_TUNE_THRESHOLDS[15]).toBe(0.5);
    expect(DEFAULT_TUNE_THRESHOLDS.at(-1)).toBe(0.8);
    expect(DEFAULT_TUNE_AREAS).toEqual([0, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300]);
  });

  it('refuses an empty grid or a bad area by name', () => {
    const t = u8(0, 0, 0, 0);
    expect(() => tuneThresholdAndArea(t, t, 1, 2, 2, { thresholds: [] })).toThrow(/no thresholds given/);
    expect(() => tuneThresholdAndArea(t, t, 1, 2, 2, { areas: [] })).toThrow(/no minimum areas given/);
    expect(() => tuneThresholdAndArea(t, t, 1, 2, 2, { areas: [3.5] })).toThrow(/minimum area must be a non-negative whole number of pixels, got 3.5/);
    expect(() => tuneThresholdAndArea(t, t, 2, 2, 2)).toThrow(/truths has length 4, expected 8/);
  });
});

describe('bestTunePoint: the one chooser', () => {
  it('takes the highest score, then the smaller area, the smaller cut, the threshold nearest 0.5, the lower threshold', () => {
    const p = (threshold: number, score: number, minArea?: number, saltCut?: number) => ({ threshold, score, ...(minArea === undefined ? {} : { minArea }), ...(saltCut === undefined ? {} : { saltCut }) });
    // The highest score wins whatever its rule.
    expect(bestTunePoint([p(0.5, 0.7), p(0.2, 0.8, 300, 0.9), p(0.45, 0.75)])).toEqual(p(0.2, 0.8, 300, 0.9));
    // Equal scores: the smaller area, even with a threshold further from 0.5; a point without an area is area 0.
    expect(bestTunePoint([p(0.5, 0.8, 10), p(0.3, 0.8, 5)])).toEqual(p(0.3, 0.8, 5));
    expect(bestTunePoint([p(0.5, 0.8, 5), p(0.3, 0.8)])).toEqual(p(0.3, 0.8));
    // Then the smaller cut (no cut: 0, a vote that never fires).
    expect(bestTunePoint([p(0.5, 0.8, 5, 0.3), p(0.3, 0.8, 5, 0.1)])).toEqual(p(0.3, 0.8, 5, 0.1));
    // Then the threshold nearest 0.5, then the lower of two as near, in any order of the points.
    expect(bestTunePoint([p(0.3, 0.8), p(0.55, 0.8), p(0.6, 0.8)])).toEqual(p(0.55, 0.8));
    expect(bestTunePoint([p(0.625, 0.8), p(0.375, 0.8)])).toEqual(p(0.375, 0.8));
    expect(bestTunePoint([p(0.375, 0.8), p(0.625, 0.8)])).toEqual(p(0.375, 0.8));
  });

  it('is what the tuner and the sweep choose with; refuses an empty list', () => {
    const truths = u8(1, 1, 0, 0);
    const probs = u8(255, 255, 0, 0);
    const r = tuneThresholdAndArea(truths, probs, 1, 2, 2, { thresholds: [0.25, 0.75, 0.625, 0.375], areas: [0, 1] });
    expect(r.best).toBe(bestTunePoint(r.points));
    expect(() => bestTunePoint([])).toThrow(/bestTunePoint: no points to choose from/);
  });
});

describe('thresholdSweep: the tuner at minimum area 0', () => {
  it('gives the tuner\'s points and best at area 0, on random sets in both encodings', () => {
    const rnd = lcg(99);
    const n = 20;
    const px = 6 * 5;
    const truths = new Uint8Array(n * px);
    const floats = new Float32Array(n * px);
    for (let k = 0; k < n; k++) {
      const salty = k % 3 !== 0;
      for (let i = k * px; i < (k + 1) * px; i++) {
        truths[i] = salty && rnd() < 0.5 ? 1 : 0;
        floats[i] = Math.min(1, 0.5 * (truths[i] ?? 0) + 0.6 * rnd());
      }
    }
    const bytes = Uint8Array.from(floats, (q) => Math.round(q * 255));
    for (const probs of [floats, bytes]) {
      const sweep = thresholdSweep({ truths, probs, n, h: 6, w: 5 });
      const tuned = tuneThresholdAndArea(truths, probs, n, 6, 5, { thresholds: DEFAULT_SWEEP_THRESHOLDS, areas: [0] });
      expect(sweep.points).toEqual(tuned.points.map((q) => ({ threshold: q.threshold, score: q.score, meanIoU: q.meanIoU, pixelIoU: q.pixelIoU })));
      expect(sweep.best.threshold).toBe(tuned.best.threshold);
      expect(sweep.best.score).toBe(tuned.best.score);
    }
  });

  it('names itself when refusing a bad set', () => {
    expect(() => thresholdSweep({ truths: u8(0, 0), probs: u8(0, 0, 0, 0), n: 1, h: 2, w: 2 })).toThrow(/thresholdSweep: truths has length 2, expected 4/);
  });
});

describe('scoreMasks: masks already made', () => {
  it('counts every non-zero byte as salt, as scoreSet does with certain probabilities', () => {
    // Image 0: empty truth, one mask pixel (written as 1, not 255). Image 1: truth 2 pixels, mask 1 of them.
    const truths = u8(0, 0, 0, 0, 1, 1, 0, 0);
    const masks = u8(1, 0, 0, 0, 1, 0, 0, 0);
    const s = scoreMasks(truths, masks, 2, 2, 2);
    // Image 0 scores 0 (a false pixel); image 1 has IoU 1/2, which is above no threshold: 0.
    expect([s.score, s.meanIoU, s.pixelIoU]).toEqual([0, (0 + 0.5) / 2, 1 / 3]);
    expect(s.perImage.map((q) => q.predEmpty)).toEqual([false, false]);
    const sure = Uint8Array.from(masks, (m) => (m ? 255 : 0));
    expect(s).toEqual(scoreSet({ truths, probs: sure, n: 2, h: 2, w: 2, threshold: 0.5 }));
    // Read as probabilities at 0.5, a mask written as 1 would be 1/255: nothing predicted.
    expect(scoreSet({ truths, probs: masks, n: 2, h: 2, w: 2, threshold: 0.5 }).perImage.every((q) => q.predEmpty)).toBe(true);
  });
});

describe('resolvePostprocess: what every prediction path applies', () => {
  const stored: RunPostprocess = {
    threshold: 0.42,
    minArea: 20,
    tta: true,
    snapshots: 3,
    members: 'snapshots',
    checkpointEpochs: [7, 8, 9],
    tuned: { threshold: true, minArea: true },
    valImages: 720,
    valScore: 0.8,
    valEmptyScore: 0.9,
    valSaltScore: 0.7,
    candidates: [{ members: 'snapshots', checkpointEpochs: [7, 8, 9], threshold: 0.42, minArea: 20, valScore: 0.8 }],
    at: 1,
  };
  const run = { id: 'r', postprocess: stored };
  const old = { id: 'r', postprocess: null };

  it("applies the run's stored choice, with --threshold overriding only the threshold", () => {
    expect(resolvePostprocess(run, 0.6, { mode: 'run' })).toMatchObject({
      threshold: 0.42,
      minArea: 20,
      tta: true,
      snapshots: 3,
      source: 'stored',
      checkpoints: [
        { kind: 'snapshot', epoch: 7 },
        { kind: 'snapshot', epoch: 8 },
        { kind: 'snapshot', epoch: 9 },
      ],
    });
    expect(resolvePostprocess(run, 0.6, { mode: 'run', threshold: 0.3 })).toMatchObject({ threshold: 0.3, minArea: 20, tta: true, snapshots: 3 });
    expect(resolvePostprocess({ id: 'r', postprocess: { ...stored, members: 'best', snapshots: 1, checkpointEpochs: [4] } }, null, { mode: 'run' }).checkpoints).toEqual([{ kind: 'best' }]);
  });

  it('gives the best checkpoint raw at 0.5 (or the given threshold) with none', () => {
    for (const r of [run, old]) {
      expect(resolvePostprocess(r, 0.6, { mode: 'none' })).toMatchObject({ threshold: 0.5, minArea: 0, tta: false, snapshots: 1, checkpoints: [{ kind: 'best' }], source: 'none' });
      expect(resolvePostprocess(r, 0.6, { mode: 'none', threshold: 0.3 }).threshold).toBe(0.3);
    }
  });

  it('predicts a run without a stored choice as before (its best epoch threshold, no TTA, area 0) and says so', () => {
    const a = resolvePostprocess(old, 0.6, { mode: 'run' });
    expect(a).toMatchObject({ threshold: 0.6, minArea: 0, tta: false, snapshots: 1, checkpoints: [{ kind: 'best' }], source: 'legacy' });
    expect(a.note).toMatch(/^run r has no stored post-processing .*strata runs finalize r/);
    expect(resolvePostprocess(old, null, { mode: 'run' }).threshold).toBe(0.5);
    expect(() => resolvePostprocess(old, null, { mode: 'run', threshold: 2 })).toThrow(/threshold must be in \[0, 1\], got 2/);
  });
});

describe('describePostprocess: the one wording of a rule', () => {
  it('says the checkpoints, TTA, threshold, area and vote, with tuned/fixed marks when told', () => {
    const rule = { members: 'snapshots' as const, checkpointEpochs: [7, 8, 9], snapshots: 3, tta: true, threshold: 0.46, minArea: 20 };
    expect(describePostprocess({ ...rule, tuned: { threshold: true, minArea: false } })).toBe(
      'mean prediction of 3 snapshots (epochs 8, 9, 10), flip TTA, threshold 0.46 (tuned), minimum area 20 px (fixed)',
    );
    expect(describePostprocess({ ...rule, saltCut: 0.3, tuned: { threshold: true, minArea: true, saltCut: false } })).toBe(
      'mean prediction of 3 snapshots (epochs 8, 9, 10), flip TTA, threshold 0.46 (tuned), minimum area 20 px (tuned), salt-head vote: empty below 0.3 (fixed)',
    );
    // Without `tuned` no marks; a cut whose tuning was not recorded has none either.
    expect(describePostprocess({ members: 'best', checkpointEpochs: [4], tta: false, threshold: 0.5, minArea: 0, saltCut: 0.2, tuned: { threshold: true, minArea: true } })).toBe(
      'best checkpoint (epoch 5), no TTA, threshold 0.5 (tuned), minimum area 0 px (tuned), salt-head vote: empty below 0.2',
    );
    expect(describePostprocess({ members: 'best', tta: false, threshold: 0.5, minArea: 0 })).toBe('best checkpoint, no TTA, threshold 0.5, minimum area 0 px');
    expect(describeCheckpoints({ members: 'snapshots', snapshots: 2 })).toBe('mean prediction of 2 snapshots');
  });

  it('is the wording of the notes of what a prediction applies', () => {
    const stored: RunPostprocess = {
      threshold: 0.42,
      minArea: 20,
      saltCut: 0.3,
      tta: true,
      snapshots: 3,
      members: 'snapshots',
      checkpointEpochs: [7, 8, 9],
      tuned: { threshold: true, minArea: true, saltCut: true },
      valImages: 720,
      valScore: 0.8,
      valEmptyScore: 0.9,
      valSaltScore: 0.7,
      candidates: [{ members: 'snapshots', checkpointEpochs: [7, 8, 9], threshold: 0.42, minArea: 20, saltCut: 0.3, valScore: 0.8 }],
      at: 1,
    };
    const run = { id: 'r', postprocess: stored };
    expect(resolvePostprocess(run, null, { mode: 'run' }).note).toBe(
      "the run's post-processing: mean prediction of 3 snapshots (epochs 8, 9, 10), flip TTA, threshold 0.42, minimum area 20 px, salt-head vote: empty below 0.3",
    );
    expect(resolvePostprocess(run, null, { mode: 'run', threshold: 0.3 }).note).toBe(
      "the run's post-processing: mean prediction of 3 snapshots (epochs 8, 9, 10), flip TTA, threshold 0.3, minimum area 20 px, salt-head vote: empty below 0.3 (threshold given)",
    );
    const best = { id: 'r', postprocess: { ...stored, members: 'best' as const, snapshots: 1, checkpointEpochs: [4] } };
    expect(resolvePostprocess(best, null, { mode: 'run' }).note).toBe(
      "the run's post-processing: best checkpoint (epoch 5), flip TTA, threshold 0.42, minimum area 20 px, salt-head vote: empty below 0.3",
    );
    expect(resolvePostprocess(run, null, { mode: 'none' }).note).toBe('no post-processing: best checkpoint, no TTA, threshold 0.5, minimum area 0 px');
    expect(resolvePostprocess({ id: 'r', postprocess: null }, 0.6, { mode: 'run' }).note).toMatch(/: best checkpoint, no TTA, threshold 0.6, minimum area 0 px$/);
  });
});
