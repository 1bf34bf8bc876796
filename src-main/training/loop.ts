/**
 * The training loop, kept as small as Keras's: it walks epochs and batches and fans six hooks out
 * to a list of callbacks. Progress, checkpoints, early stopping, schedules and diagnostics are
 * callbacks; none of them lives in here. Callbacks receive plain numbers, never tensors.
 */

/** Numbers reported after a training batch. */
export interface BatchLogs {
  step: number;
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
  iou: number;
  lr: number;
  images: number;
  seconds: number;
}

/** Numbers reported after an epoch, including the validation pass. */
export interface EpochLogs {
  epoch: number;
  step: number;
  trainLoss: number;
  trainIoU: number;
  lr: number;
  imagesPerSec: number;
  epochSeconds: number;
  [metric: string]: number;
}

/**
 * Who stopped a run: `user` for a stop asked for from outside (the user, or the lab shutting down),
 * `time-limit` for the time budget (TimeLimit), `early-stop` for early stopping (EarlyStopping).
 */
export type StopCause = 'user' | 'time-limit' | 'early-stop';

/** Why training ended. */
export type EndReason =
  | { kind: 'done' }
  /** `by`: who stopped it; only the first stop counts. */
  | { kind: 'stopped'; message: string; by: StopCause }
  /** Ended by something other than the user (its app went away); resumable like a crash. */
  | { kind: 'interrupted'; message: string }
  | { kind: 'failed'; message: string };

/** The six hooks. Any may be async; the loop awaits each in order. */
export interface Callback {
  onTrainBegin?(): void | Promise<void>;
  onTrainEnd?(reason: EndReason): void | Promise<void>;
  onEpochBegin?(epoch: number): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: EpochLogs): void | Promise<void>;
  onBatchBegin?(epoch: number, batch: number): void | Promise<void>;
  onBatchEnd?(logs: BatchLogs): void | Promise<void>;
}

/**
 * Cooperative control shared between the loop, its callbacks and whoever drives the run.
 * Stopping is a flag checked before every batch; pausing parks the loop between batches.
 */
export class LoopControl {
  private stopped: { message: string; by: StopCause } | null = null;
  /** Whether the epoch a stop cut short is still validated and checkpointed (a time budget's end). */
  private keepPartial = false;
  private interruption: string | null = null;
  private failure: string | null = null;
  private resumeWaiters: (() => void)[] = [];
  paused = false;
  /** Told whenever the run is paused or resumed, so the owner can record it. */
  onPauseChange: ((paused: boolean) => void) | null = null;

  /**
   * Asks the loop to end after the current batch, keeping everything saved so far. `by` says who asks
   * (a stop from outside unless a callback says otherwise); the first stop's message and cause stand.
   */
  stop(message: string, by: StopCause = 'user'): void {
    this.stopped ??= { message, by };
    this.resume();
  }

  /**
   * Like stop, but the batches of the current epoch count: it is validated and checkpointed as an
   * epoch of its own before the loop ends. A time budget ends this way, so its last minutes, trained
   * at the schedule's lowest rate, are never thrown away.
   */
  stopAfterValidation(message: string, by: StopCause): void {
    if (this.stopped === null && this.interruption === null && this.failure === null) this.keepPartial = true;
    this.stop(message, by);
  }

  /** Whether an epoch cut short by the stop is still to be validated and checkpointed. */
  get keepsPartialEpoch(): boolean {
    return this.keepPartial && this.interruption === null && this.failure === null;
  }

  /** Like stop, but the run ends as interrupted: nobody asked for it (e.g. the app that drove it died). */
  interrupt(message: string): void {
    this.interruption ??= message;
    this.resume();
  }

  /** Ends the run as failed (e.g. a non-finite loss). */
  fail(message: string): void {
    this.failure ??= message;
    this.resume();
  }

  pause(): void {
    if (this.paused || this.ended) return;
    this.paused = true;
    this.onPauseChange?.(true);
  }

