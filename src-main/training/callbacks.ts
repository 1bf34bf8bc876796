/**
 * The callbacks every run uses. Each does one job; the trainer lists them and the loop fans out.
 */
import type { BatchMetric, EpochMetric, RunEvent } from '../../shared/runs/types';
import { budgetProgress, PlateauState, scheduledLr, type ScheduleConfig } from '../../shared/training/schedule';
import type { TrainerMessage } from '../../shared/training/protocol';
import type { BatchLogs, Callback, EpochLogs, LoopControl } from './loop';

/** Sends trainer messages to whoever drives the run. */
export type Emit = (m: TrainerMessage) => void;

/** Turns epoch logs into the stored metric shape; unknown numeric fields go to `extra`. */
export function toEpochMetric(logs: EpochLogs, time: number): EpochMetric {
  const known = new Set(['epoch', 'step', 'trainLoss', 'trainIoU', 'valLoss', 'valIoU', 'valPixelIoU', 'valScore', 'bestThreshold', 'lr', 'imagesPerSec', 'epochSeconds']);
  const extra: Record<string, number> = {};
  for (const [k, v] of Object.entries(logs)) if (!known.has(k)) extra[k] = v;
  return {
    epoch: logs.epoch,
    step: logs.step,
    trainLoss: logs.trainLoss,
    trainIoU: logs.trainIoU,
    valLoss: logs['valLoss'] ?? NaN,
    valIoU: logs['valIoU'] ?? NaN,
    valPixelIoU: logs['valPixelIoU'] ?? NaN,
    valScore: logs['valScore'] ?? NaN,
    bestThreshold: logs['bestThreshold'] ?? NaN,
    lr: logs.lr,
    imagesPerSec: logs.imagesPerSec,
    epochSeconds: logs.epochSeconds,
    time,
    extra,
  };
}

function toBatchMetric(l: BatchLogs, time: number): BatchMetric {
  return { step: l.step - 1, epoch: l.epoch, batch: l.batch, loss: l.loss, iou: l.iou, lr: l.lr, imagesPerSec: l.images / Math.max(1e-9, l.seconds), time };
}

/**
 * Streams progress: batch events at most every `throttleMs` (tfjs yields every 125 ms),
 * epoch events always. Each carries an ETA from the measured time per batch and per validation;
 * with a time budget, the ETA is at most the budget's remaining time (an open-ended run's is that).
 */
export class ProgressReporter implements Callback {
  private lastSent = 0;
  private secPerBatch: number | null = null;
  private valSeconds = 0;
  private epochStart = 0;
  private trainSecondsThisEpoch = 0;

  constructor(
    private readonly runId: string,
    private readonly emit: Emit,
    private readonly epochs: number,
    private readonly now: () => number = Date.now,
    private readonly throttleMs = 125,
    private readonly budget: TimeLimit | null = null,
  ) {}

  /** The ETA from the epochs left, capped by the time budget's remaining seconds. */
  private capped(etaSeconds: number): number {
    return this.budget ? Math.min(etaSeconds, this.budget.remainingMs() / 1000) : etaSeconds;
  }

  onEpochBegin(): void {
    this.epochStart = this.now();
    this.trainSecondsThisEpoch = 0;
  }

  onBatchEnd(l: BatchLogs): void {
    this.trainSecondsThisEpoch += l.seconds;
    // An exponential average: the first batches (kernel warm-up) should not dominate the ETA.
    this.secPerBatch = this.secPerBatch === null ? l.seconds : 0.9 * this.secPerBatch + 0.1 * l.seconds;
    const t = this.now();
    if (t - this.lastSent < this.throttleMs && l.batch !== l.batches - 1) return;
    this.lastSent = t;
    const remainingBatches = l.batches - l.batch - 1 + (this.epochs - l.epoch - 1) * l.batches;
    const eta = remainingBatches * this.secPerBatch + (this.epochs - l.epoch) * this.valSeconds;
    this.emit({ type: 'batch', runId: this.runId, metric: toBatchMetric(l, t), batches: l.batches, epochs: this.epochs, etaSeconds: this.capped(eta) });
  }

  onEpochEnd(epoch: number, logs: EpochLogs): void {
    const t = this.now();
    this.valSeconds = Math.max(0, (t - this.epochStart) / 1000 - this.trainSecondsThisEpoch);
    const eta = (this.epochs - epoch - 1) * logs.epochSeconds;
    this.emit({ type: 'epoch', runId: this.runId, metric: toEpochMetric(logs, t), epochs: this.epochs, etaSeconds: this.capped(eta) });
  }
}

/** What the recorder needs from the run store. */
export interface MetricsSink {
  appendBatchMetrics(runId: string, rows: BatchMetric[]): void;
  appendEpochMetric(runId: string, row: EpochMetric): void;
}

/**
 * Records every batch and epoch metric. Batch rows are written in one transaction per epoch
 * (or every few seconds), so a crash loses at most the batches since then.
 */
export class MetricsRecorder implements Callback {
  private buffer: BatchMetric[] = [];
  private lastFlush = 0;

  constructor(
    private readonly runId: string,
    private readonly sink: MetricsSink,
    private readonly now: () => number = Date.now,
    private readonly flushMs = 5000,
  ) {}

  onBatchEnd(l: BatchLogs): void {
    const t = this.now();
    this.buffer.push(toBatchMetric(l, t));
    if (t - this.lastFlush >= this.flushMs) this.flush();
  }

