/**
 * Segmentation losses on probabilities (after the head's sigmoid), tfjs-core ops only, so they
 * run on any backend and differentiate through tf.grad.
 *
 * Inputs: yTrue (0/1) and yPred (probabilities) of shape [B, H, W, 1] or [B, H, W]; every loss
 * returns a scalar. The IoU losses follow the note ("My loss function may have strengthened
 * all these phenomena"): IoU of ground truth and probabilities after Rahman & Wang 2016,
 * Intersection = sum(yt * yp), Union = sum(yt + yp - yt * yp).
 */
import * as tf from '@tensorflow/tfjs-core';
import { LOSS_NAMES, type LossName, type RunConfig } from '../../shared/runs/types';
import { PER_IMAGE_IOU_EPS } from '../../shared/runs/request';

/** Per-call options of a loss. */
export interface LossOptions {
  /**
   * Smoothing of the IoU losses: IoU = (I + eps) / (U + eps). Ignored by the other losses.
   * Defaults: BATCH_IOU_EPS for batch-iou, PER_IMAGE_IOU_EPS for per-image-iou.
   */
  eps?: number;
  /**
   * The Lovasz term's weight in bce-lovasz: BCE + lovaszWeight x Lovasz hinge (default 1, the
   * plain sum; 0 is BCE alone). Ignored by the other losses.
   */
  lovaszWeight?: number;
  /**
   * Pre-sigmoid logits of yPred, same shape. Lovasz uses them when given; otherwise it recovers
   * them from the probabilities (see logitsFromProbs), which is exact up to the clipping.
   */
  logits?: tf.Tensor;
}

/** A loss: scalar from truth and predicted probabilities. */
export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor, options?: LossOptions) => tf.Scalar;

/** Thrown when a loss receives tensors of unusable or mismatched shapes. */
export class LossShapeError extends Error {
  override readonly name = 'LossShapeError';
  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
  }
}

/** Thrown by makeLoss for a name not in LOSSES. */
export class UnknownLossError extends Error {
  override readonly name = 'UnknownLossError';
  constructor(readonly lossName: string) {
    super(`unknown loss '${lossName}'; known: ${Object.keys(LOSSES).join(', ')}`);
  }
}

/**
 * The batch IoU's eps. It only has to settle 0/0 (a batch with no salt predicted against no
 * salt in truth: loss 0); any batch with one salt pixel has U >= 1, where 1e-6 moves the loss
 * by under 1e-6.
 */
export const BATCH_IOU_EPS = 1e-6;
/** Probabilities are clipped to [CLIP_EPS, 1 - CLIP_EPS] before logs (BCE, recovered logits). */
export const CLIP_EPS = 1e-7;

/** Checks the shapes and flattens both tensors to float32 [B, H*W]. */
function flatten(where: string, yTrue: tf.Tensor, yPred: tf.Tensor): [tf.Tensor2D, tf.Tensor2D] {
  const shape = yPred.shape;
  if (shape.length !== 3 && shape.length !== 4) {
    throw new LossShapeError(where, `expected [B,H,W,1] or [B,H,W], got [${shape.join(',')}]`);
  }
  if (shape.length === 4 && shape[3] !== 1) {
    throw new LossShapeError(where, `expected one channel, got [${shape.join(',')}]`);
  }
  if (yTrue.shape.length !== shape.length || yTrue.shape.some((d, i) => d !== shape[i])) {
    throw new LossShapeError(where, `yTrue [${yTrue.shape.join(',')}] does not match yPred [${shape.join(',')}]`);
  }
  const b = shape[0] ?? 0;
  const p = (shape[1] ?? 0) * (shape[2] ?? 0);
  if (b === 0 || p === 0) throw new LossShapeError(where, `empty batch [${shape.join(',')}]`);
  return [tf.reshape(tf.cast(yTrue, 'float32'), [b, p]), tf.reshape(tf.cast(yPred, 'float32'), [b, p])];
}

/** Per-image intersection and union, each [B]. */
function intersectionUnion(yt: tf.Tensor2D, yp: tf.Tensor2D): [tf.Tensor1D, tf.Tensor1D] {
  const prod = tf.mul(yt, yp);
  return [tf.sum(prod, 1), tf.sum(tf.sub(tf.add(yt, yp), prod), 1)];
}

