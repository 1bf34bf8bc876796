import * as tf from '@tensorflow/tfjs-core';
import { checkerboardScore, type CHECKERBOARD_METRICS } from '../../shared/analysis';
import { scoreSet, thresholdSweep } from '../../shared/metrics';
import type { TrainingData } from './data';
import { saltTermOf } from './batchGradients';
import { saltPresenceLoss, withSaltTerm, type LossFn } from './losses';
import type { UNetModel } from './model';
import { readComputed } from './read';

/** A validation pass: its metrics and the probabilities it produced (uint8, p*255 rounded). */
export interface ValidationResult {
  metrics: {
    valLoss: number;
    valIoU: number;
    valPixelIoU: number;
    valScore: number;
    bestThreshold: number;
    valBestScore: number;
    valEmptyScore: number;
    valNonEmptyScore: number;
    /** The checkerboard score of the predicted maps: period-2 amplitude over the whole maps (CheckerboardScore.score). */
    valNyquistAmplitude: number;
    /** Its shape ratio: Nyquist over high-frequency energy (CheckerboardScore.shapeRatio; an older Strata's `valCheckerboard`). */
    valNyquistShape: number;
    /** With a salt head: share of images whose salt probability is on the right side of 0.5. */
    valSaltAccuracy?: number;
    /** With a salt head: the mean cross-entropy of its logits, unweighted (`valLoss` includes it weighted). */
    valSaltLoss?: number;
    /** With a salt head: its ROC AUC (see {@link saltAUC}); NaN when the images are all of one kind. */
    valSaltAUC?: number;
  };
  probs: Uint8Array;
  /** With a salt head: each image's probability that it has salt, in the split's order; else null. */
  saltProbs: Float32Array | null;
}

/**
 * Runs the model in inference mode over the validation split. `valLoss` is the training objective
 * (with a salt head, its weighted term included, as in `trainLoss`). `valScore` is the competition score at
 * threshold 0.5 (what the run is selected by, so a threshold tuned on the same images does not flatter
 * it); the sweep's best threshold and its score are reported beside it. Each batch is read back in one
 * transfer: its loss, with a salt head its salt loss and probabilities, and its rounded probabilities.
 */
export async function validate(model: UNetModel, loss: LossFn, data: TrainingData): Promise<ValidationResult> {
  const { height: h, width: w } = data;
  const n = data.valIds.length;
  const probs = new Uint8Array(n * h * w);
  const truths = new Uint8Array(n * h * w);
  const saltProbs = model.saltHead ? new Float32Array(n) : null;
  let lossSum = 0;
  let saltLossSum = 0;
  for (const b of data.valBatches()) {
    // [loss, (salt loss, salt probabilities), round(p * 255)...]: integers to 255 are exact in float32.
    const out = await readComputed(() => {
      const xt = tf.tensor4d(b.x, b.shape);
      const yt = tf.tensor4d(b.y, [b.count, h, w, 1]);
      const { mask: logits, salt } = model.forwardAll(xt, false);
      const p = tf.sigmoid(logits);
      const l = tf.reshape(withSaltTerm(loss(yt, p, { logits }), yt, saltTermOf(model, salt)), [1]);
      const q = tf.reshape(tf.round(tf.mul(p, 255)), [-1]);
      if (!saltProbs) return tf.concat([l, q]);
      if (!salt) throw new Error('validate: the salt head gave no output');
      return tf.concat([l, tf.reshape(saltPresenceLoss(yt, salt), [1]), tf.sigmoid(salt), q]);
    });
    lossSum += (out[0] ?? NaN) * b.count;
    probs.set(out.subarray(saltProbs ? 2 + b.count : 1), b.offset * h * w);
    for (let i = 0; i < b.y.length; i++) truths[b.offset * h * w + i] = b.y[i] ? 1 : 0;
    if (saltProbs) {
      saltProbs.set(out.subarray(2, 2 + b.count), b.offset);
      saltLossSum += (out[1] ?? NaN) * b.count;
    }
  }
  if (n === 0) {
    return {
      metrics: { valLoss: NaN, valIoU: NaN, valPixelIoU: NaN, valScore: NaN, bestThreshold: 0.5, valBestScore: NaN, valEmptyScore: NaN, valNonEmptyScore: NaN, valNyquistAmplitude: NaN, valNyquistShape: NaN },
      probs,
      saltProbs,
    };
  }
  const set = { truths, probs, n, h, w };
  const at = scoreSet({ ...set, threshold: 0.5 });
  const sweep = thresholdSweep(set);
  return {
    saltProbs,
    metrics: {
      ...(saltProbs ? { valSaltAccuracy: saltAccuracy(truths, saltProbs, h * w), valSaltLoss: saltLossSum / n, valSaltAUC: saltAUC(truths, saltProbs, h * w) } : {}),
      valLoss: lossSum / n,
      valIoU: at.meanIoU,
      valPixelIoU: at.pixelIoU,
      valScore: at.score,
      bestThreshold: sweep.best.threshold,
      valBestScore: sweep.best.score,
      valEmptyScore: at.emptyScore ?? NaN,
      valNonEmptyScore: at.nonEmptyScore ?? NaN,
      ...predictedCheckerboard(probs, n, h, w),
    },
    probs,
  };
}