  onEpochEnd(_epoch: number, logs: EpochLogs): void {
    this.flush();
    this.sink.appendEpochMetric(this.runId, toEpochMetric(logs, this.now()));
  }

  onTrainEnd(): void {
    this.flush();
  }

  private flush(): void {
    this.lastFlush = this.now();
    if (this.buffer.length === 0) return;
    const rows = this.buffer;
    this.buffer = [];
    this.sink.appendBatchMetrics(this.runId, rows);
  }
}

/** Receives run events (stored and streamed by the trainer). */
export type EventSink = (ev: Omit<RunEvent, 'time'>) => void;

/**
 * Sets the learning rate at the start of each epoch from the schedule, and for reduce-on-plateau
 * lowers it when the validation score stalls. With a time budget (`budget`, the run's TimeLimit), a
 * cosine follows the budget's elapsed share instead of the epochs: set before every batch, so it
 * reaches its floor when the budget is spent (the optimizers read their rate at each step).
 */
export class LrScheduler implements Callback {
  readonly plateau: PlateauState | null;

  constructor(
    private readonly schedule: ScheduleConfig,
    private readonly baseLr: number,
    private readonly epochs: number,
    private readonly setLr: (lr: number) => void,
    private readonly event: EventSink,
    private readonly budget: TimeLimit | null = null,
  ) {
    this.plateau = schedule.kind === 'plateau' ? new PlateauState(schedule, baseLr) : null;
  }

  /** Whether the rate changes within an epoch: a cosine over a time budget. */
  private get perBatch(): boolean {
    return this.budget !== null && this.schedule.kind === 'cosine';
  }

  private lrAt(epoch: number): number {
    if (this.plateau) return this.plateau.lr;
    return scheduledLr(this.schedule, this.baseLr, epoch, this.epochs, this.perBatch ? this.budget?.progress() : undefined);
  }

  onEpochBegin(epoch: number): void {
    this.setLr(this.lrAt(epoch));
  }

  onBatchBegin(epoch: number): void {
    if (this.perBatch) this.setLr(this.lrAt(epoch));
  }

  onEpochEnd(epoch: number, logs: EpochLogs): void {
    if (!this.plateau) return;
    const before = this.plateau.lr;
    if (this.plateau.observe(logs['valScore'] ?? -Infinity)) {
      this.event({ type: 'lr-reduced', epoch, step: logs.step, message: `learning rate reduced from ${before} to ${this.plateau.lr} (validation score stalled)`, data: { from: before, to: this.plateau.lr } });
    }
  }
}

/** Stops when the validation score has not improved by `minDelta` for `patience` epochs. */
export class EarlyStopping implements Callback {
  private best = -Infinity;
  private wait = 0;

  constructor(
    private readonly patience: number,
    private readonly minDelta: number,
    private readonly control: LoopControl,
    private readonly event: EventSink,
  ) {}

  onEpochEnd(epoch: number, logs: EpochLogs): void {
    const score = logs['valScore'] ?? -Infinity;
    if (score > this.best + this.minDelta) {
      this.best = score;
      this.wait = 0;
      return;
    }
    if (++this.wait >= this.patience) {
      const message = `early stop: no validation score gain above ${this.minDelta} for ${this.patience} epochs (best ${this.best.toFixed(4)})`;
      this.event({ type: 'early-stop', epoch, step: logs.step, message });
      this.control.stop(message, 'early-stop');
    }
  }

  snapshot(): { best: number; wait: number } {
    return { best: this.best, wait: this.wait };
  }

  restore(s: { best: number; wait: number }): void {
    this.best = s.best;
    this.wait = s.wait;
  }
}

/**
 * Ends training after a wall-clock budget of training time; the epoch it cuts short is validated and
 * checkpointed (its batches ran at the schedule's lowest rates), and the best checkpoint is kept. The clock
 * starts at `alreadyMs`, the run's training time in earlier sessions, so a resumed run continues its
 * budget (and a cosine over it, see LrScheduler) instead of starting a new one.
 */
export class TimeLimit implements Callback {
  private start: number | null = null;

  constructor(
    private readonly maxMinutes: number,
    private readonly control: LoopControl,
    private readonly event: EventSink,
    private readonly now: () => number = Date.now,
    private readonly alreadyMs = 0,
  ) {}

  /** The budget in milliseconds. */
  get budgetMs(): number {
    return this.maxMinutes * 60_000;
  }

  /** Training time counted against the budget: earlier sessions' and this one's since training began. */
  elapsedMs(): number {
    return this.alreadyMs + (this.start === null ? 0 : this.now() - this.start);
  }

  /** The share of the budget spent, in [0, 1]. */
  progress(): number {
    return budgetProgress(this.elapsedMs(), this.budgetMs);
  }

  /** The budget's time left, at least 0. */
  remainingMs(): number {
    return Math.max(0, this.budgetMs - this.elapsedMs());
  }

  onTrainBegin(): void {
    this.start = this.now();
  }

  onBatchEnd(l: BatchLogs): void {
    if (this.elapsedMs() < this.budgetMs) return;
    const message = `time limit of ${this.maxMinutes} min reached`;
    this.event({ type: 'time-limit', epoch: l.epoch, step: l.step, message });
    this.control.stopAfterValidation(message, 'time-limit');
  }
}
