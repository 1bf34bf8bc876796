import { describe, it, expect } from 'vitest';
import { OVERLAY_CLASS, contourMask, overlayClasses } from '../../shared/metrics/overlay';
import { MetricInputError } from '../../shared/metrics/errors';

const u8 = (...v: number[]): Uint8Array => Uint8Array.from(v);

describe('overlayClasses', () => {
  it('labels TP, FN, FP, TN per pixel', () => {
    // truth 1 1 0 0, prob .9 .2 .7 .1 at .5 -> TP FN FP TN
    const out = overlayClasses(u8(1, 1, 0, 0), Float32Array.from([0.9, 0.2, 0.7, 0.1]), 0.5);
    expect(Array.from(out)).toEqual([OVERLAY_CLASS.TP, OVERLAY_CLASS.FN, OVERLAY_CLASS.FP, OVERLAY_CLASS.TN]);
    expect(Array.from(out)).toEqual([1, 3, 2, 0]);
  });
  it('reads quantised bytes and treats prob == threshold as negative', () => {
    // 51/255 == .2 exactly: not > .2, so the salt pixel is a FN and the empty one a TN
    expect(Array.from(overlayClasses(u8(1, 0, 1), u8(51, 51, 52), 0.2))).toEqual([3, 0, 1]);
  });
  it('rejects mismatched lengths', () => {
    expect(() => overlayClasses(u8(1), u8(1, 2), 0.5)).toThrow(MetricInputError);
  });
});

describe('contourMask', () => {
  it('outlines a 3x3 block inside a 5x5 image as its 8-pixel ring', () => {
    const m = u8(0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0);
    const ring = u8(0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0);
    expect(contourMask(m, 5, 5)).toEqual(ring);
  });
  it('closes a region at the image edge by default, and can leave it open', () => {
    const full = new Uint8Array(9).fill(1);
    expect(Array.from(contourMask(full, 3, 3))).toEqual([1, 1, 1, 1, 0, 1, 1, 1, 1]);
    expect(Array.from(contourMask(full, 3, 3, { imageEdgeIsOutside: false }))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
  it('reads the mask row-major on a non-square image', () => {
    // 2 rows x 3 cols:  1 1 1 / 0 1 0 with the edge inside: (0,0) and (0,2) lie above 0s,
    // (1,1) has 0s left and right, (0,1) is surrounded by salt (and the inside edge above).
    expect(Array.from(contourMask(u8(1, 1, 1, 0, 1, 0), 2, 3, { imageEdgeIsOutside: false }))).toEqual([1, 0, 1, 0, 1, 0]);
  });
  it('keeps a lone pixel and returns nothing for an empty mask', () => {
    expect(Array.from(contourMask(u8(0, 0, 0, 0, 1, 0, 0, 0, 0), 3, 3, { imageEdgeIsOutside: false }))).toEqual([
      0, 0, 0, 0, 1, 0, 0, 0, 0,
    ]);
    expect(contourMask(new Uint8Array(4), 2, 2).every((v) => v === 0)).toBe(true);
  });
  it('rejects a mask that does not fit h x w', () => {
    expect(() => contourMask(new Uint8Array(5), 2, 2)).toThrow(MetricInputError);
    expect(() => contourMask(new Uint8Array(0), 0, 2)).toThrow(/positive integers/);
  });
});
