import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core alone registers no gradients; the union package normally imports this.
import '@tensorflow/tfjs';
import {
  LOSSES,
  LOSS_NAMES,
  LossShapeError,
  UnknownLossError,
  batchIoULoss,
  bceLoss,
  bceLovaszLoss,
  lossOfConfig,
  lovaszHingeLoss,
  makeLoss,
  perImageIoULoss,
  type LossFn,
  type LossOptions,
} from '../../src-main/training/losses';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A batch of 2x2 images [B, 2, 2, 1] from flat per-image pixel lists. */
const batch = (...images: number[][]): tf.Tensor4D => tf.tensor4d(images.flat(), [images.length, 2, 2, 1]);
const value = (t: tf.Tensor): number => t.dataSync()[0] ?? Number.NaN;

// Image A: truth 1 0 0 1, probs .5 .5 0 1 -> I = .5 + 1 = 1.5; U = 1 + .5 + 0 + 1 = 2.5
const A_TRUE = [1, 0, 0, 1];
const A_PRED = [0.5, 0.5, 0, 1];
// Image B: empty truth, probs .25 each -> I = 0; U = 1
const B_TRUE = [0, 0, 0, 0];
const B_PRED = [0.25, 0.25, 0.25, 0.25];

describe('batchIoULoss', () => {
  it('is 1 - I/U over all pixels of the batch (hand-computed)', () => {
    expect(value(batchIoULoss(batch(A_TRUE), batch(A_PRED)))).toBeCloseTo(1 - 1.5 / 2.5, 5);
    // pooled: I = 1.5, U = 2.5 + 1 = 3.5 (not the mean of per-image losses .4 and 1)
    expect(value(batchIoULoss(batch(A_TRUE, B_TRUE), batch(A_PRED, B_PRED)))).toBeCloseTo(1 - 1.5 / 3.5, 5);
  });
  it('defines the empty cases', () => {
    // nothing true, nothing predicted: (0 + eps)/(0 + eps) -> loss exactly 0
    expect(value(batchIoULoss(batch(B_TRUE), batch([0, 0, 0, 0])))).toBe(0);
    // nothing true, something predicted: 1 - eps/(1 + eps) ~ 1
    expect(value(batchIoULoss(batch(B_TRUE), batch(B_PRED)))).toBeCloseTo(1, 5);
    // salt, nothing predicted: I = 0, U = 1 -> ~ 1
    expect(value(batchIoULoss(batch([1, 0, 0, 0]), batch([0, 0, 0, 0])))).toBeCloseTo(1, 5);
    // perfect prediction
    expect(value(batchIoULoss(batch(A_TRUE), batch(A_TRUE)))).toBeCloseTo(0, 6);
  });
  it('has the hand-derived gradient -1/U on salt pixels and I/U^2 elsewhere', () => {
    // d(1 - I/U)/dp = -(y U - I (1 - y)) / U^2: salt -1/2.5 = -.4, background 1.5/6.25 = .24
    const g = tf.grad((p: tf.Tensor) => batchIoULoss(batch(A_TRUE), p))(batch(A_PRED));
    const d = Array.from(g.dataSync());
    [-0.4, 0.24, 0.24, -0.4].forEach((e, i) => expect(d[i]).toBeCloseTo(e, 5));
  });
  it('matches a central finite difference on a [2,3,3] batch', () => {
    const yt = tf.tensor3d([1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1], [2, 3, 3]);
    const pv = [0.7, 0.4, 0.2, 0.1, 0.9, 0.3, 0.05, 0.5, 0.15, 0.2, 0.1, 0.3, 0.6, 0.8, 0.55, 0.25, 0.45, 0.65];
    const g = Array.from(tf.grad((p: tf.Tensor) => batchIoULoss(yt, p))(tf.tensor3d(pv, [2, 3, 3])).dataSync());
    const h = 1e-3;
    pv.forEach((_, i) => {
      const plus = pv.map((v, j) => (j === i ? v + h : v));
      const minus = pv.map((v, j) => (j === i ? v - h : v));
      const fd =
        (value(batchIoULoss(yt, tf.tensor3d(plus, [2, 3, 3]))) - value(batchIoULoss(yt, tf.tensor3d(minus, [2, 3, 3])))) /
        (2 * h);
      expect(Math.abs((g[i] ?? Number.NaN) - fd)).toBeLessThan(2e-3);
    });
  });
});

