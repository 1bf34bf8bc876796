import type { Architecture } from '../../shared/arch/types';
import type { RunConfig, RunSplit } from '../../shared/runs/types';
import type { DataSource } from '../../shared/training/protocol';
import { BatchStream } from '../data/batches';
import type { Dataset } from '../data/dataset';
import { loadDataSource } from '../data/load';
import { computeNormStats, type NormStats } from '../data/normalize';

/** Loads the data a job names (the trainer does this itself, so no images cross processes). */
export function loadJobDataset(source: DataSource): Promise<Dataset> {
  return loadDataSource(source);
}

/** One batch as the step needs it. */
export interface StepBatch {
  x: Float32Array;
  y: Float32Array;
  shape: [number, number, number, number];
  count: number;
  /** Position of the batch's first sample in the split (validation keeps the split's order). */
  offset: number;
}

/**
 * A run's view of its dataset: the recorded split, normalisation from the training split only,
 * and batch streams per epoch (shuffled and augmented with the run's seed, prepared ahead of use).
 */
export class TrainingData {
  readonly trainIndices: number[];
  readonly valIndices: number[];
  readonly valIds: string[];
  readonly norm: NormStats;
  readonly channels: 1 | 3;
  readonly height: number;
  readonly width: number;
  private stream: { epoch: number; s: BatchStream } | null = null;

  constructor(
    /** The whole dataset the split indexes into (the finalize step predicts its validation and test images). */
    readonly ds: Dataset,
    split: RunSplit,
    private readonly config: RunConfig,
    arch: Architecture,
  ) {
    const byId = new Map(ds.ids.map((id, i) => [id, i]));
    const indexOf = (id: string) => {
      const i = byId.get(id);
      if (i === undefined) throw new Error(`sample ${id} of the run's split is not in ${ds.info.name}`);
      return i;
    };
    this.trainIndices = split.train.map(indexOf);
    this.valIndices = split.val.map(indexOf);
    this.valIds = split.val.slice();
    if (this.trainIndices.length === 0) throw new Error('the training split is empty: there is nothing to train on');
    this.norm = computeNormStats(ds, this.trainIndices);
    const input = arch.nodes.find((n) => n.kind === 'input');
    this.channels = input?.kind === 'input' && input.channels === 3 ? 3 : 1;
    this.height = ds.height;
    this.width = ds.width;
  }

  get batchesPerEpoch(): number {
    return Math.ceil(this.trainIndices.length / this.config.batch);
  }

  /** The `batch`-th training batch of `epoch`; batches must be asked for in order. */
  trainBatch(epoch: number, batch: number): StepBatch {
    if (!this.stream || this.stream.epoch !== epoch) {
      this.stream?.s.close();
      this.stream = {
        epoch,
        s: new BatchStream(this.ds, {
          indices: this.trainIndices,
          batchSize: this.config.batch,
          channels: this.channels,
          seed: this.config.seed,
          epoch,
          norm: this.norm,
          augment: this.config.augment,
          prefetch: 2,
        }),
      };
    }
    const b = this.stream.s.next();
    if (!b) throw new Error(`epoch ${epoch + 1} has no batch ${batch + 1}`);
    return { x: b.x, y: b.y, shape: [b.size, b.height, b.width, b.channels], count: b.size, offset: batch * this.config.batch };
  }

  /** Validation batches in split order, unaugmented. */
  *valBatches(): Generator<StepBatch> {
    const s = new BatchStream(this.ds, {
      indices: this.valIndices,
      batchSize: this.config.batch,
      channels: this.channels,
      seed: this.config.seed,
      epoch: 0,
      shuffle: false,
      norm: this.norm,
      augment: null,
      prefetch: 1,
    });
    let offset = 0;
    for (const b of s) {
      yield { x: b.x, y: b.y, shape: [b.size, b.height, b.width, b.channels], count: b.size, offset };
      offset += b.size;
    }
  }

  /**
   * Fixed batches for the per-epoch diagnostics, the same images every epoch: `train` is the first
   * `size` images of epoch 0's training batch, augmented as training saw them; `val` the first `size`
   * validation images (the training ones again when there is no validation split). Built on streams
   * of their own, so the training stream, and with it the run's batches, is left alone.
   */
  probeBatches(size: number): { train: StepBatch; val: StepBatch } {
    const first = (indices: number[], augment: boolean, shuffle: boolean): StepBatch | null => {
      if (indices.length === 0) return null;
      const s = new BatchStream(this.ds, {
        indices,
        batchSize: Math.min(size, this.config.batch),
        channels: this.channels,
        seed: this.config.seed,
        epoch: 0,
        shuffle,
        norm: this.norm,
        augment: augment ? this.config.augment : null,
        prefetch: 0,
      });
      const b = s.next();
      s.close();
      return b && { x: b.x, y: b.y, shape: [b.size, b.height, b.width, b.channels], count: b.size, offset: 0 };
    };
    const train = first(this.trainIndices, true, true);
    if (!train) throw new Error('the training split is empty: there is nothing to probe');
    return { train, val: first(this.valIndices, false, false) ?? train };
  }

  close(): void {
    this.stream?.s.close();
  }
}