/**
 * The note's final loss: 1 - I / U with I and U summed over ALL pixels of the batch, smoothed
 * as 1 - (I + eps) / (U + eps) so that a batch with nothing predicted and nothing true gives 0.
 */
export const batchIoULoss: LossFn = (yTrue, yPred, options = {}) =>
  tf.tidy(() => {
    const eps = options.eps ?? BATCH_IOU_EPS;
    const [yt, yp] = flatten('batchIoULoss', yTrue, yPred);
    const [inter, union] = intersectionUnion(yt, yp);
    return tf.sub(1, tf.div(tf.add(tf.sum(inter), eps), tf.add(tf.sum(union), eps))) as tf.Scalar;
  });

/**
 * The note's first loss: mean over images of 1 - (I + eps) / (U + eps), eps = 0.62 by default.
 * An image with no salt and nothing predicted scores loss 0; no salt and p predicted per pixel
 * sum S gives 1 - eps / (S + eps).
 */
export const perImageIoULoss: LossFn = (yTrue, yPred, options = {}) =>
  tf.tidy(() => {
    const eps = options.eps ?? PER_IMAGE_IOU_EPS;
    const [yt, yp] = flatten('perImageIoULoss', yTrue, yPred);
    const [inter, union] = intersectionUnion(yt, yp);
    return tf.mean(tf.sub(1, tf.div(tf.add(inter, eps), tf.add(union, eps)))) as tf.Scalar;
  });

/**
 * Logits recovered from probabilities: log(p) - log(1 - p) with p clipped to
 * [CLIP_EPS, 1 - CLIP_EPS], so |logit| <= about 16 in float32 and saturated sigmoids do not
 * produce infinities. Passing the real logits (LossOptions.logits) avoids the clip.
 */
export function logitsFromProbs(yPred: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const p = tf.clipByValue(tf.cast(yPred, 'float32'), CLIP_EPS, 1 - CLIP_EPS);
    return tf.sub(tf.log(p), tf.log1p(tf.neg(p)));
  });
}

/** The Lovasz extension's weights for one sorted row each: jaccard[i] - jaccard[i-1]. */
function lovaszGrad(gtSorted: tf.Tensor2D): tf.Tensor2D {
  const [b, p] = gtSorted.shape;
  const gts = tf.sum(gtSorted, 1, true);
  const inter = tf.sub(gts, tf.cumsum(gtSorted, 1));
  // Never 0: at position i it counts the positives plus the negatives among the first i + 1.
  const union = tf.add(gts, tf.cumsum(tf.sub(1, gtSorted), 1));
  const jaccard = tf.sub(1, tf.div(inter, union)) as tf.Tensor2D;
  if (p === 1) return jaccard;
  return tf.sub(jaccard, tf.concat([tf.zeros([b, 1]), tf.slice(jaccard, [0, 0], [b, p - 1])], 1));
}

function tensorArg(x: tf.Tensor | tf.GradSaveFunc | undefined, what: string): tf.Tensor {
  if (!(x instanceof tf.Tensor)) throw new LossShapeError('lovaszHingeLoss', `${what} is not a tensor`);
  return x;
}

/**
 * Mean over rows of dot(relu(errors sorted descending), lovaszGrad(labels sorted alike)), for
 * errors and labels [B, P]. One customGrad node: tfjs has no gradient for TopK, and the sort
 * permutation is piecewise constant anyway, so the gradient is written out: each sorted error
 * gets lovasz_grad * relu'(error) / B, scattered back to its unsorted position. Labels get none.
 */
const lovaszFromErrors = tf.customGrad((...args) => {
  const errors = tensorArg(args[0], 'errors') as tf.Tensor2D;
  const labels = tensorArg(args[1], 'labels') as tf.Tensor2D;
  const save = args[2];
  const [b, p] = errors.shape;
  const perm = tf.topk(errors, p, true).indices;
  // Row offsets turn per-row positions into positions in the flattened batch, so that a plain
  // axis-0 gather/scatter does the permuting.
  const flatIdx = tf.reshape(tf.add(perm, tf.reshape(tf.range(0, b * p, p, 'int32'), [b, 1])), [b * p, 1]);
  const errorsSorted = tf.reshape(tf.gatherND(tf.reshape(errors, [b * p]), flatIdx), [b, p]);
  const gtSorted = tf.reshape(tf.gatherND(tf.reshape(labels, [b * p]), flatIdx), [b, p]) as tf.Tensor2D;
  const weights = lovaszGrad(gtSorted);
  const value = tf.mean(tf.sum(tf.mul(tf.relu(errorsSorted), weights), 1)) as tf.Scalar;
  if (typeof save === 'function') save([flatIdx, tf.div(tf.mul(weights, tf.step(errorsSorted)), b)]);
  return {
    value,
    gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
      const [idx, dSorted] = saved;
      if (!idx || !dSorted) throw new LossShapeError('lovaszHingeLoss', 'saved tensors missing in backward pass');
      const dErrors = tf.reshape(tf.scatterND(idx, tf.reshape(tf.mul(dSorted, dy), [b * p]), [b * p]), [b, p]);
      return [dErrors, tf.zerosLike(labels)];
    },
  };
});

