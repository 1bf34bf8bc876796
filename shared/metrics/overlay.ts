import { MetricInputError, expectLength } from './errors';
import { predictMask, type ProbArray } from './probs';

/** Per-pixel classes of a prediction against the truth, as overlayClasses writes them. */
export const OVERLAY_CLASS = { TN: 0, TP: 1, FP: 2, FN: 3 } as const;
export type OverlayClass = (typeof OVERLAY_CLASS)[keyof typeof OVERLAY_CLASS];

/**
 * Classifies each pixel for the mask viewer: 0 = TN, 1 = TP, 2 = FP, 3 = FN (see OVERLAY_CLASS),
 * a pixel being predicted salt when prob > threshold.
 */
export function overlayClasses(truth: Uint8Array, prob: ProbArray, threshold: number): Uint8Array {
  expectLength('overlayClasses', 'prob', prob.length, truth.length);
  const out = predictMask(prob, threshold);
  for (let i = 0; i < out.length; i++) {
    const t = truth[i] !== 0;
    const p = out[i] !== 0;
    out[i] = t ? (p ? OVERLAY_CLASS.TP : OVERLAY_CLASS.FN) : p ? OVERLAY_CLASS.FP : OVERLAY_CLASS.TN;
  }
  return out;
}

/** Options of contourMask. */
export interface ContourOptions {
  /**
   * Whether the world beyond the image counts as outside the mask (default true), so a region
   * cut by the image edge is drawn closed rather than open.
   */
  imageEdgeIsOutside?: boolean;
}

/**
 * The boundary of a row-major h x w mask: 1 for each mask pixel with at least one of its four
 * neighbours outside the mask, 0 elsewhere.
 */
export function contourMask(mask: Uint8Array, h: number, w: number, options: ContourOptions = {}): Uint8Array {
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new MetricInputError('contourMask', `h and w must be positive integers, got ${h} x ${w}`);
  }
  expectLength('contourMask', 'mask', mask.length, h * w);
  const edge = options.imageEdgeIsOutside ?? true;
  const inside = (r: number, c: number): boolean =>
    r < 0 || r >= h || c < 0 || c >= w ? !edge : mask[r * w + c] !== 0;
  const out = new Uint8Array(h * w);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      if (mask[r * w + c] === 0) continue;
      if (!inside(r - 1, c) || !inside(r + 1, c) || !inside(r, c - 1) || !inside(r, c + 1)) out[r * w + c] = 1;
    }
  }
  return out;
}
