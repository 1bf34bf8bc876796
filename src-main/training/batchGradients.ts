import * as tf from '@tensorflow/tfjs-core';
import { withSaltTerm, type LossFn, type SaltTerm } from './losses';
import type { UNetModel } from './model';
import { readComputed } from './read';

/**
 * One batch's loss (with a salt head, the mask loss plus its weighted term) and gradients in
 * training mode, with the hard (p > 0.5) intersection and union of its masks.
 */
export interface BatchGradients {
  loss: number;
  /** By engine variable name, as tf.variableGrads returns them; the caller owns and disposes them. */
  grads: tf.NamedTensorMap;
  intersection: number;
  union: number;
}

/**
 * The one forward-and-backward pass every training path uses (a step, a micro-batch, the gradient
 * probe): inputs [n, h, w, c] and 0/1 targets [n, h, w] from plain arrays, BN on batch statistics
 * (its moving-average updates are queued for the caller to commit or discard). The loss, intersection
 * and union come back in one read (one GPU-to-CPU transfer a pass); if that read fails, the gradients
 * are released before the error goes on.
 */
export async function batchGradients(model: UNetModel, loss: LossFn, x: Float32Array, y: Float32Array, shape: [number, number, number, number]): Promise<BatchGradients> {
  const [n, h, w] = shape;
  let stats: tf.Tensor1D | null = null;
  const { value, grads } = tf.tidy(() => {
    const xt = tf.tensor4d(x, shape);
    const yt = tf.tensor4d(y, [n, h, w, 1]);
    return tf.variableGrads(() => {
      // With a salt head its weighted cross-entropy joins the loss, and its gradient reaches the encoder through the bottom level.
      const { mask: logits, salt } = model.forwardAll(xt, true);
      const probs = tf.sigmoid(logits);
      stats = tf.keep(intersectionAndUnion(yt, probs));
      return withSaltTerm(loss(yt, probs, { logits }), yt, saltTermOf(model, salt));
    }, model.params.trainableList);
  });
  const s = stats as tf.Tensor1D | null;
  let numbers: Float32Array;
  try {
    numbers = await readComputed(() => tf.concat([tf.reshape(value, [1]), s ?? tf.fill([2], NaN)]));
  } catch (err) {
    tf.dispose(Object.values(grads));
    throw err;
  } finally {
    value.dispose();
    s?.dispose();
  }
  const [lossValue = NaN, intersection = NaN, union = NaN] = numbers;
  return { loss: lossValue, grads, intersection, union };
}

/** The salt term of `model`'s objective for its salt logits of a pass; null without a salt head. */
export function saltTermOf(model: UNetModel, logits: tf.Tensor1D | null): SaltTerm | null {
  return model.saltHead && logits ? { logits, weight: model.saltHead.lossWeight } : null;
}

/** IoU at threshold 0.5 from summed intersection and union; 1 when there is no salt anywhere. */
export function hardIoU(intersection: number, union: number): number {
  return union > 0 ? intersection / union : 1;
}

function intersectionAndUnion(yt: tf.Tensor, probs: tf.Tensor): tf.Tensor1D {
  const pred = tf.cast(tf.greater(probs, 0.5), 'float32');
  const i = tf.sum(tf.mul(yt, pred));
  const u = tf.sub(tf.add(tf.sum(yt), tf.sum(pred)), i);
  return tf.stack([i, u]) as tf.Tensor1D;
}