describe('perImageIoULoss', () => {
  it('averages 1 - (I + .62)/(U + .62) over images (hand-computed)', () => {
    // A: 1 - 2.12/3.12 = .320513; B: 1 - .62/1.62 = .617284; mean .468898
    const a = 1 - 2.12 / 3.12;
    const b = 1 - 0.62 / 1.62;
    expect(value(perImageIoULoss(batch(A_TRUE), batch(A_PRED)))).toBeCloseTo(a, 5);
    expect(value(perImageIoULoss(batch(A_TRUE, B_TRUE), batch(A_PRED, B_PRED)))).toBeCloseTo((a + b) / 2, 5);
  });
  it('defines the empty cases', () => {
    expect(value(perImageIoULoss(batch(B_TRUE), batch([0, 0, 0, 0])))).toBe(0);
    // empty truth, predicted sum 1: 1 - .62/1.62
    expect(value(perImageIoULoss(batch(B_TRUE), batch(B_PRED)))).toBeCloseTo(1 - 0.62 / 1.62, 5);
    // salt pixel missed: I = 0, U = 1, the same number
    expect(value(perImageIoULoss(batch([1, 0, 0, 0]), batch([0, 0, 0, 0])))).toBeCloseTo(1 - 0.62 / 1.62, 5);
  });
  it('takes eps from the options and from makeLoss', () => {
    // eps 1 on B: 1 - 1/2
    expect(value(perImageIoULoss(batch(B_TRUE), batch(B_PRED), { eps: 1 }))).toBeCloseTo(0.5, 6);
    expect(value(makeLoss('per-image-iou', { eps: 1 })(batch(B_TRUE), batch(B_PRED)))).toBeCloseTo(0.5, 6);
    // a per-call eps wins over the bound one: eps 3 -> 1 - 3/4
    expect(value(makeLoss('per-image-iou', { eps: 1 })(batch(B_TRUE), batch(B_PRED), { eps: 3 }))).toBeCloseTo(0.25, 6);
  });
});

describe('lovaszHingeLoss', () => {
  // Image C: truth 1 0 1 0, logits 2 -1 -.5 1 -> signs + - + -, errors 1 - logit*sign = -1 0 1.5 2.
  // Sorted descending: 2 (gt 0), 1.5 (gt 1), 0 (gt 0), -1 (gt 1). gts = 2;
  // intersection 2 - cumsum(gt) = 2 1 1 0; union 2 + cumsum(1 - gt) = 3 3 4 4;
  // jaccard 1 - I/U = 1/3 2/3 3/4 1; lovasz_grad = 1/3 1/3 1/12 1/4;
  // loss = 2/3 + 1.5/3 + 0 + 0 = 3.5/3.
  const C_TRUE = [1, 0, 1, 0];
  const C_LOGITS = [2, -1, -0.5, 1];
  const C_LOSS = 3.5 / 3;
  const sigmoid = (xs: number[]): number[] => xs.map((x) => 1 / (1 + Math.exp(-x)));

  it('matches the hand-computed value with given logits', () => {
    const logits = batch(C_LOGITS);
    expect(value(lovaszHingeLoss(batch(C_TRUE), tf.sigmoid(logits), { logits }))).toBeCloseTo(C_LOSS, 5);
  });
  it('recovers the logits from probabilities when none are given', () => {
    expect(value(lovaszHingeLoss(batch(C_TRUE), batch(sigmoid(C_LOGITS))))).toBeCloseTo(C_LOSS, 4);
  });
  it('has the hand-derived gradient with respect to the logits', () => {
    // dL/d errors_sorted = grad * relu'(e) = 1/3 1/3 0 0 (relu'(0) = 0); d error/d logit = -sign:
    // pixel 3 (gt 0): +1/3, pixel 2 (gt 1): -1/3, pixels 1 and 0: 0
    const yt = batch(C_TRUE);
    const g = tf.grad((l: tf.Tensor) => lovaszHingeLoss(yt, tf.sigmoid(l), { logits: l }))(batch(C_LOGITS));
    const d = Array.from(g.dataSync());
    [0, 0, -1 / 3, 1 / 3].forEach((e, i) => expect(d[i]).toBeCloseTo(e, 5));
  });
  it('follows the reference on empty truth: relu(1 + max logit)', () => {
    const yt = batch(B_TRUE);
    const logits = batch([-2, 0.5, -1, -3]);
    expect(value(lovaszHingeLoss(yt, tf.sigmoid(logits), { logits }))).toBeCloseTo(1.5, 5);
    // the gradient reaches only the most confident false positive
    const g = Array.from(tf.grad((l: tf.Tensor) => lovaszHingeLoss(yt, tf.sigmoid(l), { logits: l }))(logits).dataSync());
    [0, 1, 0, 0].forEach((e, i) => expect(g[i]).toBeCloseTo(e, 6));
    // confidently empty: every error 1 + logit < 0 -> loss 0
    const quiet = batch([-2, -3, -4, -5]);
    expect(value(lovaszHingeLoss(yt, tf.sigmoid(quiet), { logits: quiet }))).toBe(0);
  });
  it('penalises salt with an empty prediction', () => {
    // truth 1 1 0 0, logits all -3: errors 4 4 -2 -2; gt sorted 1 1 0 0: I 1 0 0 0, U 2 2 3 4,
    // jaccard .5 1 1 1, grad .5 .5 0 0 -> loss 4
    const logits = batch([-3, -3, -3, -3]);
    expect(value(lovaszHingeLoss(batch([1, 1, 0, 0]), tf.sigmoid(logits), { logits }))).toBeCloseTo(4, 5);
  });
  it('averages per image over the batch', () => {
    const logits = batch(C_LOGITS, [-2, 0.5, -1, -3]);
    expect(value(lovaszHingeLoss(batch(C_TRUE, B_TRUE), tf.sigmoid(logits), { logits }))).toBeCloseTo((C_LOSS + 1.5) / 2, 5);
  });
  it('rejects logits of another shape', () => {
    expect(() => lovaszHingeLoss(batch(C_TRUE), batch(C_TRUE), { logits: tf.zeros([1, 4]) })).toThrow(LossShapeError);
  });
});

