/**
 * What a run does to its probabilities before they become masks, and the search that chooses it
 * on the validation set. A pixel is salt when its probability exceeds the threshold (the
 * convention of predictMask); an image with fewer than `minArea` salt pixels is then made empty,
 * since on TGS 39% of the masks are empty and one false pixel scores 0 there.
 *
 * The tuner tries every threshold x minimum area pair of a grid. Each image's pixels are counted
 * once into a histogram of "how many grid thresholds this pixel exceeds", split by truth; suffix
 * sums of it give every threshold's predicted and true-positive counts, so a pair then costs O(1)
 * per image instead of O(pixels).
 */
import { imageHits, scoreSet, type SetScore } from './competition';
import { MetricInputError, expectLength } from './errors';
import { byteCut, floatCut, type ProbArray } from './probs';

/** A run's post-processing, as stored with the run and applied by every prediction path. */
export interface Postprocess {
  /** A pixel is salt when p > threshold. */
  threshold: number;
  /** An image with fewer predicted salt pixels than this is predicted empty (0: off). */
  minArea: number;
  /** Horizontal-flip test-time augmentation: the image's and its mirror's probabilities averaged. */
  tta: boolean;
  /** How many checkpoints' probabilities are averaged (1: the single best checkpoint). */
  snapshots: number;
}

/** The part of a post-processing that acts on probabilities (TTA and snapshots act on the model). */
export type MaskRule = Pick<Postprocess, 'threshold' | 'minArea'>;

/** Thresholds the tuner tries unless told otherwise: 0.20, 0.22, ..., 0.80. */
export const DEFAULT_TUNE_THRESHOLDS: readonly number[] = Array.from({ length: 31 }, (_, k) => (20 + 2 * k) / 100);

/** Minimum areas (pixels) the tuner tries unless told otherwise. */
export const DEFAULT_TUNE_AREAS: readonly number[] = [0, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300];

/** The grid of a search; a list of one value fixes that setting. */
export interface TuneGrid {
  thresholds?: readonly number[];
  areas?: readonly number[];
}

/** The set's result at one threshold x minimum area pair. */
export interface TunePoint {
  threshold: number;
  minArea: number;
  /** Competition score, mean over images. */
  score: number;
  /** Mean score over images with empty truth; null when there are none. */
  emptyScore: number | null;
  /** Mean score over images with salt; null when there are none. */
  saltScore: number | null;
  /** Mean per-image IoU (empty rules applied). */
  meanIoU: number;
}

/** A search's result: every pair tried (thresholds ascending, then areas ascending) and the chosen one. */
export interface TuneResult {
  points: TunePoint[];
  /**
   * The highest score. Ties (equal hit counts, compared exactly) go to the smaller minimum area,
   * then to the threshold nearest 0.5, then to the lower threshold.
   */
  best: TunePoint;
}