  resume(): void {
    if (this.paused) {
      this.paused = false;
      this.onPauseChange?.(false);
    }
    const waiters = this.resumeWaiters;
    this.resumeWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves once the run is not paused. */
  async whilePaused(): Promise<void> {
    while (this.paused) await new Promise<void>((r) => this.resumeWaiters.push(r));
  }

  get ended(): EndReason | null {
    if (this.failure !== null) return { kind: 'failed', message: this.failure };
    if (this.interruption !== null) return { kind: 'interrupted', message: this.interruption };
    if (this.stopped !== null) return { kind: 'stopped', message: this.stopped.message, by: this.stopped.by };
    return null;
  }
}

/** What the loop needs from the trainer: one step, one validation pass, and the sizes. */
export interface LoopTask {
  startEpoch: number;
  epochs: number;
  batchesPerEpoch: number;
  startStep: number;
  /** Runs one training batch and returns its plain-number logs (minus step/epoch bookkeeping). */
  trainBatch(epoch: number, batch: number): Promise<{ loss: number; iou: number; lr: number; images: number }>;
  /** Runs validation and returns its metrics, merged into the epoch logs. */
  validate(epoch: number): Promise<Record<string, number>>;
}

/**
 * Runs the loop. Exceptions from a step end the run as failed with their message, unless the run was
 * already interrupted or failed: then that reason stands.
 */
export async function runLoop(task: LoopTask, callbacks: Callback[], control: LoopControl): Promise<EndReason> {
  const each = async <K extends keyof Callback>(hook: K, ...args: Parameters<NonNullable<Callback[K]>>) => {
    for (const cb of callbacks) {
      const fn = cb[hook] as ((...a: unknown[]) => void | Promise<void>) | undefined;
      if (fn) await fn.apply(cb, args);
    }
  };
  let step = task.startStep;
  let reason: EndReason = { kind: 'done' };
  try {
    await each('onTrainBegin');
    epochs: for (let epoch = task.startEpoch; epoch < task.epochs; epoch++) {
      await each('onEpochBegin', epoch);
      const t0 = performance.now();
      let lossSum = 0;
      let iouSum = 0;
      let images = 0;
      let lr = 0;
      for (let batch = 0; batch < task.batchesPerEpoch; batch++) {
        // A real turn of the event loop between batches: control messages (pause, stop) and batch
        // prefetching run here; awaiting resolved promises alone would never let them in.
        await new Promise<void>((resolve) => setImmediate(resolve));
        await control.whilePaused();
        if (control.ended) break epochs;
        await each('onBatchBegin', epoch, batch);
        const b0 = performance.now();
        const r = await task.trainBatch(epoch, batch);
        step++;
        lossSum += r.loss * r.images;
        iouSum += r.iou * r.images;
        images += r.images;
        lr = r.lr;
        const logs: BatchLogs = { step, epoch, batch, batches: task.batchesPerEpoch, ...r, seconds: (performance.now() - b0) / 1000 };
        await each('onBatchEnd', logs);
        if (control.ended) {
          if (control.keepsPartialEpoch && images > 0) break;
          break epochs;
        }
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      const val = await task.validate(epoch);
      const logs: EpochLogs = {
        ...val,
        epoch,
        step,
        trainLoss: lossSum / Math.max(1, images),
        trainIoU: iouSum / Math.max(1, images),
        lr,
        imagesPerSec: images / Math.max(1e-9, trainSeconds),
        epochSeconds: (performance.now() - t0) / 1000,
      };
      await each('onEpochEnd', epoch, logs);
      if (control.ended) break;
    }
    reason = control.ended ?? { kind: 'done' };
  } catch (err) {
    // An error after the run was interrupted or failed is that end's consequence (a lost GPU device
    // fails the step it cut short): the first reason stands.
    const first = control.ended;
    reason = first !== null && first.kind !== 'stopped' ? first : { kind: 'failed', message: err instanceof Error ? err.message : String(err) };
  }
  await each('onTrainEnd', reason);
  return reason;
}