/** Share of images whose salt probability is on the side of 0.5 their mask says (any salt pixel: above). */
export function saltAccuracy(truths: Uint8Array, saltProbs: Float32Array, px: number): number {
  const n = saltProbs.length;
  let right = 0;
  for (let k = 0; k < n; k++) {
    const hasSalt = truths.subarray(k * px, (k + 1) * px).some((v) => v !== 0);
    const p = saltProbs[k] ?? NaN;
    if (hasSalt ? p > 0.5 : p <= 0.5) right++;
  }
  return n === 0 ? NaN : right / n;
}

/**
 * The salt head's ROC AUC: the chance that an image with salt gets a higher salt probability than an
 * image without, ties counting one half (the Mann-Whitney statistic over the two kinds). Unlike the
 * accuracy it does not depend on the 0.5 cut, so it says how well the head can vote at any cut the
 * tuner picks. NaN when every image is of one kind.
 */
export function saltAUC(truths: Uint8Array, saltProbs: Float32Array, px: number): number {
  const n = saltProbs.length;
  const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => (saltProbs[a] ?? 0) - (saltProbs[b] ?? 0));
  let salty = 0;
  let rankSum = 0;
  // Ranks from 1, each run of equal probabilities taking their mean rank.
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && saltProbs[order[j + 1] as number] === saltProbs[order[i] as number]) j++;
    const rank = (i + j + 2) / 2;
    for (let r = i; r <= j; r++) {
      const k = order[r] as number;
      if (truths.subarray(k * px, (k + 1) * px).some((v) => v !== 0)) {
        salty++;
        rankSum += rank;
      }
    }
    i = j + 1;
  }
  const empty = n - salty;
  if (salty === 0 || empty === 0) return NaN;
  return (rankSum - (salty * (salty + 1)) / 2) / (salty * empty);
}

/** Predicted maps scored for checkerboard artefacts: evenly spaced ones, enough for a stable figure at little cost. */
const CHECKERBOARD_MAPS = 64;

function predictedCheckerboard(probs: Uint8Array, n: number, h: number, w: number) {
  const count = Math.min(n, CHECKERBOARD_MAPS);
  const px = h * w;
  const maps = new Float32Array(count * px);
  for (let k = 0; k < count; k++) {
    const i = Math.floor((k * n) / count);
    for (let p = 0; p < px; p++) maps[k * px + p] = (probs[i * px + p] ?? 0) / 255;
  }
  const c = checkerboardScore(maps, h, w, count);
  // satisfies: the names are the ones the monitor and reports read (epochCheckerboard).
  return { valNyquistAmplitude: c.score, valNyquistShape: c.shapeRatio } satisfies Record<(typeof CHECKERBOARD_METRICS)['score' | 'shapeRatio'], number>;
}
