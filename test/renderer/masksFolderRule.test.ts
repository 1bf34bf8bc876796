/**
 * The Masks view on a folder prediction (issue 21 review): it draws and scores the masks the export
 * writes, so with the prediction's own recorded rule (not the run's current one, which it flags
 * when they differ) and with its salt-head vote, from the salt probabilities that come with the
 * pages; "plain" says what the probabilities are; the score curve picks its best with the one
 * chooser of shared/metrics.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FolderPrediction } from '../../shared/api/types';
import { bestTunePoint, scorePostprocess, thresholdSweep } from '../../shared/metrics';
import type { PredictionPostprocess } from '../../shared/runs/postprocess';
import { MASK_PAGE_SIZE, useMasksStore } from '../../src-renderer/stores/masksStore';
import { composeMaskImage, DEFAULT_DRAW, MASK_COLOURS } from '../../src-renderer/workflows/masksOverlay';
import { buildHistograms, scoresAt, summarize, sweepAt } from '../../src-renderer/workflows/masksScores';
import { INITIAL_MASKS_VIEW, predictionChanges, predictionRule, predictionVote, RAW_RULE, shownRule, shownRuleNote } from '../../src-renderer/workflows/masksView';
import { fakeLab } from './fakeLab';
import { runPostprocess, summary } from './fixtures';

// Three 2x2 images (as in masksPostprocess.test.ts).
// A: salt in the top row; probabilities 255, 200 there and 100, 0 below.
// B: no salt; one pixel at 140 (0.549): a false pixel at 0.5.
// C: salt in the bottom row; nothing predicted anywhere.
const truth = new Uint8Array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
const probs = new Uint8Array([255, 200, 100, 0, 0, 0, 0, 140, 0, 0, 0, 0]);
const hist = buildHistograms(probs, truth, 3, 4);
// The head's probabilities that each image holds salt (float32, as the model gives them).
const salt = Float32Array.from([0.9, 0.2, 0.6]);

describe('scores with the salt head\'s vote', () => {
  it('empties an image the head doubts: B\'s false pixel goes at a cut of 0.5, A\'s salt too at 0.95', () => {
    expect(Array.from(scoresAt(hist, 0.5, 0).score)).toEqual([1, 0, 0]);
    const voted = scoresAt(hist, 0.5, 0, { saltCut: 0.5, saltProbs: salt });
    expect(Array.from(voted.score)).toEqual([1, 1, 0]);
    expect(Array.from(voted.predicted)).toEqual([2, 0, 0]);
    // A cut above A's 0.9 loses A's salt.
    expect(Array.from(scoresAt(hist, 0.5, 0, { saltCut: 0.95, saltProbs: salt }).score)).toEqual([0, 1, 0]);
    // A probability equal to the cut (as float32) keeps its image, as applyPostprocess does.
    expect(Array.from(scoresAt(hist, 0.5, 0, { saltCut: 0.2, saltProbs: salt }).score)).toEqual([1, 0, 0]);
  });

  it('refuses a vote without one probability per image in [0, 1], or a cut outside it', () => {
    expect(() => scoresAt(hist, 0.5, 0, { saltCut: 0.5, saltProbs: [0.1, 0.2] })).toThrow('2 salt probabilities for 3 images');
    expect(() => scoresAt(hist, 0.5, 0, { saltCut: 0.5, saltProbs: [0.1, Number.NaN, 0.3] })).toThrow('salt probability 1 must be in [0, 1], got NaN');
    expect(() => scoresAt(hist, 0.5, 0, { saltCut: 1.5, saltProbs: salt })).toThrow('salt cut must be in [0, 1], got 1.5');
  });

  it('gives exactly what scorePostprocess gives with the vote, on random sets at several thresholds, areas and cuts', () => {
    let seed = 5;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const n = 30;
    const px = 25;
    const t = Uint8Array.from({ length: n * px }, (_, i) => (Math.floor(i / px) % 3 === 0 ? 0 : rnd() < 0.4 ? 1 : 0));
    const p = Uint8Array.from({ length: n * px }, () => (rnd() < 0.3 ? Math.floor(rnd() * 256) : 0));
    // Some probabilities exactly at a cut, as float32.
    const sp = Float32Array.from({ length: n }, (_, k) => (k % 5 === 0 ? 0.3 : rnd()));
    const h = buildHistograms(p, t, n, px);
    for (const threshold of [0.3, 0.5, 0.7]) {
      for (const minArea of [0, 2, 5]) {
        for (const saltCut of [0, 0.3, 0.6]) {
          const ours = summarize(scoresAt(h, threshold, minArea, { saltCut, saltProbs: sp }));
          const ref = scorePostprocess(t, p, n, 5, 5, { threshold, minArea, saltCut }, sp);
          expect([ours.score, ours.emptyScore, ours.nonEmptyScore]).toEqual([ref.score, ref.emptyScore, ref.nonEmptyScore]);
        }
      }
    }
  });
});

describe('the score curve', () => {
  it('draws the curve with the vote, and its best is the shared chooser\'s: a tie at 0.5 and 0.6 goes to 0.5', () => {
    const thresholds = [0.5, 0.6, 0.8];
    // Without the vote, B's false pixel costs 0.5 its point: the best is 0.6.
    expect(sweepAt(hist, thresholds, 0).best).toEqual({ threshold: 0.6, score: 2 / 3 });
    // With it, 0.5 and 0.6 both score 2/3 (at 0.8 A keeps one pixel of two, IoU 0.5, no hit).
    const voted = sweepAt(hist, thresholds, 0, { saltCut: 0.5, saltProbs: salt });
    expect(voted.points).toEqual([
      { threshold: 0.5, score: 2 / 3 },
      { threshold: 0.6, score: 2 / 3 },
      { threshold: 0.8, score: 1 / 3 },
    ]);
    expect(voted.best).toEqual({ threshold: 0.5, score: 2 / 3 });
  });

  it('agrees with thresholdSweep at area 0 and with bestTunePoint, ties included, on random sets', () => {
    let seed = 9;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let trial = 0; trial < 6; trial++) {
      const n = 12;
      const px = 9;
      const t = Uint8Array.from({ length: n * px }, () => (rnd() < 0.3 ? 1 : 0));
      // Few distinct levels, so many thresholds tie (0.45 and 0.55 among them).
      const p = Uint8Array.from({ length: n * px }, () => [0, 60, 128, 250][Math.floor(rnd() * 4)] as number);
      const h = buildHistograms(p, t, n, px);
      const thresholds = [0.3, 0.45, 0.55, 0.7];
      const ours = sweepAt(h, thresholds, 0);
      const ref = thresholdSweep({ truths: t, probs: p, n, h: 3, w: 3 }, thresholds);
      expect(ours.points.map((q) => q.score)).toEqual(ref.points.map((q) => q.score));
      expect(ours.best).toEqual({ threshold: ref.best.threshold, score: ref.best.score });
      expect(ours.best).toEqual(bestTunePoint(ours.points));
      const at3 = sweepAt(h, thresholds, 3);
      expect(at3.best).toEqual(bestTunePoint(at3.points));
    }
  });
});

describe('the overlay with the vote', () => {
  it('draws an image the head votes empty with nothing predicted, and refuses a cut without the image\'s probability', () => {
    const image = new Uint8Array(5).fill(100);
    const t = new Uint8Array([1, 0, 1, 0, 0]);
    const p = new Uint8Array([255, 200, 0, 0, 150]);
    const o = { ...DEFAULT_DRAW, opacity: 1, saltCut: 0.5 };
    const rgb = (out: Uint8ClampedArray, i: number) => Array.from(out.slice(i * 4, i * 4 + 3));
    const kept = composeMaskImage(image, p, t, 1, 5, o, 0.8);
    expect([0, 1, 2].map((i) => rgb(kept, i))).toEqual([[...MASK_COLOURS.tp], [...MASK_COLOURS.fp], [...MASK_COLOURS.fn]]);
    const voted = composeMaskImage(image, p, t, 1, 5, o, 0.4);
    expect([0, 1, 2].map((i) => rgb(voted, i))).toEqual([[...MASK_COLOURS.fn], [100, 100, 100], [...MASK_COLOURS.fn]]);
    expect(() => composeMaskImage(image, p, t, 1, 5, o)).toThrow('applyPostprocess: the rule votes with salt cut 0.5, but no per-image salt probabilities were given');
  });
});

/** What the folder was predicted with, earlier: threshold 0.5, no area, a vote below 0.5. */
const made: PredictionPostprocess = { threshold: 0.5, minArea: 0, saltCut: 0.5, tta: true, snapshots: 3, checkpointEpochs: [2, 3, 4], source: 'stored' };

