/**
 * The TGS Salt competition metric. Per image: for t in 0.50, 0.55, ..., 0.95 the image scores a
 * hit when IoU > t (strictly), and its score is hits / 10. Empty truth with an empty prediction
 * scores 1; empty truth with any predicted pixel scores 0; salt with an empty prediction scores 0.
 * The set's score is the mean over images.
 *
 * Scores are accumulated as integer hit counts and divided once at the end, so two thresholds
 * with the same number of hits compare exactly equal (the sweep's tie rule relies on it).
 */
import { MetricInputError, expectLength } from './errors';
import { byteCut, floatCut, type ProbArray } from './probs';

/** The competition's IoU thresholds 0.50:0.05:0.95, each the double nearest its decimal. */
export const IOU_THRESHOLDS: readonly number[] = Array.from({ length: 10 }, (_, k) => (50 + 5 * k) / 100);

/** The probability thresholds a sweep tries unless told otherwise: 0.05:0.05:0.95. */
export const DEFAULT_SWEEP_THRESHOLDS: readonly number[] = Array.from({ length: 19 }, (_, k) => (k + 1) / 20);

/** Hits (0..10) of one image: how many competition thresholds its IoU strictly exceeds, after the empty-mask rules. */
export function imageHits(iou: number, truthEmpty: boolean, predEmpty: boolean): number {
  if (truthEmpty || predEmpty) return truthEmpty && predEmpty ? 10 : 0;
  let hits = 0;
  for (const t of IOU_THRESHOLDS) if (iou > t) hits++;
  return hits;
}

/** The competition score of one image in [0, 1]: imageHits / 10. */
export function imagePrecision(iou: number, truthEmpty: boolean, predEmpty: boolean): number {
  return imageHits(iou, truthEmpty, predEmpty) / 10;
}

/**
 * n images of h x w pixels, each image's pixels contiguous (image k occupies [k*h*w, (k+1)*h*w)).
 * The order of pixels inside an image does not matter to these metrics.
 */
export interface ImageSet {
  /** 0/1 truth masks, n*h*w long (non-zero counts as salt). */
  truths: Uint8Array;
  /** Predicted probabilities, n*h*w long (see ProbArray for the two encodings). */
  probs: ProbArray;
  n: number;
  h: number;
  w: number;
}

/** One image's result at one threshold. */
export interface ImageScore {
  /** IoU with the empty rules: 1 when both are empty, 0 when exactly one is. */
  iou: number;
  /** Competition score hits / 10. */
  score: number;
  truthEmpty: boolean;
  predEmpty: boolean;
  /** Fraction of the image that is salt in the truth (the usual TGS coverage, for stratifying). */
  coverage: number;
}

/** A set's result at one threshold. */
export interface SetScore {
  /** Competition score: mean of the per-image scores. */
  score: number;
  /** Mean of the per-image IoUs (empty rules applied). */
  meanIoU: number;
  /** Sum of intersections / sum of unions over all pixels; 1 when there is no salt anywhere. */
  pixelIoU: number;
  perImage: ImageScore[];
  /** Mean score over images with empty truth; null when there are none. */
  emptyScore: number | null;
  /** Mean score over images with salt; null when there are none. */
  nonEmptyScore: number | null;
  emptyCount: number;
  nonEmptyCount: number;
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
  /** Highest score; ties go to the threshold closest to 0.5, then to the lower threshold. */
  best: SweepPoint;
}

function checkSet(where: string, set: ImageSet): number {
  const { n, h, w } = set;
  for (const [name, v] of [
    ['n', n],
    ['h', h],
    ['w', w],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new MetricInputError(where, `${name} must be a positive integer, got ${v}`);
  }
  const size = n * h * w;
  expectLength(where, 'truths', set.truths.length, size);
  expectLength(where, 'probs', set.probs.length, size);
  return h * w;
}

function checkThreshold(where: string, t: number): void {
  if (!Number.isFinite(t)) throw new MetricInputError(where, `threshold must be a finite number, got ${t}`);
}

/** Scores a set at one probability threshold (a pixel is salt when prob > threshold). */
export function scoreSet(args: ImageSet & { threshold: number }): SetScore {
  const { truths, probs, n, threshold } = args;
  const pixels = checkSet('scoreSet', args);
  checkThreshold('scoreSet', threshold);
  const bytes = probs instanceof Uint8Array ? probs : null;
  const floats = probs instanceof Float32Array ? probs : null;
  const cut = byteCut(threshold);
  const fcut = floatCut(threshold);

  const perImage: ImageScore[] = [];
  let hits = 0;
  let emptyHits = 0;
  let emptyCount = 0;
  let iouSum = 0;
  let interSum = 0;
  let unionSum = 0;
  for (let k = 0; k < n; k++) {
    let truthCount = 0;
    let predCount = 0;
    let inter = 0;
    const end = (k + 1) * pixels;
    for (let i = k * pixels; i < end; i++) {
      const t = truths[i] !== 0;
      const p = bytes ? (bytes[i] ?? 0) >= cut : (floats?.[i] ?? 0) > fcut;
      if (t) truthCount++;
      if (p) {
        predCount++;
        if (t) inter++;
      }
    }
    const union = truthCount + predCount - inter;
    const truthEmpty = truthCount === 0;
    const predEmpty = predCount === 0;
    const iou = union === 0 ? 1 : inter / union;
    const h = imageHits(iou, truthEmpty, predEmpty);
    hits += h;
    iouSum += iou;
    interSum += inter;
    unionSum += union;
    if (truthEmpty) {
      emptyCount++;
      emptyHits += h;
    }
    perImage.push({ iou, score: h / 10, truthEmpty, predEmpty, coverage: truthCount / pixels });
  }
  const nonEmptyCount = n - emptyCount;
  return {
    score: hits / (10 * n),
    meanIoU: iouSum / n,
    pixelIoU: unionSum === 0 ? 1 : interSum / unionSum,
    perImage,
    emptyScore: emptyCount === 0 ? null : emptyHits / (10 * emptyCount),
    nonEmptyScore: nonEmptyCount === 0 ? null : (hits - emptyHits) / (10 * nonEmptyCount),
    emptyCount,
    nonEmptyCount,
  };
}

/** How many of the ascending `sorted` thresholds p strictly exceeds (0 for NaN, like `p > t`). */
function exceeded(sorted: readonly number[], p: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] ?? 0) < p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Scores a set at every threshold in one pass over the pixels. Each pixel falls in a bucket
 * (how many thresholds it exceeds), split by truth; suffix sums of the buckets give each
 * threshold's true and false positives, so a threshold costs O(thresholds) per image, not
 * O(pixels). Results equal scoreSet's at each threshold exactly.
 */
