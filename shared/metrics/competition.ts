/**
 * The TGS Salt competition metric. Per image: for t in 0.50, 0.55, ..., 0.95 the image scores a
 * hit when IoU > t (strictly), and its score is hits / 10. Empty truth with an empty prediction
 * scores 1; empty truth with any predicted pixel scores 0; salt with an empty prediction scores 0.
 * The set's score is the mean over images.
 *
 * Scores are accumulated as integer hit counts and divided once at the end, so two thresholds
 * with the same number of hits compare exactly equal (the tuner's tie rule relies on it; the
 * threshold sweep and the tuner are in postprocess.ts).
 */
import { checkImageSet, checkThreshold } from './checks';
import { byteCut, floatCut, type ProbArray } from './probs';
import { setFigures } from './tally';

/** The competition's IoU thresholds 0.50:0.05:0.95, each the double nearest its decimal. */
export const IOU_THRESHOLDS: readonly number[] = Array.from({ length: 10 }, (_, k) => (50 + 5 * k) / 100);

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

/** Scores a set at one probability threshold (a pixel is salt when prob > threshold). */
export function scoreSet(args: ImageSet & { threshold: number }): SetScore {
  const { truths, probs, n, threshold } = args;
  const pixels = checkImageSet('scoreSet', args);
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
  const f = setFigures({ n, hits, emptyHits, emptyCount, iouSum, interSum, unionSum });
  return { score: f.score, meanIoU: f.meanIoU, pixelIoU: f.pixelIoU, perImage, emptyScore: f.emptyScore, nonEmptyScore: f.nonEmptyScore, emptyCount, nonEmptyCount: n - emptyCount };
}

/**
 * Scores masks that are already made (0/1, or any non-zero value as salt, n*h*w image after image),
 * such as the masks a prediction path wrote: scoreSet with every non-zero byte counted as salt.
 */
export function scoreMasks(truths: Uint8Array, masks: Uint8Array, n: number, h: number, w: number): SetScore {
  // A Uint8Array is read as quantised probabilities (value / 255): every non-zero byte is above 0.
  return scoreSet({ truths, probs: masks, n, h, w, threshold: 0 });
}
