/**
 * Per-image scores of a prediction set at any threshold, fast enough to follow a slider over
 * thousands of images. Each image is reduced once to two 256-bin histograms of its probability
 * bytes (truth pixels and the others); a threshold then costs 256 steps per image, not one per
 * pixel. The rules are the competition's (`imageHits` in shared/metrics) and the cut is `byteCut`,
 * so the results equal `scoreSet` exactly.
 */
import { bestTunePoint, byteCut, imageHits, type SaltProbs } from '../../shared/metrics';

/** Bins per histogram: one per probability byte. */
const BINS = 256;

/** Probability histograms of n images: image k's truth bins at [k*512, k*512+256), the rest after. */
export interface SetHistograms {
  n: number;
  /** Pixels per image. */
  pixels: number;
  bins: Uint32Array;
  /** Whether truth masks were given; without them every pixel counts as "not salt". */
  labelled: boolean;
}

/** Builds the histograms of `n` images of `pixels` each (`truth` null for unlabelled data). */
export function buildHistograms(probs: Uint8Array, truth: Uint8Array | null, n: number, pixels: number): SetHistograms {
  if (probs.length !== n * pixels) throw new RangeError(`probs hold ${probs.length} bytes, expected ${n} x ${pixels}`);
  if (truth && truth.length !== n * pixels) throw new RangeError(`truth holds ${truth.length} bytes, expected ${n} x ${pixels}`);
  const bins = new Uint32Array(n * 2 * BINS);
  for (let k = 0; k < n; k++) {
    const base = k * 2 * BINS;
    const start = k * pixels;
    for (let i = start; i < start + pixels; i++) {
      const b = probs[i] as number;
      const salt = truth !== null && truth[i] !== 0;
      const at = base + (salt ? 0 : BINS) + b;
      bins[at] = (bins[at] as number) + 1;
    }
  }
  return { n, pixels, bins, labelled: truth !== null };
}

/** Every image's result at one threshold. */
export interface ImageScores {
  threshold: number;
  /** IoU with the empty rules (1 when truth and prediction are both empty); NaN for unlabelled data. */
  iou: Float64Array;
  /** Competition score (hits / 10); NaN for unlabelled data. */
  score: Float64Array;
  /** Predicted salt pixels. */
  predicted: Uint32Array;
  /** Truth salt pixels (0 for unlabelled data). */
  truth: Uint32Array;
}

/** A salt head's vote: an image whose salt probability is below `saltCut` is predicted empty. */
export interface SaltVote {
  saltCut: number;
  /** One per image of the set, in its order. */
  saltProbs: SaltProbs;
}

function checkVote(vote: SaltVote, n: number): void {
  if (!(Number.isFinite(vote.saltCut) && vote.saltCut >= 0 && vote.saltCut <= 1)) throw new RangeError(`salt cut must be in [0, 1], got ${vote.saltCut}`);
  if (vote.saltProbs.length !== n) throw new RangeError(`${vote.saltProbs.length} salt probabilities for ${n} images`);
  for (let k = 0; k < n; k++) {
    const p = vote.saltProbs[k];
    if (p === undefined || !(p >= 0 && p <= 1)) throw new RangeError(`salt probability ${k} must be in [0, 1], got ${p}`);
  }
}

/**
 * Scores every image at `threshold` (a pixel is salt when its probability exceeds it), an image with
 * fewer than `minArea` predicted salt pixels counting as predicted empty, and with a `vote`, so is an
 * image whose salt probability is below the cut: applyPostprocess's rules, so the scores equal
 * scorePostprocess's.
 */
