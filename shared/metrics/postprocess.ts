/**
 * What a run does to its probabilities before they become masks, and the search that chooses it
 * on the validation set. A pixel is salt when its probability exceeds the threshold (the
 * convention of predictMask); an image with fewer than `minArea` salt pixels is then made empty,
 * since on TGS 39% of the masks are empty and one false pixel scores 0 there.
 *
 * With a salt-present head (a design's `saltHead` node), each image also has the head's probability
 * that it holds any salt, and the rule may carry a `saltCut`: an image whose salt probability is
 * below the cut is predicted empty whatever its pixels say (the head's vote on empty images). The
 * cut is tuned with the threshold and the area on the validation set (DEFAULT_TUNE_SALT_CUTS, where
 * 0 is a vote that never fires); DEFAULT_SALT_CUT is the cut of a rule whose threshold and area
 * are both fixed, so that nothing of it is tuned.
 *
 * There is ONE chooser of a threshold (and area, and cut): {@link bestTunePoint}. The tuner
 * ({@link tuneThresholdAndArea}, the finalize step's search) picks its best point with it, and the
 * threshold sweep ({@link thresholdSweep}, each epoch's `bestThreshold`, which the legacy
 * prediction path of a run without stored post-processing applies) is the tuner at minimum area 0.
 *
 * The tuner tries every threshold x minimum area (x salt cut) point of a grid. Each image's pixels are counted
 * once into a histogram of "how many grid thresholds this pixel exceeds", split by truth; suffix
 * sums of it give every threshold's predicted and true-positive counts, so a pair then costs O(1)
 * per image instead of O(pixels).
 */
import { imageHits, scoreMasks, type ImageSet, type SetScore } from './competition';
import { checkImageSet, checkImageSize, checkMinArea, checkThreshold } from './checks';
import { MetricInputError, expectLength } from './errors';
import { byteCut, floatCut, type ProbArray } from './probs';
import { setFigures } from './tally';

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
  /**
   * With a salt head: an image whose salt probability is below this is predicted empty. Absent: no
   * vote (a design without the head). Needs the per-image salt probabilities wherever it is applied.
   */
  saltCut?: number;
}

/** The part of a post-processing that acts on probabilities (TTA and snapshots act on the model). */
export type MaskRule = Pick<Postprocess, 'threshold' | 'minArea' | 'saltCut'>;

/**
 * Each image's probability that it has salt, from a salt head (Float32Array from the model), image
 * after image as the masks are.
 */
export type SaltProbs = ArrayLike<number>;

/**
 * The salt cut of a rule fixed without tuning (config.inference fixes both the threshold and the
 * minimum area): even odds, what a calibrated classifier uses when a missed salt image and a false
 * one cost the same (both score 0 on TGS).
 */
export const DEFAULT_SALT_CUT = 0.5;

/** Salt cuts the tuner tries when salt probabilities are given: 0 (the vote never fires), 0.1, ..., 0.9. */
export const DEFAULT_TUNE_SALT_CUTS: readonly number[] = Array.from({ length: 10 }, (_, k) => k / 10);

/** Thresholds the tuner tries unless told otherwise: 0.20, 0.22, ..., 0.80. */
export const DEFAULT_TUNE_THRESHOLDS: readonly number[] = Array.from({ length: 31 }, (_, k) => (20 + 2 * k) / 100);

/** Minimum areas (pixels) the tuner tries unless told otherwise. */
export const DEFAULT_TUNE_AREAS: readonly number[] = [0, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300];

/** The grid of a search; a list of one value fixes that setting. */
export interface TuneGrid {
  thresholds?: readonly number[];
  areas?: readonly number[];
  /** Used only with salt probabilities; default DEFAULT_TUNE_SALT_CUTS. */
  saltCuts?: readonly number[];
}