/**
 * Lovasz hinge (Berman, Rannen Triki & Blaschko 2018), per image then averaged, as
 * `lovasz_hinge(per_image=True)` of the reference implementation:
 * signs = 2y - 1, errors = 1 - logits * signs, sorted descending; with gt sorted the same way,
 * lovasz_grad = jaccard[i] - jaccard[i-1] where jaccard = 1 - (gts - cumsum(gt)) / (gts + cumsum(1 - gt));
 * loss = dot(relu(errors_sorted), lovasz_grad).
 * Empty truth is not special-cased, exactly as in the reference: jaccard is then 1 everywhere, the
 * weights are [1, 0, ...] and the image's loss is relu(1 + max logit), a hinge on its most
 * confident false positive.
 */
export const lovaszHingeLoss: LossFn = (yTrue, yPred, options = {}) =>
  tf.tidy(() => {
    const [yt] = flatten('lovaszHingeLoss', yTrue, yPred);
    if (options.logits && options.logits.shape.join(',') !== yPred.shape.join(',')) {
      throw new LossShapeError(
        'lovaszHingeLoss',
        `logits [${options.logits.shape.join(',')}] do not match yPred [${yPred.shape.join(',')}]`,
      );
    }
    const [b, p] = yt.shape;
    const logits = tf.reshape(tf.cast(options.logits ?? logitsFromProbs(yPred), 'float32'), [b, p]);
    const errors = tf.sub(1, tf.mul(logits, tf.sub(tf.mul(yt, 2), 1)));
    return lovaszFromErrors(errors, yt);
  });

/**
 * Mean binary cross-entropy. From the logits z when they are given, in the stable form
 * max(z, 0) - z*y + log1p(exp(-|z|)): its gradient is sigmoid(z) - y at every z, so a confidently
 * wrong pixel keeps learning. From probabilities alone it is computed on p clipped to
 * [CLIP_EPS, 1 - CLIP_EPS], whose gradient is zero past a logit of about 16.
 */
export const bceLoss: LossFn = (yTrue, yPred, options = {}) =>
  tf.tidy(() => {
    const [yt, yp] = flatten('bceLoss', yTrue, yPred);
    if (options.logits) {
      const z = tf.reshape(tf.cast(options.logits, 'float32'), yp.shape);
      const perPixel = tf.add(tf.sub(tf.relu(z), tf.mul(z, yt)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
      return tf.mean(perPixel) as tf.Scalar;
    }
    const p = tf.clipByValue(yp, CLIP_EPS, 1 - CLIP_EPS);
    const ll = tf.add(tf.mul(yt, tf.log(p)), tf.mul(tf.sub(1, yt), tf.log1p(tf.neg(p))));
    return tf.neg(tf.mean(ll)) as tf.Scalar;
  });

/**
 * BCE plus `lovaszWeight` (default 1) times the Lovasz hinge: BCE shapes early training, Lovasz
 * targets IoU. With weight 0 the Lovasz term is not computed at all, so the loss is BCE exactly.
 */
export const bceLovaszLoss: LossFn = (yTrue, yPred, options = {}) =>
  tf.tidy(() => {
    const w = options.lovaszWeight ?? 1;
    if (!Number.isFinite(w) || w < 0) throw new LossShapeError('bceLovaszLoss', `the Lovasz weight must be a number of at least 0, got ${w}`);
    const bce = bceLoss(yTrue, yPred, options);
    if (w === 0) return bce;
    const lovasz = lovaszHingeLoss(yTrue, yPred, options);
    return tf.add(bce, w === 1 ? lovasz : tf.mul(lovasz, w)) as tf.Scalar;
  });

/**
 * The salt head's targets: 1 for an image whose mask has any salt pixel, else 0, [B] from masks
 * [B, H, W, 1] or [B, H, W].
 */
export function saltPresence(yTrue: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const b = yTrue.shape[0] ?? 0;
    if (yTrue.shape.length < 3 || b === 0) throw new LossShapeError('saltPresence', `expected masks [B,H,W,1] or [B,H,W], got [${yTrue.shape.join(',')}]`);
    const flat = tf.reshape(tf.cast(yTrue, 'float32'), [b, -1]);
    return tf.cast(tf.greater(tf.max(flat, 1), 0.5), 'float32') as tf.Tensor1D;
  });
}

