/** The mask viewer's pixels: classes coloured at a threshold, opacity, contours and the heat map, against hand-computed values. */
import { describe, expect, it } from 'vitest';
import { composeMaskImage, DEFAULT_DRAW, heatColour, MASK_COLOURS, maskLegend, type MaskDrawOptions, type Rgb } from '../../src-renderer/workflows/masksOverlay';

const opts = (o: Partial<MaskDrawOptions>): MaskDrawOptions => ({ ...DEFAULT_DRAW, ...o });
const rgb = (out: Uint8ClampedArray, i: number): number[] => Array.from(out.slice(i * 4, i * 4 + 3));
/** grey*(1-a) + colour*a, per channel. */
const blend = (grey: number, c: Rgb, a: number): number[] => c.map((v) => grey * (1 - a) + v * a);
const near = (actual: number[], expected: number[]) => actual.forEach((v, k) => expect(Math.abs(v - (expected[k] ?? NaN))).toBeLessThanOrEqual(0.5));

describe('composeMaskImage', () => {
  // One row of five pixels, grey 100. Truth: salt, none, salt, none, salt.
  const image = new Uint8Array([100, 100, 100, 100, 100]);
  const truth = new Uint8Array([1, 0, 1, 0, 1]);
  // 128/255 = 0.502 is above 0.5, 127/255 = 0.498 is not.
  const probs = new Uint8Array([255, 128, 127, 0, 128]);

  it('colours true positives, false positives and false negatives at the threshold, blended at the opacity', () => {
    const out = composeMaskImage(image, probs, truth, 1, 5, opts({ threshold: 0.5, opacity: 0.5 }));
    near(rgb(out, 0), blend(100, MASK_COLOURS.tp, 0.5)); // 255 > 0.5, salt: TP -> (50, 129, 107.5)
    near(rgb(out, 1), blend(100, MASK_COLOURS.fp, 0.5)); // 128, no salt: FP -> (156.5, 97, 50)
    near(rgb(out, 2), blend(100, MASK_COLOURS.fn, 0.5)); // 127 is below: FN -> (93, 140, 166.5)
    expect(rgb(out, 3)).toEqual([100, 100, 100]); // TN stays grey
    near(rgb(out, 4), blend(100, MASK_COLOURS.tp, 0.5));
    expect(out[3]).toBe(255);
  });

  it('moves pixels between classes when the threshold moves', () => {
    const out = composeMaskImage(image, probs, truth, 1, 5, opts({ threshold: 0.6, opacity: 1 }));
    expect(rgb(out, 1)).toEqual([100, 100, 100]); // 128 is no longer salt: TN
    expect(rgb(out, 4)).toEqual([...MASK_COLOURS.fn]); // salt missed now
    expect(rgb(out, 0)).toEqual([...MASK_COLOURS.tp]);
  });

  it('draws the prediction alone in its own colour when there is no truth or the truth is hidden', () => {
    for (const t of [null, truth]) {
      const out = composeMaskImage(image, probs, t, 1, 5, opts({ threshold: 0.5, opacity: 1, showTruth: false }));
      expect(rgb(out, 0)).toEqual([...MASK_COLOURS.pred]);
      expect(rgb(out, 2)).toEqual([100, 100, 100]);
    }
    const truthOnly = composeMaskImage(image, probs, truth, 1, 5, opts({ opacity: 1, showPrediction: false }));
    expect(rgb(truthOnly, 2)).toEqual([...MASK_COLOURS.truth]);
    expect(rgb(truthOnly, 1)).toEqual([100, 100, 100]);
  });

  it('in contour mode colours only the outline of each region, at full strength', () => {
    // 5x5, a 3x3 predicted-and-true block in the middle: its ring is outline, its centre is not.
    const h = 5;
    const w = 5;
    const img = new Uint8Array(25).fill(60);
    const t = new Uint8Array(25);
    const p = new Uint8Array(25);
    for (let y = 1; y <= 3; y++) for (let x = 1; x <= 3; x++) t[y * w + x] = p[y * w + x] = 255;
    const out = composeMaskImage(img, p, t, h, w, opts({ mode: 'contour', opacity: 0.3 }));
    expect(rgb(out, 2 * w + 2)).toEqual([60, 60, 60]);
    expect(rgb(out, 1 * w + 1)).toEqual([...MASK_COLOURS.tp]);
    expect(rgb(out, 3 * w + 2)).toEqual([...MASK_COLOURS.tp]);
    expect(rgb(out, 0)).toEqual([60, 60, 60]);
  });

  it('lays the heat map under the classes', () => {
    const out = composeMaskImage(new Uint8Array([0]), new Uint8Array([0]), null, 1, 1, opts({ showHeat: true, showPrediction: false, opacity: 1 }));
    expect(rgb(out, 0)).toEqual([...heatColour(0)]);
    expect(heatColour(0)).toEqual([0, 0, 4]);
    expect(heatColour(1)).toEqual([252, 255, 164]);
    // Halfway between the 2nd and 3rd stops of five: p = 0.375.
    expect(heatColour(0.375)).toEqual([Math.round((87 + 188) / 2), Math.round((16 + 55) / 2), Math.round((110 + 84) / 2)]);
  });

  it('refuses buffers of the wrong size, naming which', () => {
    expect(() => composeMaskImage(new Uint8Array(3), new Uint8Array(4), null, 2, 2, DEFAULT_DRAW)).toThrow(/image has 3 bytes/);
    expect(() => composeMaskImage(new Uint8Array(4), new Uint8Array(4), new Uint8Array(2), 2, 2, DEFAULT_DRAW)).toThrow(/truth has 2 bytes/);
  });

  it('says in the legend what the colours mean', () => {
    expect(maskLegend(DEFAULT_DRAW, true).map((l) => l.label)).toEqual(['true positive', 'false positive', 'false negative (missed)']);
    expect(maskLegend(DEFAULT_DRAW, false).map((l) => l.label)).toEqual(['predicted salt']);
  });
});
