/**
 * Gradient accumulation for batches that do not fit the wasm heap (4 GiB: wasm32 addresses no
 * more). The run's `batch` stays the effective batch; the trainer runs it as k micro-batches and
 * makes one optimizer step:
 *
 * - Gradients: each micro-batch's gradient of its own loss, weighted by its share of the batch
 *   (size / batch) and summed, i.e. the gradient of the size-weighted mean micro-batch loss. For a
 *   mean loss (BCE) that is the full batch's gradient; for batch IoU it is the mean of micro-batch
 *   IoU gradients, the usual accumulation approximation.
 * - BN: every micro-batch is normalised with its own statistics (as if it were the batch), and
 *   the moving statistics take one update per micro-batch, as k smaller batches would give.
 * - Reported loss: the size-weighted mean of micro-batch losses; IoU: exact over the whole batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { summarize } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import { batchGradients, hardIoU } from './batchGradients';
import type { makeLoss } from './losses';
import type { UNetModel } from './model';
import type { Optimizer } from './optimizers';

/** The wasm heap's hard limit (wasm32 memory; the threaded build declares it as its maximum). */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

/**
 * Heap per float of summarize()'s activation estimate in a training step, measured on wasm
 * (test/bench/heapPerImage.ts): 1.46x for Figure 2 (slope between batch 2 and 4), 1.71x for the
 * 36-conv peer U-Net (batch 16 to 32). The tape keeps more than one tensor per layer (conv
 * output, BN output, the gradients in flight) where the estimate counts one; the saved tensors
 * themselves are shared, not copied (see wasm/identity.ts).
 */
export const HEAP_PER_ACTIVATION = 1.75;

/**
 * Share of the heap a plan may fill, leaving room for validation passes and fragmentation. Figure 2
 * at batch 32 runs as 6 micro-batches of up to 6 (estimate 3546 MiB) and measured a flat 2943 MiB
 * high-water mark (test/bench/microBatchFig2.ts).
 */
export const HEAP_HEADROOM = 0.95;

/** Heap that does not scale with the batch: the module, weights, gradients, optimizer slots, temporaries. */
const FIXED_HEAP_BYTES = 128 * 2 ** 20;
const WEIGHT_COPIES = 8;

/** How a batch will be run. */
export interface MicroBatchPlan {
  /** The effective batch (the run's). */
  batch: number;
  /** Images per forward/backward pass; equal to `batch` when no accumulation is needed. */
  micro: number;
  /** Passes per optimizer step. */
  passes: number;
  /** Images in each pass of a full batch, as even as possible (see {@link microBatchSizes}). */
  sizes: number[];
  /** Estimated heap high-water mark of one pass at `micro`. */
  estimatedBytes: number;
  /** Why the batch was split, or null. */
  reason: string | null;
}

/** The estimated wasm heap of a training pass of `arch` as a function of images per pass (the design summarised once). */
function heapEstimate(arch: Architecture): (images: number) => number {
  const s = summarize(arch, { batch: 1 });
  if (!s.ok) throw new Error(`cannot plan memory for the invalid design '${arch.name}': ${s.errors.map((e) => e.message).join('; ')}`);
  const fixed = FIXED_HEAP_BYTES + s.summary.params * 4 * WEIGHT_COPIES;
  const perImage = HEAP_PER_ACTIVATION * s.summary.activationBytes;
  return (images) => fixed + images * perImage;
}

/** Estimated wasm heap of a training pass at `images` per pass. */
export function estimateHeapBytes(arch: Architecture, images: number): number {
  return heapEstimate(arch)(images);
}

const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;

/**
 * The largest micro-batch (≤ batch) whose estimated heap fits {@link HEAP_HEADROOM} of `heapBytes`
 * (default the 4 GiB wasm heap), on the wasm backend;
 * other backends run the whole batch. `force` sets the micro-batch (tests, diagnosis).
 */