describe('bceLoss and bceLovaszLoss', () => {
  it('is the mean binary cross-entropy (hand-computed)', () => {
    // truth 1 0 1 0, probs .8 .4 .5 .1: -(ln .8 + ln .6 + ln .5 + ln .9)/4
    const e = -(Math.log(0.8) + Math.log(0.6) + Math.log(0.5) + Math.log(0.9)) / 4;
    expect(value(bceLoss(batch([1, 0, 1, 0]), batch([0.8, 0.4, 0.5, 0.1])))).toBeCloseTo(e, 5);
  });
  it('clips at 1e-7 so certain mistakes cost -ln(1e-7)/pixels, and certain hits ~0', () => {
    // one salt pixel predicted 0, three background pixels predicted 0: -ln(1e-7)/4 ~ 4.03
    expect(value(bceLoss(batch([1, 0, 0, 0]), batch([0, 0, 0, 0])))).toBeCloseTo(-Math.log(1e-7) / 4, 2);
    expect(value(bceLoss(batch(B_TRUE), batch([0, 0, 0, 0])))).toBeCloseTo(0, 5);
    expect(value(bceLoss(batch(B_TRUE), batch(B_PRED)))).toBeCloseTo(-Math.log(0.75), 5);
  });
  it('from logits equals the probability form where the clip does not bite', () => {
    // logits -2, 0.5, 3, -0.4 (hand-picked): BCE from logits = mean of max(z,0) - z*y + log1p(exp(-|z|))
    const z = [-2, 0.5, 3, -0.4];
    const y = [0, 1, 1, 0];
    const byHand = z.reduce((s, zi, i) => s + Math.max(zi, 0) - zi * (y[i] ?? 0) + Math.log1p(Math.exp(-Math.abs(zi))), 0) / 4;
    const logits = batch(z);
    const probs = tf.sigmoid(logits);
    expect(value(bceLoss(batch(y), probs, { logits }))).toBeCloseTo(byHand, 6);
    expect(value(bceLoss(batch(y), probs))).toBeCloseTo(byHand, 5);
  });
  it('from logits stays finite and keeps its gradient on confidently wrong pixels (|z| = 30, 80)', () => {
    // Truth 0 where the logit is +30 or +80 (sigmoid rounds to 1 in float32), truth 1 where it is -30, -80.
    const y = batch([0, 0, 1, 1]);
    const z = batch([30, 80, -30, -80]);
    const loss = (zt: tf.Tensor) => bceLoss(y, tf.sigmoid(zt), { logits: zt });
    // The loss is |z| per pixel: (30 + 80 + 30 + 80) / 4 = 55, not the clip's -ln(1e-7) ~ 16.1.
    expect(value(loss(z))).toBeCloseTo(55, 3);
    // d/dz = (sigmoid(z) - y)/4 = +-1/4 at each pixel; through the clipped probabilities it is 0.
    const g = Array.from(tf.grad(loss)(z).dataSync());
    expect(g.map((v) => Math.round(v * 1000) / 1000)).toEqual([0.25, 0.25, -0.25, -0.25]);
    const clipped = Array.from(tf.grad((zt: tf.Tensor) => bceLoss(y, tf.sigmoid(zt)))(z).dataSync());
    expect(clipped.every((v) => Math.abs(v) < 1e-6)).toBe(true);
  });
  it('adds BCE and Lovasz', () => {
    const yt = batch([1, 0, 1, 0]);
    const yp = batch([0.8, 0.4, 0.5, 0.1]);
    expect(value(bceLovaszLoss(yt, yp))).toBeCloseTo(value(bceLoss(yt, yp)) + value(lovaszHingeLoss(yt, yp)), 5);
  });
});