export function thresholdSweep(set: ImageSet, thresholds: readonly number[] = DEFAULT_SWEEP_THRESHOLDS): Sweep {
  const pixels = checkSet('thresholdSweep', set);
  if (thresholds.length === 0) throw new MetricInputError('thresholdSweep', 'no thresholds given');
  for (const t of thresholds) checkThreshold('thresholdSweep', t);
  const sorted = [...thresholds].sort((a, b) => a - b);
  const T = sorted.length;
  const { truths, probs, n } = set;

  // Bytes have only 256 values, so their bucket is a table lookup, decided by the same
  // expression as byteCut so that sweep and scoreSet agree at every threshold.
  let lut: Uint8Array | Uint16Array | null = null;
  if (probs instanceof Uint8Array) {
    lut = new Uint16Array(256);
    for (let b = 0; b < 256; b++) {
      let c = 0;
      for (const t of sorted) if (b / 255 > t) c++;
      lut[b] = c;
    }
  }

  // Rounding is monotone, so the float32 cuts stay in ascending order.
  const floatCuts = sorted.map(floatCut);
  const pos = new Int32Array(T + 1);
  const neg = new Int32Array(T + 1);
  const hits = new Float64Array(T);
  const iouSum = new Float64Array(T);
  const interSum = new Float64Array(T);
  const unionSum = new Float64Array(T);
  for (let k = 0; k < n; k++) {
    pos.fill(0);
    neg.fill(0);
    const end = (k + 1) * pixels;
    for (let i = k * pixels; i < end; i++) {
      const bucket = lut ? (lut[probs[i] ?? 0] ?? 0) : exceeded(floatCuts, probs[i] ?? 0);
      if (truths[i] !== 0) pos[bucket] = (pos[bucket] ?? 0) + 1;
      else neg[bucket] = (neg[bucket] ?? 0) + 1;
    }
    let truthCount = 0;
    for (let b = 0; b <= T; b++) truthCount += pos[b] ?? 0;
    // Predicted salt at threshold j <=> bucket >= j + 1; walk j downwards accumulating.
    let tp = 0;
    let fp = 0;
    for (let j = T - 1; j >= 0; j--) {
      tp += pos[j + 1] ?? 0;
      fp += neg[j + 1] ?? 0;
      const union = truthCount + fp;
      const iou = union === 0 ? 1 : tp / union;
      hits[j] = (hits[j] ?? 0) + imageHits(iou, truthCount === 0, tp + fp === 0);
      iouSum[j] = (iouSum[j] ?? 0) + iou;
      interSum[j] = (interSum[j] ?? 0) + tp;
      unionSum[j] = (unionSum[j] ?? 0) + union;
    }
  }

  const points: SweepPoint[] = sorted.map((threshold, j) => {
    const u = unionSum[j] ?? 0;
    return {
      threshold,
      score: (hits[j] ?? 0) / (10 * n),
      meanIoU: (iouSum[j] ?? 0) / n,
      pixelIoU: u === 0 ? 1 : (interSum[j] ?? 0) / u,
    };
  });
  let bestJ = 0;
  for (let j = 1; j < T; j++) {
    const h = hits[j] ?? 0;
    const hb = hits[bestJ] ?? 0;
    const closer = Math.abs((sorted[j] ?? 0) - 0.5) < Math.abs((sorted[bestJ] ?? 0) - 0.5);
    if (h > hb || (h === hb && closer)) bestJ = j;
  }
  const best = points[bestJ];
  if (!best) throw new MetricInputError('thresholdSweep', 'no sweep point computed');
  return { points, best };
}