function checkSize(where: string, n: number, h: number, w: number): number {
  for (const [name, v] of [
    ['n', n],
    ['h', h],
    ['w', w],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new MetricInputError(where, `${name} must be a positive integer, got ${v}`);
  }
  return h * w;
}

function checkRule(where: string, threshold: number, minArea: number): void {
  if (!Number.isFinite(threshold)) throw new MetricInputError(where, `threshold must be a finite number, got ${threshold}`);
  if (!Number.isInteger(minArea) || minArea < 0) throw new MetricInputError(where, `minimum area must be a non-negative whole number of pixels, got ${minArea}`);
}

/**
 * Masks (0/1, n*h*w, image after image) from probabilities: salt where p > threshold, then every
 * image with fewer than `minArea` salt pixels cleared. Written into `out` when given.
 */
export function applyPostprocess(probs: ProbArray, n: number, h: number, w: number, rule: MaskRule, out?: Uint8Array): Uint8Array {
  const where = 'applyPostprocess';
  const px = checkSize(where, n, h, w);
  expectLength(where, 'probs', probs.length, n * px);
  checkRule(where, rule.threshold, rule.minArea);
  const masks = out ?? new Uint8Array(n * px);
  expectLength(where, 'out', masks.length, n * px);
  const bytes = probs instanceof Uint8Array ? probs : null;
  const cut = bytes ? byteCut(rule.threshold) : floatCut(rule.threshold);
  for (let k = 0; k < n; k++) {
    const start = k * px;
    let count = 0;
    for (let i = start; i < start + px; i++) {
      const p = probs[i] ?? 0;
      const salt = bytes ? p >= cut : p > cut;
      masks[i] = salt ? 1 : 0;
      if (salt) count++;
    }
    if (count > 0 && count < rule.minArea) masks.fill(0, start, start + px);
  }
  return masks;
}

/**
 * The set's scores under a post-processing rule: exactly what scoreSet gives on the masks
 * applyPostprocess makes (each mask is handed to scoreSet as certain probabilities, 0 or 255).
 */
export function scorePostprocess(truths: Uint8Array, probs: ProbArray, n: number, h: number, w: number, rule: MaskRule): SetScore {
  const masks = applyPostprocess(probs, n, h, w, rule);
  for (let i = 0; i < masks.length; i++) masks[i] = masks[i] ? 255 : 0;
  return scoreSet({ truths, probs: masks, n, h, w, threshold: 0.5 });
}

function checkGrid(where: string, thresholds: readonly number[], areas: readonly number[]): void {
  if (thresholds.length === 0) throw new MetricInputError(where, 'no thresholds given');
  if (areas.length === 0) throw new MetricInputError(where, 'no minimum areas given');
  for (const t of thresholds) if (!Number.isFinite(t)) throw new MetricInputError(where, `threshold must be a finite number, got ${t}`);
  for (const a of areas) if (!Number.isInteger(a) || a < 0) throw new MetricInputError(where, `minimum area must be a non-negative whole number of pixels, got ${a}`);
}

/** How many of the ascending `cuts` p strictly exceeds. */
function exceeded(cuts: readonly number[], p: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cuts[mid] ?? 0) < p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** True when pair a (hits, area, threshold) beats pair b by the tuner's order. */
function better(a: { hits: number; area: number; t: number }, b: { hits: number; area: number; t: number }): boolean {
  if (a.hits !== b.hits) return a.hits > b.hits;
  if (a.area !== b.area) return a.area < b.area;
  const da = Math.abs(a.t - 0.5);
  const db = Math.abs(b.t - 0.5);
  if (da !== db) return da < db;
  return a.t < b.t;
}

/**
 * Searches the threshold x minimum area grid (default DEFAULT_TUNE_THRESHOLDS x DEFAULT_TUNE_AREAS)
 * for the highest competition score on labelled images. Scores equal scorePostprocess's at every pair.
 */
export function tuneThresholdAndArea(truths: Uint8Array, probs: ProbArray, n: number, h: number, w: number, grid: TuneGrid = {}): TuneResult {
  const where = 'tuneThresholdAndArea';
  const px = checkSize(where, n, h, w);
  expectLength(where, 'truths', truths.length, n * px);
  expectLength(where, 'probs', probs.length, n * px);
  const thresholds = [...new Set(grid.thresholds ?? DEFAULT_TUNE_THRESHOLDS)].sort((a, b) => a - b);
  const areas = [...new Set(grid.areas ?? DEFAULT_TUNE_AREAS)].sort((a, b) => a - b);
  checkGrid(where, thresholds, areas);
  const T = thresholds.length;

  // Bucket of a pixel: how many thresholds it exceeds, decided as applyPostprocess decides.
  let lut: Uint16Array | null = null;
  if (probs instanceof Uint8Array) {
    const cuts = thresholds.map(byteCut);
    lut = new Uint16Array(256);
    for (let b = 0; b < 256; b++) lut[b] = cuts.filter((c) => b >= c).length;
  }
  const floatCuts = thresholds.map(floatCut);

  // Per image and threshold: predicted pixels, and its hits and IoU when kept.
  const predCount = new Int32Array(n * T);
  const keptHits = new Uint8Array(n * T);
  const keptIoU = new Float64Array(n * T);
  const truthEmpty = new Uint8Array(n);
  const pos = new Int32Array(T + 1);
  const neg = new Int32Array(T + 1);
  for (let k = 0; k < n; k++) {
    pos.fill(0);
    neg.fill(0);
    for (let i = k * px; i < (k + 1) * px; i++) {
      const b = lut ? (lut[probs[i] ?? 0] ?? 0) : exceeded(floatCuts, probs[i] ?? 0);
      if (truths[i] !== 0) pos[b] = (pos[b] ?? 0) + 1;
      else neg[b] = (neg[b] ?? 0) + 1;
    }
    let truth = 0;
    for (let b = 0; b <= T; b++) truth += pos[b] ?? 0;
    truthEmpty[k] = truth === 0 ? 1 : 0;
    // Salt at threshold j <=> bucket >= j + 1: accumulate from the highest threshold down.
    let tp = 0;
    let fp = 0;
    for (let j = T - 1; j >= 0; j--) {
      tp += pos[j + 1] ?? 0;
      fp += neg[j + 1] ?? 0;
      const union = truth + fp;
      const iou = union === 0 ? 1 : tp / union;
      predCount[k * T + j] = tp + fp;
      keptHits[k * T + j] = imageHits(iou, truth === 0, tp + fp === 0);
      keptIoU[k * T + j] = iou;
    }
  }
  let empties = 0;
  for (let k = 0; k < n; k++) empties += truthEmpty[k] ?? 0;

  const points: TunePoint[] = [];
  let bestIndex = 0;
  let bestKey: { hits: number; area: number; t: number } | null = null;
  for (let j = 0; j < T; j++) {
    const t = thresholds[j] ?? 0;
    for (const area of areas) {
      let hits = 0;
      let emptyHits = 0;
      let iouSum = 0;
      for (let k = 0; k < n; k++) {
        const c = predCount[k * T + j] ?? 0;
        const empty = truthEmpty[k] === 1;
        // Cleared by the area rule: an empty prediction, right on empty truth and wrong on salt.
        const cleared = c > 0 && c < area;
        const hk = cleared ? (empty ? 10 : 0) : (keptHits[k * T + j] ?? 0);
        hits += hk;
        if (empty) emptyHits += hk;
        iouSum += cleared ? (empty ? 1 : 0) : (keptIoU[k * T + j] ?? 0);
      }
      const key = { hits, area, t };
      if (bestKey === null || better(key, bestKey)) {
        bestKey = key;
        bestIndex = points.length;
      }
      points.push({
        threshold: t,
        minArea: area,
        score: hits / (10 * n),
        emptyScore: empties === 0 ? null : emptyHits / (10 * empties),
        saltScore: empties === n ? null : (hits - emptyHits) / (10 * (n - empties)),
        meanIoU: iouSum / n,
      });
    }
  }
  const best = points[bestIndex];
  if (!best) throw new MetricInputError(where, 'no grid point computed');
  return { points, best };
}