describe('bce-lovasz with a Lovasz weight', () => {
  // Image C of the Lovasz tests: truth 1 0 1 0, logits 2 -1 -.5 1; its Lovasz hinge is 3.5/3 (worked out there).
  // BCE from the logits, max(z,0) - z*y + ln(1 + e^-|z|) per pixel:
  // z 2, y 1: ln(1 + e^-2) = .126928; z -1, y 0: ln(1 + e^-1) = .313262;
  // z -.5, y 1: .5 + ln(1 + e^-.5) = .974077; z 1, y 0: 1 + ln(1 + e^-1) = 1.313262; mean .681882.
  const BCE = 0.681882;
  const LOVASZ = 3.5 / 3;
  const yt = () => batch([1, 0, 1, 0]);
  const logits = () => batch([2, -1, -0.5, 1]);
  const at = (fn: LossFn, options: Omit<LossOptions, 'logits'> = {}) => {
    const z = logits();
    return value(fn(yt(), tf.sigmoid(z), { logits: z, ...options }));
  };

  it('is BCE + w x Lovasz: hand-worked at w = 0, 1 (the default) and 2', () => {
    expect(at(bceLovaszLoss, { lovaszWeight: 0 })).toBeCloseTo(BCE, 5);
    expect(at(bceLovaszLoss)).toBeCloseTo(BCE + LOVASZ, 5);
    expect(at(bceLovaszLoss, { lovaszWeight: 1 })).toBeCloseTo(1.848549, 5);
    expect(at(bceLovaszLoss, { lovaszWeight: 2 })).toBeCloseTo(3.015215, 5);
    // The same tensors through the parts: w = 0 is BCE exactly, w = 2 is bce + 2 x lovasz.
    expect(at(bceLovaszLoss, { lovaszWeight: 0 })).toBe(at(bceLoss));
    expect(at(bceLovaszLoss, { lovaszWeight: 2 })).toBeCloseTo(at(bceLoss) + 2 * at(lovaszHingeLoss), 6);
  });

  it('weighs the gradient too: w = 0 has BCE\'s, w = 2 adds twice the Lovasz gradient', () => {
    const grad = (fn: LossFn, w?: number) =>
      Array.from(tf.grad((z: tf.Tensor) => fn(yt(), tf.sigmoid(z), { logits: z, ...(w === undefined ? {} : { lovaszWeight: w }) }))(logits()).dataSync());
    const bce = grad(bceLoss);
    const lov = grad(lovaszHingeLoss);
    expect(grad(bceLovaszLoss, 0)).toEqual(bce);
    // Lovasz's gradient on image C is 0 0 -1/3 1/3 (worked out above): a weight of 2 doubles it.
    grad(bceLovaszLoss, 2).forEach((g, i) => expect(g).toBeCloseTo((bce[i] ?? NaN) + 2 * (lov[i] ?? NaN), 6));
    expect(grad(bceLovaszLoss, 2)[3]).toBeCloseTo((bce[3] ?? NaN) + 2 / 3, 6);
  });

  it('is bound from a run\'s config.loss by lossOfConfig, for bce-lovasz only', () => {
    expect(at(lossOfConfig({ name: 'bce-lovasz', lovaszWeight: 0 }))).toBeCloseTo(BCE, 5);
    expect(at(lossOfConfig({ name: 'bce-lovasz', lovaszWeight: 2 }))).toBeCloseTo(BCE + 2 * LOVASZ, 5);
    expect(at(lossOfConfig({ name: 'bce-lovasz', lovaszWeight: 1 }))).toBeCloseTo(BCE + LOVASZ, 5);
    // makeLoss binds it as well; a per-call weight still wins.
    expect(at(makeLoss('bce-lovasz', { lovaszWeight: 2 }))).toBeCloseTo(BCE + 2 * LOVASZ, 5);
    expect(at(makeLoss('bce-lovasz', { lovaszWeight: 2 }), { lovaszWeight: 0 })).toBeCloseTo(BCE, 5);
    // Another loss ignores the weight (the schema refuses a weight other than 1 for it).
    expect(at(lossOfConfig({ name: 'bce', lovaszWeight: 1 }))).toBeCloseTo(BCE, 5);
    expect(at(lossOfConfig({ name: 'per-image-iou', eps: 1, lovaszWeight: 1 }))).toBeCloseTo(at(perImageIoULoss, { eps: 1 }), 6);
  });

  it('refuses a negative or non-finite weight by name', () => {
    expect(() => at(bceLovaszLoss, { lovaszWeight: -1 })).toThrow('bceLovaszLoss: the Lovasz weight must be a number of at least 0, got -1');
    expect(() => at(bceLovaszLoss, { lovaszWeight: Number.NaN })).toThrow(/got NaN/);
  });
});

