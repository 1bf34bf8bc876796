/**
 * One epoch of training batches: shuffled with the seed, augmented, normalised, in NHWC layout, with
 * the next batches prepared ahead of use. Preparation runs in `setImmediate` callbacks, i.e. while
 * the consumer awaits its training step, so the CPU work overlaps the accelerator's.
 */
import { mixSeed, mulberry32, shuffled } from '../../shared/data/random';
import { checkAugmentOptions, NO_AUGMENT, planAugment, renderSample } from './augment';
import type { AugmentOptions } from './augment';
import type { Dataset } from './dataset';
import { sampleImage, sampleMask } from './dataset';
import type { NormStats } from './normalize';

/** One batch. `size` may be below the batch size for the last batch of an epoch. */
export interface Batch {
  /** size*H*W*C inputs, NHWC. */
  x: Float32Array;
  /** size*H*W 0/1 targets. */
  y: Float32Array;
  /** Dataset indices of the samples, in batch order. */
  indices: number[];
  size: number;
  height: number;
  width: number;
  channels: 1 | 3;
}

/** Options of `BatchStream`. */
export interface BatchStreamOptions {
  /** Dataset indices to draw from (e.g. the training split). */
  indices: readonly number[];
  batchSize: number;
  /** 1, or 3 to replicate grey into RGB channels (as the reference note fed RGB). Default 1. */
  channels?: 1 | 3;
  seed: number;
  epoch: number;
  /** Default true; validation passes false to keep the given order. */
  shuffle?: boolean;
  norm: NormStats;
  /** A run's `config.augment`; null or absent: no augmentation. Settings outside their limits are refused here. */
  augment?: AugmentOptions | null;
  /** Batches kept prepared ahead of use; default 1, 0 to build on demand. */
  prefetch?: number;
}

/** An epoch of batches; iterate it with `for ... of`, `for await ... of`, or `next()`. */
export class BatchStream implements Iterable<Batch>, AsyncIterable<Batch> {
  private readonly order: number[];
  private readonly channels: 1 | 3;
  private readonly prefetch: number;
  private readonly queue: Batch[] = [];
  /** Index of the next batch to build. */
  private built = 0;
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly ds: Dataset,
    private readonly opts: BatchStreamOptions,
  ) {
    if (!ds.masks) throw new RangeError(`dataset "${ds.info.name}" has no masks: batches need targets`);
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${opts.batchSize}`);
    }
    for (const index of opts.indices) {
      if (!Number.isInteger(index) || index < 0 || index >= ds.ids.length) {
        throw new RangeError(`sample index ${index} is outside the dataset (0..${ds.ids.length - 1})`);
      }
    }
    // Here, not when a prepared batch is built in a setImmediate callback, where it would be uncaught.
    if (opts.augment) checkAugmentOptions(opts.augment);
    this.channels = opts.channels ?? 1;
    this.prefetch = Math.max(0, Math.floor(opts.prefetch ?? 1));
    this.order =
      opts.shuffle === false ? [...opts.indices] : shuffled(opts.indices, mulberry32(mixSeed(opts.seed, opts.epoch, 0x5348)));
    this.schedule();
  }

  /** Batches in this epoch, the last partial one included. */
  get batchCount(): number {
    return Math.ceil(this.order.length / this.opts.batchSize);
  }

  /** Batches prepared and waiting to be taken. */
  get ready(): number {
    return this.queue.length;
  }

  /** The sample order of this epoch. */
  get sampleOrder(): readonly number[] {
    return this.order;
  }

  /** The next batch (built now if it was not prepared yet), or null at the end of the epoch. */
  next(): Batch | null {
    const batch = this.queue.shift() ?? (this.built < this.batchCount ? this.build() : null);
    this.schedule();
    return batch;
  }

  /** Stops preparing batches; later `next()` calls return null. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.built = this.batchCount;
  }

  *[Symbol.iterator](): Iterator<Batch> {
    for (let batch = this.next(); batch; batch = this.next()) yield batch;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
    for (let batch = this.next(); batch; batch = this.next()) yield batch;
  }

  private schedule(): void {
    if (this.scheduled || this.closed || this.queue.length >= this.prefetch || this.built >= this.batchCount) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      // One batch per callback, so a consumer waiting on I/O or the accelerator is never starved.
      if (this.closed || this.queue.length >= this.prefetch || this.built >= this.batchCount) return;
      this.queue.push(this.build());
      this.schedule();
    });
  }

  private build(): Batch {
    const { ds, opts, channels } = this;
    const number = this.built++;
    const indices = this.order.slice(number * opts.batchSize, (number + 1) * opts.batchSize);
    const pixels = ds.height * ds.width;
    const x = new Float32Array(indices.length * pixels * channels);
    const y = new Float32Array(indices.length * pixels);
    indices.forEach((index, slot) => {
      const plan = opts.augment ? planAugment(opts.augment, opts.seed, opts.epoch, index) : NO_AUGMENT;
      renderSample(sampleImage(ds, index), sampleMask(ds, index), ds.height, ds.width, plan, opts.norm, {
        x,
        xOffset: slot * pixels * channels,
        channels,
        y,
        yOffset: slot * pixels,
      });
    });
    return { x, y, indices, size: indices.length, height: ds.height, width: ds.width, channels };
  }
}

/** Normalised NHWC inputs of `indices`, unaugmented: for prediction, labelled or not. */
export function renderInputs(ds: Dataset, indices: readonly number[], channels: 1 | 3, norm: NormStats): Float32Array {
  const pixels = ds.height * ds.width;
  const x = new Float32Array(indices.length * pixels * channels);
  indices.forEach((index, slot) => {
    if (!Number.isInteger(index) || index < 0 || index >= ds.ids.length) {
      throw new RangeError(`sample index ${index} is outside the dataset (0..${ds.ids.length - 1})`);
    }
    renderSample(sampleImage(ds, index), null, ds.height, ds.width, NO_AUGMENT, norm, {
      x,
      xOffset: slot * pixels * channels,
      channels,
      y: null,
      yOffset: 0,
    });
  });
  return x;
}
