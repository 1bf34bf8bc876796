import { describe, expect, it } from 'vitest';
import { assembleDataset } from '../../src-main/data/dataset';
import { computeNormStats } from '../../src-main/data/normalize';

// Three 2x2 images: A = 0, 51, 102, 153 (x/255 = 0, .2, .4, .6); B = all 255; C = all 0.
const ds = assembleDataset(
  { name: 'norm', source: { kind: 'demo', seed: 0, count: 3 }, synthetic: true, problems: [] },
  ['A', 'B', 'C'],
  2,
  2,
  Uint8Array.from([0, 51, 102, 153, 255, 255, 255, 255, 0, 0, 0, 0]),
  null,
  null,
);

describe('computeNormStats', () => {
  it('uses only the training images (hand-computed)', () => {
    // A alone: mean .3, variance (.09 + .01 + .01 + .09) / 4 = .05.
    const a = computeNormStats(ds, [0]);
    expect(a.mean).toBeCloseTo(0.3, 12);
    expect(a.std).toBeCloseTo(Math.sqrt(0.05), 12);
    // A and B: values 0 .2 .4 .6 1 1 1 1 -> mean .65; squares .4225 .2025 .0625 .0025 + 4 * .1225 = 1.18 / 8.
    const ab = computeNormStats(ds, [0, 1]);
    expect(ab.mean).toBeCloseTo(0.65, 12);
    expect(ab.std).toBeCloseTo(Math.sqrt(1.18 / 8), 12);
    // Adding the (validation) image C would change them: it must not leak in.
    expect(computeNormStats(ds, [0, 1, 2]).mean).not.toBeCloseTo(ab.mean, 3);
  });

  it('gives std 1 for constant data and rejects empty or out-of-range splits', () => {
    expect(computeNormStats(ds, [1])).toEqual({ mean: 1, std: 1 });
    expect(() => computeNormStats(ds, [])).toThrow(/empty training split/);
    expect(() => computeNormStats(ds, [3])).toThrow(/training index 3 is outside the dataset/);
  });
});