/** The set's result at one threshold x minimum area (x salt cut) point. */
export interface TunePoint {
  threshold: number;
  minArea: number;
  /** Present when the search had salt probabilities. */
  saltCut?: number;
  /** Competition score, mean over images. */
  score: number;
  /** Mean score over images with empty truth; null when there are none. */
  emptyScore: number | null;
  /** Mean score over images with salt; null when there are none. */
  saltScore: number | null;
  /** Mean per-image IoU (empty rules applied). */
  meanIoU: number;
  /** Sum of intersections / sum of unions over all pixels (cleared images predict nothing); 1 when there is no salt anywhere. */
  pixelIoU: number;
}

/** A search's result: every point tried (thresholds ascending, then areas, then salt cuts) and the chosen one. */
export interface TuneResult {
  points: TunePoint[];
  /** The point {@link bestTunePoint} chooses. */
  best: TunePoint;
}

/** One point of a threshold sweep. */
export interface SweepPoint {
  threshold: number;
  score: number;
  meanIoU: number;
  pixelIoU: number;
}

/** A threshold sweep: points in ascending threshold order and the best of them. */
export interface Sweep {
  points: SweepPoint[];
  /** The point {@link bestTunePoint} chooses: the highest score; ties to the threshold closest to 0.5, then the lower. */
  best: SweepPoint;
}

/** The probability thresholds a sweep tries unless told otherwise: 0.05:0.05:0.95. */
export const DEFAULT_SWEEP_THRESHOLDS: readonly number[] = Array.from({ length: 19 }, (_, k) => (k + 1) / 20);

/** What the chooser reads of a point: its score and its rule (a point without an area or a cut has area 0 and no vote). */
export interface ChoosablePoint {
  threshold: number;
  score: number;
  minArea?: number;
  saltCut?: number;
}

function checkRule(where: string, threshold: number, minArea: number): void {
  checkThreshold(where, threshold);
  checkMinArea(where, minArea);
}

function checkSaltCut(where: string, cut: number): void {
  if (!(Number.isFinite(cut) && cut >= 0 && cut <= 1)) throw new MetricInputError(where, `salt cut must be in [0, 1], got ${cut}`);
}

function checkSaltProbs(where: string, saltProbs: SaltProbs, n: number): void {
  expectLength(where, 'saltProbs', saltProbs.length, n);
  for (let k = 0; k < n; k++) {
    const p = saltProbs[k];
    if (p === undefined || !(p >= 0 && p <= 1)) throw new MetricInputError(where, `saltProbs[${k}] must be a probability in [0, 1], got ${p}`);
  }
}

/** Whether the salt head votes image `k` empty: its probability below the cut (both as float32, as the head's output is). */
function votedEmpty(saltProbs: SaltProbs, k: number, cut: number): boolean {
  return (saltProbs[k] ?? 0) < Math.fround(cut);
}

/**
 * The vote's inputs of `rule`, checked: null without a salt cut. A cut without salt probabilities
 * is refused, since leaving the vote out silently would predict differently from the rule.
 */
function saltVote(where: string, rule: MaskRule, n: number, saltProbs: SaltProbs | undefined): { probs: SaltProbs; cut: number } | null {
  if (rule.saltCut === undefined) return null;
  checkSaltCut(where, rule.saltCut);
  if (!saltProbs) throw new MetricInputError(where, `the rule votes with salt cut ${rule.saltCut}, but no per-image salt probabilities were given`);
  checkSaltProbs(where, saltProbs, n);
  return { probs: saltProbs, cut: rule.saltCut };
}

/**
 * Masks (0/1, n*h*w, image after image) from probabilities: salt where p > threshold, then every
 * image with fewer than `minArea` salt pixels cleared, and with a `saltCut`, every image whose salt
 * probability (`saltProbs`, one per image) is below it. Written into `out` when given.
 */
export function applyPostprocess(probs: ProbArray, n: number, h: number, w: number, rule: MaskRule, out?: Uint8Array, saltProbs?: SaltProbs): Uint8Array {
  const where = 'applyPostprocess';
  const px = checkImageSize(where, n, h, w);
  expectLength(where, 'probs', probs.length, n * px);
  checkRule(where, rule.threshold, rule.minArea);
  const vote = saltVote(where, rule, n, saltProbs);
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
    if (count > 0 && (count < rule.minArea || (vote !== null && votedEmpty(vote.probs, k, vote.cut)))) masks.fill(0, start, start + px);
  }
  return masks;
}

