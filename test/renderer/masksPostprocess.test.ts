/**
 * The Masks view with a run's post-processing (issue 21): the minimum area in the per-image scores,
 * the score curve and the overlay (the rule of applyPostprocess), which rule is shown and said, and
 * the store drawing a run's stored rule by default with the raw mask a choice away.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { scorePostprocess, thresholdSweep } from '../../shared/metrics';
import { useMasksStore } from '../../src-renderer/stores/masksStore';
import { composeMaskImage, DEFAULT_DRAW, MASK_COLOURS } from '../../src-renderer/workflows/masksOverlay';
import { buildHistograms, scoresAt, summarize, sweepAt } from '../../src-renderer/workflows/masksScores';
import { INITIAL_MASKS_VIEW, masksViewReducer, RAW_RULE, shownRule, shownRuleNote } from '../../src-renderer/workflows/masksView';
import { fakeLab } from './fakeLab';
import { runPostprocess, summary } from './fixtures';

// Three 2x2 images, one after another (as in test/masks/scores.test.ts).
// A: salt in the top row; probabilities 255, 200 there and 100, 0 below.
// B: no salt; one pixel at 140 (0.549).
// C: salt in the bottom row; nothing predicted anywhere.
const truth = new Uint8Array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
const probs = new Uint8Array([255, 200, 100, 0, 0, 0, 0, 140, 0, 0, 0, 0]);
const hist = buildHistograms(probs, truth, 3, 4);

describe('scores with a minimum area', () => {
  it('clears an image with fewer predicted pixels than the area: B\'s lone false pixel goes, A\'s two stay', () => {
    const s = scoresAt(hist, 0.5, 2);
    // A: 2 pixels, not under 2: IoU 1. B: 1 pixel < 2, cleared: empty and empty, IoU 1. C: missed.
    expect(Array.from(s.predicted)).toEqual([2, 0, 0]);
    expect(Array.from(s.iou)).toEqual([1, 1, 0]);
    expect(Array.from(s.score)).toEqual([1, 1, 0]);
    // An area of 3 clears A too: salt missed.
    expect(Array.from(scoresAt(hist, 0.5, 3).score)).toEqual([0, 1, 0]);
    expect(Array.from(scoresAt(hist, 0.5, 0).score)).toEqual([1, 0, 0]);
  });

  it('gives exactly what scorePostprocess gives, on random data at several thresholds and areas', () => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const n = 24;
    const px = 36;
    const t = Uint8Array.from({ length: n * px }, (_, i) => (Math.floor(i / px) % 3 === 0 ? 0 : rnd() < 0.4 ? 1 : 0));
    // Sparse predictions, so small areas matter.
    const p = Uint8Array.from({ length: n * px }, () => (rnd() < 0.3 ? Math.floor(rnd() * 256) : 0));
    const h = buildHistograms(p, t, n, px);
    for (const threshold of [0.2, 0.5, 0.7]) {
      for (const minArea of [0, 1, 3, 6, 12]) {
        const ours = summarize(scoresAt(h, threshold, minArea));
        const ref = scorePostprocess(t, p, n, 6, 6, { threshold, minArea });
        expect([ours.score, ours.emptyScore, ours.nonEmptyScore]).toEqual([ref.score, ref.emptyScore, ref.nonEmptyScore]);
      }
    }
  });

  it('draws the score curve at the area, and at area 0 it is thresholdSweep\'s', () => {
    const thresholds = [0.5, 0.6, 0.8];
    const sweep = thresholdSweep({ truths: truth, probs, n: 3, h: 2, w: 2 }, thresholds);
    const at0 = sweepAt(hist, thresholds, 0);
    expect(at0.points.map((q) => q.score)).toEqual(sweep.points.map((q) => q.score));
    expect(at0.best).toEqual({ threshold: sweep.best.threshold, score: sweep.best.score });
    // Area 2: at 0.5 B is cleared (2/3); at 0.6 and 0.8 B has nothing anyway, and at 0.8 A keeps 1 pixel, cleared: 1/3.
    const at2 = sweepAt(hist, thresholds, 2);
    expect(at2.points).toEqual([
      { threshold: 0.5, score: 2 / 3 },
      { threshold: 0.6, score: 2 / 3 },
      { threshold: 0.8, score: 1 / 3 },
    ]);
    // A tie between 0.5 and 0.6 goes to the one nearest 0.5.
    expect(at2.best.threshold).toBe(0.5);
  });
});

describe('the overlay with a minimum area', () => {
  it('draws an image under the area as predicted empty: its salt missed, its false pixels gone', () => {
    // One row of five, grey 100; truth salt at 0 and 2; three pixels above 0.5 (0, 1, 4).
    const image = new Uint8Array(5).fill(100);
    const t = new Uint8Array([1, 0, 1, 0, 0]);
    const p = new Uint8Array([255, 200, 0, 0, 150]);
    const o = { ...DEFAULT_DRAW, opacity: 1 };
    const rgb = (out: Uint8ClampedArray, i: number) => Array.from(out.slice(i * 4, i * 4 + 3));
    const kept = composeMaskImage(image, p, t, 1, 5, { ...o, minArea: 3 });
    expect([0, 1, 2, 4].map((i) => rgb(kept, i))).toEqual([[...MASK_COLOURS.tp], [...MASK_COLOURS.fp], [...MASK_COLOURS.fn], [...MASK_COLOURS.fp]]);
    const cleared = composeMaskImage(image, p, t, 1, 5, { ...o, minArea: 4 });
    expect([0, 1, 2, 4].map((i) => rgb(cleared, i))).toEqual([[...MASK_COLOURS.fn], [100, 100, 100], [...MASK_COLOURS.fn], [100, 100, 100]]);
  });
});

const stored = { threshold: 0.6, minArea: 2, tta: true, snapshots: 3, valScore: 0.7412, valImages: 720 };
const storedRule = { threshold: 0.6, minArea: 2, kind: 'run' as const };
const epoch4 = { kind: 'epoch' as const, epoch: 4 };

describe('which post-processing is shown', () => {
  it('shows the run\'s rule by default, the raw mask while it has none, and the user\'s after an edit', () => {
    const s0 = INITIAL_MASKS_VIEW;
    expect(shownRule(s0, storedRule)).toEqual({ threshold: 0.6, minArea: 2, kind: 'run' });
    expect(shownRule(s0, null)).toEqual({ ...RAW_RULE, kind: 'raw' });
    const edited = masksViewReducer(masksViewReducer(s0, { type: 'customRule', rule: stored }), { type: 'threshold', value: 0.45 });
    expect(shownRule(edited, storedRule)).toEqual({ threshold: 0.45, minArea: 2, kind: 'custom' });
    const raw = masksViewReducer(edited, { type: 'customRule', rule: RAW_RULE });
    expect(shownRule(raw, storedRule)).toEqual({ threshold: 0.5, minArea: 0, kind: 'raw' });
    expect(shownRule(masksViewReducer(raw, { type: 'runRule' }), storedRule).kind).toBe('run');
    expect(masksViewReducer(s0, { type: 'minArea', value: 7.6 }).draw.minArea).toBe(8);
    expect(masksViewReducer(s0, { type: 'minArea', value: -3 }).draw.minArea).toBe(0);
  });

  it('says which rule draws the masks, and that a single epoch\'s predictions lack the run\'s TTA and snapshots', () => {
    expect(shownRuleNote({ threshold: 0.6, minArea: 2, kind: 'run' }, stored, epoch4)).toBe(
      "The run's post-processing: threshold 0.60, minimum area 2 px, chosen on 720 validation images (validation score 0.7412, optimistic: those images chose it). " +
        "Drawn on epoch 5's stored predictions, of one checkpoint without TTA; the run's own masks also average 3 snapshots and average each image with its mirror (flip TTA).",
    );
    expect(shownRuleNote({ threshold: 0.6, minArea: 2, kind: 'run' }, { ...stored, tta: false, snapshots: 1 }, epoch4)).not.toContain('Drawn on');
    // Epoch predictions keep no salt probabilities: neither the view nor their export applies the vote, and the note says so.
    expect(shownRuleNote({ threshold: 0.6, minArea: 2, kind: 'run' }, { ...stored, tta: false, snapshots: 1, saltCut: 0.3 }, epoch4)).toBe(
      "The run's post-processing: threshold 0.60, minimum area 2 px, chosen on 720 validation images (validation score 0.7412, optimistic: those images chose it). " +
        'Its salt-head vote (an image whose salt probability is below 0.3 is emptied) is not applied, here or in an export of these predictions: epoch predictions keep no salt probabilities.',
    );
    // The plain rule says what the probabilities are: one checkpoint's, without TTA.
    expect(shownRuleNote({ ...RAW_RULE, kind: 'raw' }, stored, epoch4)).toBe(
      "Plain masks: threshold 0.50, no minimum area, on epoch 5's probabilities (that checkpoint alone, no TTA). The run's own: threshold 0.60, minimum area 2 px.",
    );
    expect(shownRuleNote({ ...RAW_RULE, kind: 'raw' }, null, epoch4)).toBe(
      "Plain masks: threshold 0.50, no minimum area, on epoch 5's probabilities (that checkpoint alone, no TTA). This run has no stored post-processing.",
    );
    expect(shownRuleNote({ threshold: 0.3, minArea: 10, kind: 'custom' }, null, { kind: 'epoch', epoch: 0 })).toBe(
      "Your own post-processing: threshold 0.30, minimum area 10 px, on epoch 1's probabilities (that checkpoint alone, no TTA). This run has no stored post-processing.",
    );
  });
});

const A = '20250607-153012-123-aaaaaa';
const B = '20250608-153012-123-bbbbbb';
const b64 = (a: Uint8Array) => btoa(String.fromCharCode(...a));

describe('masks store with a stored post-processing', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('scores and draws run A with its rule, edits a copy of it, offers the raw mask, and starts run B raw', async () => {
    const runs = [summary({ id: B, epochsDone: 1 }), summary({ id: A, epochsDone: 5, postprocess: runPostprocess() })];
    fakeLab({
      listRuns: () => ({ runs, total: runs.length }),
      getPredictionEpochs: () => [4],
      listFolderPredictions: () => [],
      getPredictions: (i) => {
        const { id } = i as { id: string };
        return { runId: id, epoch: 4, total: 3, offset: 0, ids: ['a', 'b', 'c'], height: 2, width: 2, probs: b64(probs), truth: b64(truth), truthNote: null, images: b64(new Uint8Array(12)), depths: null };
      },
    });
    const m = useMasksStore();
    await m.refreshRuns();
    await m.selectRun(A);
    expect(m.rule).toEqual({ threshold: 0.6, minArea: 2, kind: 'run' });
    expect(m.draw).toMatchObject({ threshold: 0.6, minArea: 2 });
    // At 0.6, area 2: A loses its 200 pixel? No: 200/255 = 0.78 > 0.6, so A keeps both (IoU 1); B and C score 1 and 0.
    expect(Array.from(m.scores?.score ?? [])).toEqual([1, 1, 0]);
    expect(m.curve?.points.find((q) => q.threshold === 0.8)?.score).toBe(1 / 3);

    // Moving the threshold keeps the run's area: a custom copy.
    m.dispatch({ type: 'threshold', value: 0.5 });
    expect(m.rule).toEqual({ threshold: 0.5, minArea: 2, kind: 'custom' });
    // The raw mask: B's false pixel is back.
    m.dispatch({ type: 'customRule', rule: RAW_RULE });
    expect(m.rule.kind).toBe('raw');
    expect(Array.from(m.scores?.score ?? [])).toEqual([1, 0, 0]);
    expect(m.curve).toBe(m.loaded?.sweep);
    m.dispatch({ type: 'runRule' });
    expect(m.rule.kind).toBe('run');

    // Another run, with no stored post-processing: the raw mask, said so.
    m.dispatch({ type: 'threshold', value: 0.3 });
    await m.selectRun(B);
    expect(m.rule).toEqual({ threshold: 0.5, minArea: 0, kind: 'raw' });
    m.unfollow();
  });
});