describe('a folder prediction\'s own rule', () => {
  it('is the rule it was made with; one stored before that was recorded: its tuned threshold and no area', () => {
    expect(predictionRule({ postprocess: made, threshold: 0.44 })).toEqual({ threshold: 0.5, minArea: 0, kind: 'prediction' });
    expect(predictionRule({ postprocess: null, threshold: 0.44 })).toEqual({ threshold: 0.44, minArea: 0, kind: 'prediction' });
    expect(predictionRule({ postprocess: null, threshold: null })).toEqual({ threshold: 0.5, minArea: 0, kind: 'prediction' });
    // The vote needs the salt probabilities.
    expect(predictionVote({ postprocess: made }, true)).toBe(0.5);
    expect(predictionVote({ postprocess: made }, false)).toBeUndefined();
    expect(predictionVote({ postprocess: { ...made, saltCut: undefined } }, true)).toBeUndefined();
  });

  it('is flagged when the run\'s rule has changed since, naming each change', () => {
    expect(predictionChanges(made, runPostprocess({ threshold: 0.5, minArea: 0, saltCut: 0.5 }))).toEqual([]);
    expect(predictionChanges(made, runPostprocess())).toEqual(['threshold 0.5 → 0.6', 'minimum area 0 → 2 px', 'salt-head vote below 0.5 → none']);
    expect(predictionChanges(made, runPostprocess({ threshold: 0.5, minArea: 0, saltCut: 0.5, tta: false, members: 'best', snapshots: 1, checkpointEpochs: [4] }))).toEqual([
      'flip TTA on → off',
      'checkpoints of epochs 3, 4, 5 → 5',
    ]);
    expect(predictionChanges({ ...made, source: 'legacy' }, runPostprocess({ threshold: 0.5, minArea: 0, saltCut: 0.5 }))).toEqual(["predicted before the run's post-processing was chosen"]);
    expect(predictionChanges(null, runPostprocess())).toEqual(['predicted before post-processing was recorded']);
    // Nothing to compare with.
    expect(predictionChanges(made, null)).toEqual([]);
  });

  it('is said as the prediction\'s and its export\'s, with the vote, what the probabilities are and what changed', () => {
    const folder = { kind: 'folder' as const, made, changes: predictionChanges(made, runPostprocess()), saltProbs: true };
    const run = { ...runPostprocess() };
    const own = shownRule(INITIAL_MASKS_VIEW, predictionRule({ postprocess: made, threshold: null }), 0.5);
    expect(own).toEqual({ threshold: 0.5, minArea: 0, saltCut: 0.5, kind: 'prediction' });
    expect(shownRuleNote(own, run, folder)).toBe(
      "This prediction's post-processing, as it was made and as its export writes it: threshold 0.50, no minimum area, on this prediction's probabilities (mean prediction of 3 snapshots (epochs 3, 4, 5), flip TTA). " +
        "The salt-head vote (an image whose salt probability is below 0.5 is emptied) applies, as in this prediction's export. " +
        "The run's post-processing has changed since this prediction was made (threshold 0.5 → 0.6; minimum area 0 → 2 px; salt-head vote below 0.5 → none): predict the folder again to apply it.",
    );
    // Plain: threshold 0.5 and no area on the averaged probabilities, which is not --postprocess none; the vote stays, as in the export.
    const plain = shownRule({ ...INITIAL_MASKS_VIEW, rule: 'custom' }, null, 0.5);
    expect(plain).toEqual({ ...RAW_RULE, saltCut: 0.5, kind: 'raw' });
    expect(shownRuleNote(plain, run, { ...folder, changes: [] })).toBe(
      "Plain masks: threshold 0.50, no minimum area, on this prediction's probabilities (mean prediction of 3 snapshots (epochs 3, 4, 5), flip TTA), so not `--postprocess none` (the best checkpoint alone, without TTA). " +
        "The salt-head vote (an image whose salt probability is below 0.5 is emptied) applies, as in this prediction's export. The prediction's own: threshold 0.50, no minimum area.",
    );
    // Salt probabilities that did not come: the vote is not drawn, and the note says so.
    const noProbs = shownRule(INITIAL_MASKS_VIEW, predictionRule({ postprocess: made, threshold: null }));
    expect(shownRuleNote(noProbs, run, { ...folder, changes: [], saltProbs: false })).toBe(
      "This prediction's post-processing, as it was made and as its export writes it: threshold 0.50, no minimum area, on this prediction's probabilities (mean prediction of 3 snapshots (epochs 3, 4, 5), flip TTA). " +
        "Its salt-head vote (below 0.5) is not drawn: no salt probabilities came with these predictions, so these masks may differ from an export's, which applies the vote where the lab kept them.",
    );
    // A prediction from before the rule was recorded.
    const old = shownRule(INITIAL_MASKS_VIEW, predictionRule({ postprocess: null, threshold: 0.44 }));
    expect(shownRuleNote(old, run, { kind: 'folder', made: null, changes: predictionChanges(null, runPostprocess()), saltProbs: false })).toBe(
      "This prediction's post-processing, as it was made and as its export writes it: threshold 0.44, no minimum area, on this prediction's probabilities (stored before the lab recorded what they average). " +
        "The run's post-processing has changed since this prediction was made (predicted before post-processing was recorded): predict the folder again to apply it.",
    );
  });
});