/**
 * The salt head's loss: mean binary cross-entropy of its logit per image z [B] against whether the
 * image has salt, from the logits in the stable form max(z, 0) - z*y + log1p(exp(-|z|)).
 */
export function saltPresenceLoss(yTrue: tf.Tensor, saltLogits: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const y = saltPresence(yTrue);
    if (saltLogits.shape.length !== 1 || saltLogits.shape[0] !== y.shape[0]) {
      throw new LossShapeError('saltPresenceLoss', `salt logits [${saltLogits.shape.join(',')}] do not match ${y.shape[0]} images`);
    }
    const z = tf.cast(saltLogits, 'float32');
    return tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))))) as tf.Scalar;
  });
}

/** The salt head's part of a training objective: its logits per image and the weight of its loss. */
export interface SaltTerm {
  logits: tf.Tensor1D;
  weight: number;
}

/**
 * The training objective of a design from its mask loss: with a salt head, plus `weight` times
 * {@link saltPresenceLoss} of its logits; without one (`salt` null), the mask loss itself.
 */
export function withSaltTerm(maskLoss: tf.Scalar, yTrue: tf.Tensor, salt: SaltTerm | null): tf.Scalar {
  if (!salt) return maskLoss;
  return tf.tidy(() => tf.add(maskLoss, tf.mul(saltPresenceLoss(yTrue, salt.logits), salt.weight)) as tf.Scalar);
}

export { LOSS_NAMES, type LossName };

/** Each loss with a one-line description for the UI. */
export const LOSSES: Readonly<Record<LossName, { fn: LossFn; description: string }>> = {
  'batch-iou': {
    fn: batchIoULoss,
    description: '1 - IoU over all pixels of the batch (the note\u2019s loss that trained well)',
  },
  'per-image-iou': {
    fn: perImageIoULoss,
    description: 'mean over images of 1 - (I + eps)/(U + eps), eps 0.62 (the note\u2019s loss that failed)',
  },
  lovasz: { fn: lovaszHingeLoss, description: 'Lovasz hinge per image (Berman et al. 2018)' },
  bce: { fn: bceLoss, description: 'mean binary cross-entropy' },
  'bce-lovasz': { fn: bceLovaszLoss, description: 'binary cross-entropy + Lovasz weight x Lovasz hinge' },
};

/** Whether `name` is one of LOSS_NAMES. */
export function isLossName(name: string): name is LossName {
  return (LOSS_NAMES as readonly string[]).includes(name);
}

/**
 * The named loss with `eps` (for the IoU losses) and `lovaszWeight` (for bce-lovasz) bound; per-call
 * options still override them. Throws UnknownLossError for a name not in LOSSES.
 */
export function makeLoss(name: string, defaults: Pick<LossOptions, 'eps' | 'lovaszWeight'> = {}): LossFn {
  if (!isLossName(name)) throw new UnknownLossError(name);
  const { fn } = LOSSES[name];
  return (yTrue, yPred, options = {}) => fn(yTrue, yPred, { ...defaults, ...options });
}

/**
 * The loss a run's `config.loss` describes, as training, validation and the setup's benchmark all
 * compute it: its eps when it sets one, and for bce-lovasz its Lovasz weight.
 */
export function lossOfConfig(loss: RunConfig['loss']): LossFn {
  return makeLoss(loss.name, {
    ...(loss.eps === undefined ? {} : { eps: loss.eps }),
    ...(loss.name === 'bce-lovasz' ? { lovaszWeight: loss.lovaszWeight } : {}),
  });
}