describe('all losses', () => {
  const cases: [string, number[][], number[][]][] = [
    ['mixed batch', [A_TRUE, B_TRUE], [A_PRED, B_PRED]],
    ['saturated 0/1 predictions', [A_TRUE, [1, 1, 0, 0]], [[1, 0, 0, 1], [0, 1, 1, 0]]],
    ['all empty', [B_TRUE, B_TRUE], [[0, 0, 0, 0], [0, 0, 0, 0]]],
  ];
  for (const name of LOSS_NAMES) {
    it(`${name}: finite value and gradient, no leaked tensors`, () => {
      const fn: LossFn = LOSSES[name].fn;
      expect(LOSSES[name].description.length).toBeGreaterThan(0);
      for (const [, t, p] of cases) {
        const yt = batch(...t);
        const yp = batch(...p);
        const before = tf.memory().numTensors;
        const loss = fn(yt, yp);
        expect(tf.memory().numTensors).toBe(before + 1);
        expect(loss.shape).toEqual([]);
        expect(Number.isFinite(value(loss))).toBe(true);
        const g = tf.grad((x: tf.Tensor) => fn(yt, x))(yp);
        expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
        tf.dispose([loss, g, yt, yp]);
      }
    });
  }
  it('accepts [B,H,W] as well as [B,H,W,1]', () => {
    const t3 = tf.tensor3d(A_TRUE, [1, 2, 2]);
    const p3 = tf.tensor3d(A_PRED, [1, 2, 2]);
    for (const name of LOSS_NAMES) {
      expect(value(LOSSES[name].fn(t3, p3))).toBeCloseTo(value(LOSSES[name].fn(batch(A_TRUE), batch(A_PRED))), 6);
    }
  });
  it('rejects mismatched or multi-channel shapes and unknown names', () => {
    expect(() => batchIoULoss(tf.zeros([1, 2, 2, 1]), tf.zeros([1, 2, 3, 1]))).toThrow(LossShapeError);
    expect(() => bceLoss(tf.zeros([1, 2, 2, 2]), tf.zeros([1, 2, 2, 2]))).toThrow(/one channel/);
    expect(() => perImageIoULoss(tf.zeros([4]), tf.zeros([4]))).toThrow(LossShapeError);
    expect(() => makeLoss('dice')).toThrow(UnknownLossError);
    expect(() => makeLoss('dice')).toThrow(/batch-iou/);
  });
});