export function scoresAt(h: SetHistograms, threshold: number, minArea = 0, vote?: SaltVote): ImageScores {
  if (vote) checkVote(vote, h.n);
  // As applyPostprocess compares: the probability (a float32 from the head) against the cut as float32.
  const saltCut = vote ? Math.fround(vote.saltCut) : 0;
  const cut = byteCut(threshold);
  const iou = new Float64Array(h.n);
  const score = new Float64Array(h.n);
  const predicted = new Uint32Array(h.n);
  const truth = new Uint32Array(h.n);
  for (let k = 0; k < h.n; k++) {
    const base = k * 2 * BINS;
    let t = 0;
    let tp = 0;
    let fp = 0;
    for (let b = 0; b < BINS; b++) {
      const pos = h.bins[base + b] as number;
      const neg = h.bins[base + BINS + b] as number;
      t += pos;
      if (b >= cut) {
        tp += pos;
        fp += neg;
      }
    }
    if (tp + fp < minArea || (vote && (vote.saltProbs[k] ?? 0) < saltCut)) {
      tp = 0;
      fp = 0;
    }
    predicted[k] = tp + fp;
    truth[k] = t;
    if (!h.labelled) {
      iou[k] = Number.NaN;
      score[k] = Number.NaN;
      continue;
    }
    const union = t + fp;
    const v = union === 0 ? 1 : tp / union;
    iou[k] = v;
    score[k] = imageHits(v, t === 0, tp + fp === 0) / 10;
  }
  return { threshold, iou, score, predicted, truth };
}

/** Score against threshold: ascending points and the best one (a `Sweep` of shared/metrics is one). */
export interface ScoreCurve {
  points: { threshold: number; score: number }[];
  best: { threshold: number; score: number };
}

/**
 * Score against threshold at one minimum area (and salt vote), from the histograms (so it agrees
 * with the per-image scores the grid shows): a point per threshold, and the best one as the one
 * chooser of shared/metrics picks it (bestTunePoint; thresholdSweep and the tuner use it too).
 */
export function sweepAt(h: SetHistograms, thresholds: readonly number[], minArea: number, vote?: SaltVote): ScoreCurve {
  if (thresholds.length === 0) throw new RangeError('sweepAt needs at least one threshold');
  const points = [...thresholds].sort((a, b) => a - b).map((threshold) => ({ threshold, score: summarize(scoresAt(h, threshold, minArea, vote)).score }));
  const best = bestTunePoint(points);
  return { points, best: { threshold: best.threshold, score: best.score } };
}

/** A set's summary at one threshold, split by empty and non-empty truth as the competition's analysis is. */
export interface SetSummary {
  count: number;
  score: number;
  meanIoU: number;
  emptyCount: number;
  nonEmptyCount: number;
  /** Null when there is no image of that kind. */
  emptyScore: number | null;
  nonEmptyScore: number | null;
  /** Images with empty truth and some predicted salt. */
  falsePositiveImages: number;
  /** Images with salt and nothing predicted. */
  missedImages: number;
}

/** Summarises `s` (labelled data only; NaN scores for unlabelled data give NaN means). */
export function summarize(s: ImageScores): SetSummary {
  const n = s.score.length;
  let hits = 0;
  let iou = 0;
  let emptyHits = 0;
  let emptyCount = 0;
  let fpImages = 0;
  let missed = 0;
  for (let k = 0; k < n; k++) {
    // Hits are integers: summing them and dividing once keeps the result equal to scoreSet's.
    const hk = Math.round((s.score[k] as number) * 10);
    hits += hk;
    iou += s.iou[k] as number;
    const empty = s.truth[k] === 0;
    const none = s.predicted[k] === 0;
    if (empty) {
      emptyCount++;
      emptyHits += hk;
      if (!none) fpImages++;
    } else if (none) missed++;
  }
  const nonEmpty = n - emptyCount;
  return {
    count: n,
    score: n === 0 ? Number.NaN : hits / (10 * n),
    meanIoU: n === 0 ? Number.NaN : iou / n,
    emptyCount,
    nonEmptyCount: nonEmpty,
    emptyScore: emptyCount === 0 ? null : emptyHits / (10 * emptyCount),
    nonEmptyScore: nonEmpty === 0 ? null : (hits - emptyHits) / (10 * nonEmpty),
    falsePositiveImages: fpImages,
    missedImages: missed,
  };
}