/**
 * The set's scores under a post-processing rule: scoreMasks of the masks applyPostprocess makes.
 * Where the masks were already made (a prediction path's), score those with scoreMasks instead.
 */
export function scorePostprocess(truths: Uint8Array, probs: ProbArray, n: number, h: number, w: number, rule: MaskRule, saltProbs?: SaltProbs): SetScore {
  return scoreMasks(truths, applyPostprocess(probs, n, h, w, rule, undefined, saltProbs), n, h, w);
}

function checkGrid(where: string, thresholds: readonly number[], areas: readonly number[], cuts: readonly number[] | null): void {
  if (thresholds.length === 0) throw new MetricInputError(where, 'no thresholds given');
  if (areas.length === 0) throw new MetricInputError(where, 'no minimum areas given');
  if (cuts !== null && cuts.length === 0) throw new MetricInputError(where, 'no salt cuts given');
  for (const c of cuts ?? []) checkSaltCut(where, c);
  for (const t of thresholds) checkThreshold(where, t);
  for (const a of areas) checkMinArea(where, a);
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

/** True when point a beats point b by the chooser's order (see bestTunePoint). */
function better(a: ChoosablePoint, b: ChoosablePoint): boolean {
  if (a.score !== b.score) return a.score > b.score;
  const areaA = a.minArea ?? 0;
  const areaB = b.minArea ?? 0;
  if (areaA !== areaB) return areaA < areaB;
  const cutA = a.saltCut ?? 0;
  const cutB = b.saltCut ?? 0;
  if (cutA !== cutB) return cutA < cutB;
  const da = Math.abs(a.threshold - 0.5);
  const db = Math.abs(b.threshold - 0.5);
  if (da !== db) return da < db;
  return a.threshold < b.threshold;
}

/**
 * THE chooser of a post-processing rule among scored points: the highest score. Ties go to the
 * smaller minimum area, then to the smaller salt cut (the lighter vote), then to the threshold
 * nearest 0.5, then to the lower threshold. Scores are compared exactly, so they must come from
 * integer hit counts divided once (hits / (10 n), as scoreSet and the tuner make them), not from
 * sums of per-image floats. The tuner and the threshold sweep choose with it; so should any other
 * score curve (the Masks view's at a minimum area).
 */
export function bestTunePoint<P extends ChoosablePoint>(points: readonly P[]): P {
  let best: P | undefined;
  for (const p of points) if (best === undefined || better(p, best)) best = p;
  if (best === undefined) throw new MetricInputError('bestTunePoint', 'no points to choose from');
  return best;
}

/**
 * Searches the threshold x minimum area grid (default DEFAULT_TUNE_THRESHOLDS x DEFAULT_TUNE_AREAS)
 * for the highest competition score on labelled images; with `saltProbs` (a salt head's, one per
 * image) also the salt cuts (default DEFAULT_TUNE_SALT_CUTS). Scores equal scorePostprocess's at
 * every point.
 */
export function tuneThresholdAndArea(truths: Uint8Array, probs: ProbArray, n: number, h: number, w: number, grid: TuneGrid = {}, saltProbs?: SaltProbs): TuneResult {
  const where = 'tuneThresholdAndArea';
  const px = checkImageSet(where, { truths, probs, n, h, w });
  const thresholds = [...new Set(grid.thresholds ?? DEFAULT_TUNE_THRESHOLDS)].sort((a, b) => a - b);
  const areas = [...new Set(grid.areas ?? DEFAULT_TUNE_AREAS)].sort((a, b) => a - b);
  const cuts = saltProbs ? [...new Set(grid.saltCuts ?? DEFAULT_TUNE_SALT_CUTS)].sort((a, b) => a - b) : null;
  checkGrid(where, thresholds, areas, cuts);
  if (saltProbs) checkSaltProbs(where, saltProbs, n);
  const T = thresholds.length;

  // Bucket of a pixel: how many thresholds it exceeds, decided as applyPostprocess decides.
  let lut: Uint16Array | null = null;
  if (probs instanceof Uint8Array) {
    const cuts = thresholds.map(byteCut);
    lut = new Uint16Array(256);
    for (let b = 0; b < 256; b++) lut[b] = cuts.filter((c) => b >= c).length;
  }
  const floatCuts = thresholds.map(floatCut);

  // Per image and threshold: predicted pixels, true positives, and its hits and IoU when kept; per image its salt pixels.
  const predCount = new Int32Array(n * T);
  const truePos = new Int32Array(n * T);
  const keptHits = new Uint8Array(n * T);
  const keptIoU = new Float64Array(n * T);
  const truthCount = new Int32Array(n);
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
    truthCount[k] = truth;
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
      truePos[k * T + j] = tp;
      keptHits[k * T + j] = imageHits(iou, truth === 0, tp + fp === 0);
      keptIoU[k * T + j] = iou;
    }
  }
  let empties = 0;
  for (let k = 0; k < n; k++) empties += truthEmpty[k] ?? 0;

  const points: TunePoint[] = [];
  for (let j = 0; j < T; j++) {
    const t = thresholds[j] ?? 0;
    for (const area of areas) {
      // Without salt probabilities one pass with no vote; with them, one per cut.
      for (const cut of cuts ?? [null]) {
        let hits = 0;
        let emptyHits = 0;
        let iouSum = 0;
        let interSum = 0;
        let unionSum = 0;
        for (let k = 0; k < n; k++) {
          const c = predCount[k * T + j] ?? 0;
          const empty = truthEmpty[k] === 1;
          // Cleared by the area rule or the salt head's vote: an empty prediction, right on empty truth and wrong on salt.
          const cleared = c > 0 && (c < area || (cut !== null && saltProbs !== undefined && votedEmpty(saltProbs, k, cut)));
          const hk = cleared ? (empty ? 10 : 0) : (keptHits[k * T + j] ?? 0);
          hits += hk;
          if (empty) emptyHits += hk;
          iouSum += cleared ? (empty ? 1 : 0) : (keptIoU[k * T + j] ?? 0);
          // A cleared image predicts nothing: no intersection, its truth alone as the union.
          const tp = cleared ? 0 : (truePos[k * T + j] ?? 0);
          interSum += tp;
          unionSum += (truthCount[k] ?? 0) + (cleared ? 0 : c - tp);
        }
        const f = setFigures({ n, hits, emptyHits, emptyCount: empties, iouSum, interSum, unionSum });
        points.push({ threshold: t, minArea: area, ...(cut === null ? {} : { saltCut: cut }), score: f.score, emptyScore: f.emptyScore, saltScore: f.nonEmptyScore, meanIoU: f.meanIoU, pixelIoU: f.pixelIoU });
      }
    }
  }
  return { points, best: bestTunePoint(points) };
}

/**
 * Scores a set at every threshold (a pixel is salt when p > threshold): the tuner at minimum area 0
 * and no vote, so its best threshold is the one {@link bestTunePoint} chooses. Results equal
 * scoreSet's at each threshold exactly.
 */
export function thresholdSweep(set: ImageSet, thresholds: readonly number[] = DEFAULT_SWEEP_THRESHOLDS): Sweep {
  const where = 'thresholdSweep';
  checkImageSet(where, set);
  if (thresholds.length === 0) throw new MetricInputError(where, 'no thresholds given');
  for (const t of thresholds) checkThreshold(where, t);
  const r = tuneThresholdAndArea(set.truths, set.probs, set.n, set.h, set.w, { thresholds, areas: [0] });
  const point = (p: TunePoint): SweepPoint => ({ threshold: p.threshold, score: p.score, meanIoU: p.meanIoU, pixelIoU: p.pixelIoU });
  return { points: r.points.map(point), best: point(r.best) };
}