export function planMicroBatch(
  arch: Architecture,
  batch: number,
  opts: { backend: string; heapBytes?: number; force?: number },
): MicroBatchPlan {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`);
  const estimate = heapEstimate(arch);
  const whole = (reason: string | null, micro = batch): MicroBatchPlan => ({
    batch,
    micro,
    passes: microBatchSizes(batch, micro).length,
    sizes: microBatchSizes(batch, micro),
    estimatedBytes: estimate(micro),
    reason,
  });
  if (opts.force !== undefined) {
    if (!Number.isInteger(opts.force) || opts.force < 1) throw new RangeError(`micro-batch must be a positive integer, got ${opts.force}`);
    const micro = Math.min(opts.force, batch);
    return whole(micro < batch ? `micro-batch of ${micro} set explicitly` : null, micro);
  }
  if (opts.backend !== 'wasm') return whole(null);
  const heap = opts.heapBytes ?? WASM_HEAP_BYTES;
  const limit = heap * HEAP_HEADROOM;
  if (estimate(batch) <= limit) return whole(null);
  let micro = batch - 1;
  while (micro > 1 && estimate(micro) > limit) micro--;
  const need = mib(estimate(batch));
  const fits = estimate(micro) <= limit;
  return whole(
    fits
      ? `batch ${batch} needs about ${need} of wasm heap (${mib(limit)} usable of ${mib(heap)}): ${microBatchSizes(batch, micro).length} micro-batches of up to ${micro}, gradients accumulated, one optimizer step`
      : `even one image needs about ${mib(estimate(1))} of wasm heap (${mib(limit)} usable of ${mib(heap)}); running micro-batches of 1, which may run out of memory`,
    micro,
  );
}

/**
 * Sizes of the micro-batches `n` images run as with at most `micro` per pass: as few passes as
 * that allows, sizes as even as possible, larger ones first (32 at most 6: 6,6,5,5,5,5; a
 * remainder piece such as 6,6,6,6,6,2 would give its few images noisy BN statistics).
 */
export function microBatchSizes(n: number, micro: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`a batch must hold a positive whole number of images, got ${n}`);
  if (!Number.isInteger(micro) || micro < 1) throw new RangeError(`micro-batch must be a positive integer, got ${micro}`);
  const passes = Math.ceil(n / micro);
  const base = Math.floor(n / passes);
  const larger = n - base * passes;
  return Array.from({ length: passes }, (_, i) => (i < larger ? base + 1 : base));
}

/**
 * The one optimizer step: `shape[0]` images run as micro-batches of at most `micro` (default: the
 * whole batch, one pass), see the module comment for what is accumulated. Loss and IoU come back
 * as numbers (one read a pass); all tensors are released. A non-finite loss leaves the weights and BN
 * statistics as they were.
 */
export async function trainStep(
  model: UNetModel,
  opt: Optimizer,
  loss: ReturnType<typeof makeLoss>,
  x: Float32Array,
  y: Float32Array,
  shape: [number, number, number, number],
  micro: number = shape[0],
): Promise<{ loss: number; iou: number }> {
  const [n, h, w, c] = shape;
  const sizes = microBatchSizes(n, micro);
  const acc = new Map<string, tf.Tensor>();
  let lossSum = 0;
  let inter = 0;
  let union = 0;
  try {
    let start = 0;
    for (const m of sizes) {
      const r = await batchGradients(model, loss, x.subarray(start * h * w * c, (start + m) * h * w * c), y.subarray(start * h * w, (start + m) * h * w), [m, h, w, c]);
      start += m;
      inter += r.intersection;
      union += r.union;
      if (sizes.length === 1) {
        // The whole batch in one pass: its gradients as they are.
        lossSum = r.loss;
        for (const [name, g] of Object.entries(r.grads)) acc.set(name, g);
      } else {
        const weight = m / n;
        lossSum += r.loss * weight;
        for (const [name, g] of Object.entries(r.grads)) {
          const prev = acc.get(name);
          acc.set(name, tf.tidy(() => (prev ? tf.add(prev, tf.mul(g, weight)) : tf.mul(g, weight))));
          prev?.dispose();
          g.dispose();
        }
      }
      if (!Number.isFinite(r.loss)) break;
    }
    if (Number.isFinite(lossSum)) {
      opt.apply(model.params.trainable, model.params.byStableName(Object.fromEntries(acc)));
      model.commitBnUpdates();
    } else {
      model.discardBnUpdates();
    }
  } catch (err) {
    model.discardBnUpdates();
    throw err;
  } finally {
    for (const t of acc.values()) t.dispose();
  }
  return { loss: lossSum, iou: hardIoU(inter, union) };
}
