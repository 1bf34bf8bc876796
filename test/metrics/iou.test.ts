import { describe, it, expect } from 'vitest';
import { confusion, imageIoU, pixelIoU } from '../../shared/metrics/iou';
import { byteCut, floatCut, predictMask, probAt } from '../../shared/metrics/probs';
import { MetricInputError } from '../../shared/metrics/errors';

const u8 = (...v: number[]): Uint8Array => Uint8Array.from(v);
const f32 = (...v: number[]): Float32Array => Float32Array.from(v);

describe('imageIoU', () => {
  it('counts intersection over union on a 3x3 mask', () => {
    // truth: 4 pixels (0,1,3,4); pred: 3 pixels (1,4,5). I = {1,4} = 2; U = {0,1,3,4,5} = 5 -> 0.4
    const truth = u8(1, 1, 0, 1, 1, 0, 0, 0, 0);
    const pred = u8(0, 1, 0, 0, 1, 1, 0, 0, 0);
    expect(imageIoU(truth, pred)).toBe(2 / 5);
  });
  it('applies the empty rules: both empty 1, one empty 0', () => {
    expect(imageIoU(u8(0, 0, 0, 0), u8(0, 0, 0, 0))).toBe(1);
    expect(imageIoU(u8(0, 0, 0, 0), u8(0, 1, 0, 0))).toBe(0);
    expect(imageIoU(u8(1, 0, 0, 0), u8(0, 0, 0, 0))).toBe(0);
  });
  it('treats any non-zero byte as salt (masks decoded as 255)', () => {
    expect(imageIoU(u8(255, 0), u8(1, 0))).toBe(1);
  });
  it('rejects masks of different lengths with a MetricInputError naming the function', () => {
    expect(() => imageIoU(u8(1, 0), u8(1))).toThrow(MetricInputError);
    expect(() => imageIoU(u8(1, 0), u8(1))).toThrow(/imageIoU/);
  });
});

describe('pixelIoU', () => {
  it('pools intersections and unions over the set, unlike the mean of IoUs', () => {
    // image A: I=2, U=5 (IoU .4); image B: I=0, U=1 (IoU 0); pooled 2/6, mean would be .2
    const tA = u8(1, 1, 0, 1, 1, 0, 0, 0, 0);
    const pA = u8(0, 1, 0, 0, 1, 1, 0, 0, 0);
    const tB = u8(0, 0, 0, 0, 0, 0, 0, 0, 0);
    const pB = u8(0, 0, 0, 0, 0, 0, 0, 0, 1);
    expect(pixelIoU([tA, tB], [pA, pB])).toBe(2 / 6);
    // The same set as one flat array gives the same number.
    expect(pixelIoU(u8(...tA, ...tB), u8(...pA, ...pB))).toBe(2 / 6);
  });
  it('is 1 for a set without salt in truth or prediction', () => {
    expect(pixelIoU([u8(0, 0), u8(0, 0)], [u8(0, 0), u8(0, 0)])).toBe(1);
  });
  it('rejects lists of different image counts', () => {
    expect(() => pixelIoU([u8(0)], [u8(0), u8(0)])).toThrow(MetricInputError);
  });
});

describe('confusion', () => {
  it('counts tp/fp/fn/tn with prob > threshold', () => {
    // truth 1 1 0 0 / prob .9 .5 .5 .1 at .5: .9 -> TP, .5 (not > .5) -> FN, .5 -> TN, .1 -> TN
    expect(confusion(u8(1, 1, 0, 0), f32(0.9, 0.5, 0.5, 0.1), 0.5)).toEqual({ tp: 1, fp: 0, fn: 1, tn: 2 });
    // at .4 both .5s are predicted: TP, TP, FP, TN
    expect(confusion(u8(1, 1, 0, 0), f32(0.9, 0.5, 0.5, 0.1), 0.4)).toEqual({ tp: 2, fp: 1, fn: 0, tn: 1 });
  });
  it('reads a Uint8Array of probabilities as quantised 0..255', () => {
    // 128/255 = .502 > .5 -> predicted; 127/255 = .498 -> not
    expect(confusion(u8(1, 1, 0, 0), u8(128, 127, 128, 0), 0.5)).toEqual({ tp: 1, fp: 1, fn: 1, tn: 1 });
  });
});

describe('probability encodings', () => {
  it('finds the first byte strictly above a threshold', () => {
    expect(byteCut(0.5)).toBe(128); // 127/255 = .498, 128/255 = .502
    expect(byteCut(0.2)).toBe(52); // 51/255 is exactly .2, which is not > .2
    expect(byteCut(1)).toBe(256); // nothing exceeds 1
    expect(byteCut(-1)).toBe(0);
  });
  it('compares floats with the threshold rounded to float32, so a stored 0.3 is not above 0.3', () => {
    expect(Math.fround(0.3)).toBeGreaterThan(0.3); // the reason for floatCut
    expect(floatCut(0.3)).toBe(Math.fround(0.3));
    expect(Array.from(predictMask(f32(0.3, 0.30001, 0.29999), 0.3))).toEqual([0, 1, 0]);
  });
  it('decodes bytes and floats alike in probAt', () => {
    expect(probAt(u8(0, 51, 255), 1)).toBe(0.2);
    expect(probAt(f32(0.25), 0)).toBe(0.25);
  });
  it('writes into a given output array', () => {
    const out = new Uint8Array(3);
    expect(predictMask(u8(0, 200, 255), 0.5, out)).toBe(out);
    expect(Array.from(out)).toEqual([0, 1, 1]);
  });
});
