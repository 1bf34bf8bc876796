import * as tf from '@tensorflow/tfjs-core';
import { checkerboardScore } from '../../shared/analysis';
import { scoreSet, thresholdSweep } from '../../shared/metrics';
import type { TrainingData } from './data';
import type { LossFn } from './losses';
import type { UNetModel } from './model';

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
    /** The checkerboard score (share of high-frequency energy at Nyquist) of the predicted maps. */
    valCheckerboard: number;
  };
  probs: Uint8Array;
}

/**
 * Runs the model in inference mode over the validation split. `valScore` is the competition score at
 * threshold 0.5 (what the run is selected by, so a threshold tuned on the same images does not flatter
 * it); the sweep's best threshold and its score are reported beside it.
 */
export function validate(model: UNetModel, loss: LossFn, data: TrainingData): ValidationResult {
  const { height: h, width: w } = data;
  const n = data.valIds.length;
  const probs = new Uint8Array(n * h * w);
  const truths = new Uint8Array(n * h * w);
  let lossSum = 0;
  for (const b of data.valBatches()) {
    const out = tf.tidy(() => {
      const xt = tf.tensor4d(b.x, b.shape);
      const yt = tf.tensor4d(b.y, [b.count, h, w, 1]);
      const logits = model.forward(xt, false);
      const p = tf.sigmoid(logits);
      return { l: loss(yt, p, { logits }), q: tf.cast(tf.round(tf.mul(p, 255)), 'int32') };
    });
    lossSum += (out.l.dataSync()[0] ?? NaN) * b.count;
    probs.set(out.q.dataSync() as Int32Array, b.offset * h * w);
    for (let i = 0; i < b.y.length; i++) truths[b.offset * h * w + i] = b.y[i] ? 1 : 0;
    tf.dispose([out.l, out.q]);
  }
  if (n === 0) {
    return {
      metrics: { valLoss: NaN, valIoU: NaN, valPixelIoU: NaN, valScore: NaN, bestThreshold: 0.5, valBestScore: NaN, valEmptyScore: NaN, valNonEmptyScore: NaN, valCheckerboard: NaN },
      probs,
    };
  }
  const set = { truths, probs, n, h, w };
  const at = scoreSet({ ...set, threshold: 0.5 });
  const sweep = thresholdSweep(set);
  return {
    metrics: {
      valLoss: lossSum / n,
      valIoU: at.meanIoU,
      valPixelIoU: at.pixelIoU,
      valScore: at.score,
      bestThreshold: sweep.best.threshold,
      valBestScore: sweep.best.score,
      valEmptyScore: at.emptyScore ?? NaN,
      valNonEmptyScore: at.nonEmptyScore ?? NaN,
      valCheckerboard: predictedCheckerboard(probs, n, h, w),
    },
    probs,
  };
}

/** Predicted maps scored for checkerboard artefacts: evenly spaced ones, enough for a stable figure at little cost. */
const CHECKERBOARD_MAPS = 64;

function predictedCheckerboard(probs: Uint8Array, n: number, h: number, w: number): number {
  const count = Math.min(n, CHECKERBOARD_MAPS);
  const px = h * w;
  const maps = new Float32Array(count * px);
  for (let k = 0; k < count; k++) {
    const i = Math.floor((k * n) / count);
    for (let p = 0; p < px; p++) maps[k * px + p] = (probs[i * px + p] ?? 0) / 255;
  }
  return checkerboardScore(maps, h, w, count).score;
}
