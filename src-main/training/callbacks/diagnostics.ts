/**
 * The diagnostics detectors as training callbacks. Each writes an event into the run when it finds
 * something; none stops the run, since what to do about a plateau or a wrong step is the
 * experimenter's call (the wrong-step event carries the resume it suggests).
 */
import * as tf from '@tensorflow/tfjs-core';
import { PlateauDetector, WrongStepDetector } from '../../../shared/analysis/detectors';
import type { PlateauSettings, WrongStepSettings } from '../../../shared/analysis/detectors';
import { levelStats } from '../../../shared/analysis/levelStats';
import type { WeightSquares } from '../../../shared/analysis/levelStats';
import type { EventSink } from '../callbacks';
import type { BatchLogs, Callback, EpochLogs } from '../loop';
import type { UNetModel } from '../model';
import { readComputed } from '../read';

/** Reports, once, a run whose loss has not moved over its first K batches (event `plateau`). */
export class PlateauCallback implements Callback {
  readonly detector: PlateauDetector;

  constructor(
    private readonly event: EventSink,
    settings: Partial<PlateauSettings> = {},
  ) {
    this.detector = new PlateauDetector(settings);
  }

  onBatchEnd(l: BatchLogs): void {
    const f = this.detector.observe(l.loss);
    if (!f) return;
    const pct = (100 * f.relativeChange).toFixed(1);
    this.event({
      type: 'plateau',
      epoch: l.epoch,
      step: l.step,
      message: `started on a plateau: the mean loss moved ${pct}% over the first ${f.batches} batches (${f.firstMean.toFixed(4)} to ${f.lastMean.toFixed(4)})`,
      data: { ...f },
    });
  }
}

/**
 * Reports a jump in the loss that is not recovered within M epochs (event `wrong-step`), with the
 * checkpoint to resume from and a lower learning rate.
 */
export class WrongStepCallback implements Callback {
  readonly detector: WrongStepDetector;
  /** Epoch of the checkpoint kept aside when the current jump was seen; null when none could be. */
  private keptEpoch: number | null = null;

  /**
   * `keepCheckpoint` is called once when a jump is first confirmed; it keeps the checkpoint from
   * before the jump and returns its epoch (null when there is none yet).
   */
  constructor(
    private readonly event: EventSink,
    settings: Partial<WrongStepSettings> = {},
    private readonly keepCheckpoint: () => number | null = () => null,
  ) {
    this.detector = new WrongStepDetector(settings);
  }

  onBatchEnd(l: BatchLogs): void {
    const was = this.detector.watching;
    // The loop counts steps after the batch; the jump's step is the batch's own.
    this.detector.observeBatch({ epoch: l.epoch, step: l.step - 1, loss: l.loss, lr: l.lr });
    if (!was && this.detector.watching) this.keptEpoch = this.keepCheckpoint();
  }

  onEpochEnd(epoch: number, logs: EpochLogs): void {
    const f = this.detector.observeEpoch(epoch, logs.trainLoss);
    if (!f) return;
    const from = f.resumeFromEpoch < 0 ? 'the start' : `the checkpoint of epoch ${f.resumeFromEpoch + 1}`;
    this.event({
      type: 'wrong-step',
      epoch,
      step: logs.step,
      message: `wrong step at epoch ${f.epoch + 1} (step ${f.step}): the loss jumped from ${f.before.toFixed(4)} and is still ${f.after.toFixed(4)}; resume from ${from} with lr ${f.suggestedLr}`,
      data: {
        ...f,
        resume: {
          fromEpoch: f.resumeFromEpoch,
          lr: f.suggestedLr,
          lrFactor: this.detector.settings.lrFactor,
          // Whether the checkpoint from before the jump was kept, so "rewind and resume" can take it.
          checkpoint: this.keptEpoch !== null && this.keptEpoch === f.resumeFromEpoch ? 'before-jump' : null,
        },
      },
    });
  }
}

/** A weight's squared norm, its update's since `before`, its gradient's (NaN without one), as scalars. */
function squaresOf(v: tf.Tensor, before: tf.Tensor | undefined, g: tf.Tensor | undefined): tf.Scalar[] {
  return [tf.sum(tf.square(v)), before ? tf.sum(tf.square(tf.sub(v, before))) : tf.scalar(0), g ? tf.sum(tf.square(g)) : tf.scalar(NaN)];
}

/** Gradients of the loss on a fixed probe batch, by weight name; the callback disposes them. */
export type GradientProbe = () => Promise<Map<string, tf.Tensor>>;

/**
 * Per-level statistics at every epoch end (event `level-stats`): weight norm, the norm of the
 * epoch's update and their ratio, and, given a probe, the gradient norm on a fixed batch. The squared
 * norms of every weight are read back in one transfer.
 */
export class LevelStatsCallback implements Callback {
  private start = new Map<string, tf.Tensor>();

  constructor(
    private readonly model: UNetModel,
    private readonly levelOf: ReadonlyMap<string, string>,
    private readonly event: EventSink,
    private readonly probe?: GradientProbe,
  ) {}

  onEpochBegin(): void {
    this.release();
    for (const [name, v] of this.model.params.trainable) this.start.set(name, tf.keep(v.clone()));
  }

  async onEpochEnd(epoch: number, logs: EpochLogs): Promise<void> {
    const grads = (await this.probe?.()) ?? new Map<string, tf.Tensor>();
    try {
      const weights = [...this.model.params.trainable];
      // Three squared norms per weight (squaresOf), read in one transfer.
      const squares = weights.length === 0 ? new Float32Array() : await readComputed(() => tf.stack(weights.flatMap(([name, v]) => squaresOf(v, this.start.get(name), grads.get(name)))));
      const rows: WeightSquares[] = weights.map(([name], i) => {
        const row: WeightSquares = { name, weight: squares[3 * i] ?? 0, update: squares[3 * i + 1] ?? 0 };
        const gradient = squares[3 * i + 2];
        if (grads.has(name) && gradient !== undefined) row.gradient = gradient;
        return row;
      });
      const levels = levelStats(rows, this.levelOf);
      this.event({ type: 'level-stats', epoch, step: logs.step, message: `per-level gradient statistics of epoch ${epoch + 1}`, data: { levels } });
    } finally {
      for (const g of grads.values()) g.dispose();
      this.release();
    }
  }

  onTrainEnd(): void {
    this.release();
  }

  private release(): void {
    for (const t of this.start.values()) t.dispose();
    this.start.clear();
  }
}
