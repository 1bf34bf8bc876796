/** Input checks the metrics share, each naming the function that rejected its input (not exported from shared/metrics). */
import { MetricInputError, expectLength } from './errors';

/** Checks the sizes of n images of h x w pixels (positive integers); returns the pixels of one, h * w. */
export function checkImageSize(where: string, n: number, h: number, w: number): number {
  for (const [name, v] of [
    ['n', n],
    ['h', h],
    ['w', w],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new MetricInputError(where, `${name} must be a positive integer, got ${v}`);
  }
  return h * w;
}

/** Checks a labelled set's sizes and that its truths and probabilities hold n * h * w values; returns h * w. */
export function checkImageSet(where: string, set: { n: number; h: number; w: number; truths: { length: number }; probs: { length: number } }): number {
  const px = checkImageSize(where, set.n, set.h, set.w);
  expectLength(where, 'truths', set.truths.length, set.n * px);
  expectLength(where, 'probs', set.probs.length, set.n * px);
  return px;
}

/** Throws unless the probability threshold `t` is a finite number. */
export function checkThreshold(where: string, t: number): void {
  if (!Number.isFinite(t)) throw new MetricInputError(where, `threshold must be a finite number, got ${t}`);
}

/** Throws unless the minimum area `a` is a non-negative whole number of pixels. */
export function checkMinArea(where: string, a: number): void {
  if (!Number.isInteger(a) || a < 0) throw new MetricInputError(where, `minimum area must be a non-negative whole number of pixels, got ${a}`);
}
