/**
 * The salt head's validation figures, hand-worked: its ROC AUC (ties count one half, NaN with one
 * kind of image) beside its accuracy at 0.5, on masks of a few pixels.
 */
import { describe, expect, it } from 'vitest';
import { saltAccuracy, saltAUC } from '../../src-main/training/validation';

/** Masks of two pixels each: an image has salt when any of its pixels is 1. */
const masks = (...salty: boolean[]) => Uint8Array.from(salty.flatMap((s) => (s ? [0, 1] : [0, 0])));

describe('saltAUC', () => {
  it('counts the pairs of a salt and an empty image the head orders right, a tie as one half', () => {
    // Salt images at 0.9 and 0.3, empty ones at 0.3 and 0.1: the pairs (0.9, 0.3), (0.9, 0.1), (0.3, 0.1)
    // are ordered right, (0.3, 0.3) is a tie: 3.5 of 4.
    const truths = masks(true, false, true, false);
    const probs = Float32Array.from([0.9, 0.3, 0.3, 0.1]);
    expect(saltAUC(truths, probs, 2)).toBe(0.875);
    // At 0.5 the salt image at 0.3 is wrong: 3 of 4 right.
    expect(saltAccuracy(truths, probs, 2)).toBe(0.75);
  });

  it('is 1 for a head that separates the kinds at any cut, 0 for one that has them backwards, whatever the accuracy', () => {
    const truths = masks(true, true, false);
    // Every probability below 0.5: accuracy 1/3, yet a cut of 0.2 would separate them.
    expect(saltAUC(truths, Float32Array.from([0.3, 0.25, 0.1]), 2)).toBe(1);
    expect(saltAccuracy(truths, Float32Array.from([0.3, 0.25, 0.1]), 2)).toBeCloseTo(1 / 3, 12);
    expect(saltAUC(truths, Float32Array.from([0.1, 0.2, 0.9]), 2)).toBe(0);
    // All equal: every pair a tie.
    expect(saltAUC(truths, Float32Array.from([0.5, 0.5, 0.5]), 2)).toBe(0.5);
  });

  it('is NaN when the images are all of one kind (there is no pair to order)', () => {
    expect(saltAUC(masks(true, true), Float32Array.from([0.2, 0.8]), 2)).toBeNaN();
    expect(saltAUC(masks(false, false), Float32Array.from([0.2, 0.8]), 2)).toBeNaN();
    expect(saltAUC(new Uint8Array(0), new Float32Array(0), 2)).toBeNaN();
  });
});