const RUN = '20250607-153012-123-aaaaaa';
const KEY = '0123456789abcdef';
const b64 = (a: Uint8Array) => btoa(String.fromCharCode(...a));

function folderInfo(over: Partial<FolderPrediction> = {}): FolderPrediction {
  return { runId: RUN, key: KEY, path: '/data/test/images', epoch: 4, count: 3, height: 2, width: 2, createdAt: 7, threshold: 0.5, postprocess: made, ...over };
}

describe('masks store on a folder prediction', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('draws, scores and exports with the prediction\'s own rule and vote, not the run\'s current rule, and flags the difference', async () => {
    const exports: unknown[] = [];
    fakeLab({
      listRuns: () => ({ runs: [summary({ id: RUN, epochsDone: 5, postprocess: runPostprocess() })], total: 1 }),
      getPredictionEpochs: () => [4],
      listFolderPredictions: () => [folderInfo()],
      getPredictions: () => ({ runId: RUN, epoch: 4, total: 3, offset: 0, ids: ['a', 'b', 'c'], height: 2, width: 2, probs: b64(probs), truth: b64(truth), truthNote: null, images: null, depths: null, saltProbs: null }),
      // A folder with masks, so the scores can be checked.
      getFolderPredictions: () => ({ runId: RUN, epoch: 4, total: 3, offset: 0, ids: ['a', 'b', 'c'], height: 2, width: 2, probs: b64(probs), truth: b64(truth), truthNote: null, images: null, depths: null, saltProbs: Array.from(salt) }),
      exportSubmission: (i) => (exports.push(i), { path: '/tmp/s.csv', rows: 3, withSalt: 1, threshold: 0.5, minArea: 0, saltCut: 0.5 }),
    });
    const m = useMasksStore();
    await m.refreshRuns();
    await m.selectRun(RUN);
    // The epoch's validation predictions: the run's rule, no vote (they keep no salt probabilities).
    expect(m.rule).toEqual({ threshold: 0.6, minArea: 2, kind: 'run' });
    expect(m.draw.saltCut).toBeUndefined();
    expect(m.stale).toBe(false);

    await m.choose({ kind: 'folder', key: KEY });
    expect(m.loaded?.saltProbs).toEqual(salt);
    expect(m.rule).toEqual({ threshold: 0.5, minArea: 0, saltCut: 0.5, kind: 'prediction' });
    expect(m.draw).toMatchObject({ threshold: 0.5, minArea: 0, saltCut: 0.5 });
    // B's false pixel is voted away, as the export writes it.
    expect(Array.from(m.scores?.score ?? [])).toEqual([1, 1, 0]);
    expect(m.curve?.best).toEqual({ threshold: 0.5, score: 2 / 3 });
    expect(m.stale).toBe(true);
    expect(m.shownPredictions).toMatchObject({ kind: 'folder', changes: ['threshold 0.5 → 0.6', 'minimum area 0 → 2 px', 'salt-head vote below 0.5 → none'] });
    await m.exportSubmission('/tmp/s.csv');
    expect(exports).toEqual([{ id: RUN, source: { kind: 'folder', key: KEY }, threshold: 0.5, minArea: 0, path: '/tmp/s.csv' }]);

    // Moving the threshold edits a copy of the prediction's rule; the vote stays (the export applies it).
    m.dispatch({ type: 'threshold', value: 0.3 });
    expect(m.rule).toEqual({ threshold: 0.3, minArea: 0, saltCut: 0.5, kind: 'custom' });
    m.dispatch({ type: 'runRule' });
    expect(m.rule.kind).toBe('prediction');
    m.unfollow();
  });

  it('keeps each page\'s salt probabilities in the set\'s order, and has none when a page lacks them', async () => {
    const n = MASK_PAGE_SIZE + 50;
    const all = Float32Array.from({ length: n }, (_, k) => (k % 10) / 10);
    let lacking = -1;
    fakeLab({
      listRuns: () => ({ runs: [summary({ id: RUN, epochsDone: 1 })], total: 1 }),
      getPredictionEpochs: () => [],
      listFolderPredictions: () => [folderInfo({ count: n, height: 1, width: 1 })],
      getFolderPredictions: (i) => {
        const { offset, limit } = i as { offset: number; limit: number };
        const ids = Array.from({ length: Math.min(limit, n - offset) }, (_, k) => `s${offset + k}`);
        return {
          runId: RUN, epoch: 4, total: n, offset, ids, height: 1, width: 1, probs: b64(new Uint8Array(ids.length)), truth: null, truthNote: null, images: null, depths: null,
          saltProbs: offset === lacking ? null : Array.from(all.subarray(offset, offset + ids.length)),
        };
      },
    });
    const m = useMasksStore();
    await m.refreshRuns();
    await m.selectRun(RUN);
    await m.choose({ kind: 'folder', key: KEY });
    expect(m.loaded?.saltProbs).toEqual(all);
    expect(m.rule.saltCut).toBe(0.5);
    lacking = MASK_PAGE_SIZE;
    await m.choose({ kind: 'folder', key: KEY });
    expect(m.loaded?.saltProbs).toBeNull();
    expect(m.rule.saltCut).toBeUndefined();
    m.unfollow();
  });
});
