import { expectLength } from './errors';
import { predictMask, type ProbArray } from './probs';

/** Pixel counts of a thresholded prediction against the truth. */
export interface Confusion {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** One mask, or a set given as one flat array or as a list of per-image arrays. */
export type MaskList = Uint8Array | readonly Uint8Array[];

function intersectionUnion(truth: Uint8Array, pred: Uint8Array, where: string): { inter: number; union: number } {
  expectLength(where, 'pred', pred.length, truth.length);
  let inter = 0;
  let union = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] !== 0;
    const p = pred[i] !== 0;
    if (t && p) inter++;
    if (t || p) union++;
  }
  return { inter, union };
}

/**
 * IoU of two 0/1 masks of one image. Both empty counts as a perfect 1, as in the competition:
 * nothing to find and nothing found.
 */
export function imageIoU(truth: Uint8Array, pred: Uint8Array): number {
  const { inter, union } = intersectionUnion(truth, pred, 'imageIoU');
  return union === 0 ? 1 : inter / union;
}

/**
 * IoU of a whole set pooled over pixels: sum of intersections / sum of unions. Large salt
 * bodies dominate it, unlike the per-image mean. A set with no salt anywhere, truth or
 * prediction, scores 1 (the same rule as imageIoU).
 */
export function pixelIoU(truths: MaskList, preds: MaskList): number {
  const ts = truths instanceof Uint8Array ? [truths] : truths;
  const ps = preds instanceof Uint8Array ? [preds] : preds;
  expectLength('pixelIoU', 'preds (images)', ps.length, ts.length);
  let inter = 0;
  let union = 0;
  ts.forEach((t, k) => {
    const r = intersectionUnion(t, ps[k] ?? new Uint8Array(0), `pixelIoU (image ${k})`);
    inter += r.inter;
    union += r.union;
  });
  return union === 0 ? 1 : inter / union;
}

/** Counts of true/false positives/negatives when `prob > threshold` predicts salt. */
export function confusion(truth: Uint8Array, prob: ProbArray, threshold: number): Confusion {
  expectLength('confusion', 'prob', prob.length, truth.length);
  const pred = predictMask(prob, threshold);
  const c: Confusion = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] !== 0;
    const p = pred[i] !== 0;
    if (t) {
      if (p) c.tp++;
      else c.fn++;
    } else if (p) c.fp++;
    else c.tn++;
  }
  return c;
}
