/**
 * Training diagnostics as pure state machines fed plain numbers, so they can be tested on synthetic
 * loss curves and wrapped as callbacks by the trainer:
 * - "started on a plateau" (the note's BN-after-every-block failure: "the learning started on a
 *   plateau. It did not proceed");
 * - "wrong step" (the note's per-image IoU loss: "at some point it took a wrong step from which it
 *   could never recover").
 */

/** Settings of {@link PlateauDetector}. */
export interface PlateauSettings {
  /**
   * K: batches watched from the start. Default 100: about a tenth of an epoch of the TGS training
   * split at batch 32 would be too few to see past the noise; 100 is two to three epochs' worth of
   * early progress on small splits and a few minutes on the note's nets, well before time is wasted.
   */
  batches: number;
  /** Batches averaged at each end of the K; default 20, which cuts the batch-to-batch noise of the loss about 4.5 times. */
  window: number;
  /**
   * The relative drop of the mean loss, first window to last, below which the start is a plateau.
   * Default 0.02: a run that learns lowers an IoU or BCE loss by well over 2% in its first 100 steps
   * at the lab's learning rates, while the window means are steady to about 2% (20 batches).
   */
  minRelativeChange: number;
}

/** Default {@link PlateauSettings}; see each field for why. */
export const DEFAULT_PLATEAU: PlateauSettings = { batches: 100, window: 20, minRelativeChange: 0.02 };

/** What the plateau detector found. */
export interface PlateauFinding {
  kind: 'plateau';
  /** Batches seen when it decided. */
  batches: number;
  firstMean: number;
  lastMean: number;
  /** (firstMean - lastMean) / |firstMean|: the relative drop, negative when the loss rose. */
  relativeChange: number;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

function checkSettings(label: string, entries: Record<string, number>, integer: readonly string[]): void {
  for (const [k, v] of Object.entries(entries)) {
    if (!Number.isFinite(v) || v < 0 || (integer.includes(k) && (!Number.isInteger(v) || v < 1))) {
      throw new RangeError(`${label}: ${k} must be ${integer.includes(k) ? 'a positive whole number' : 'a non-negative number'}, got ${v}`);
    }
  }
}

/**
 * Decides once, after K batches, whether the loss moved by a meaningful relative amount. A loss
 * that rose is not a plateau (that is divergence, which the run's non-finite check and the
 * wrong-step detector handle); only a flat start is.
 */
export class PlateauDetector {
  private readonly losses: number[] = [];
  private decided = false;
  readonly settings: PlateauSettings;

  constructor(settings: Partial<PlateauSettings> = {}) {
    this.settings = { ...DEFAULT_PLATEAU, ...settings };
    checkSettings('plateau detector', { ...this.settings }, ['batches', 'window']);
    if (2 * this.settings.window > this.settings.batches) {
      throw new RangeError(`plateau detector: window ${this.settings.window} does not fit twice into ${this.settings.batches} batches`);
    }
  }

  /** Feeds one batch loss; returns the finding on the K-th batch if the start is flat, else null. */
  observe(loss: number): PlateauFinding | null {
    if (this.decided) return null;
    if (Number.isFinite(loss)) this.losses.push(loss);
    if (this.losses.length < this.settings.batches) return null;
    this.decided = true;
    const w = this.settings.window;
    const firstMean = mean(this.losses.slice(0, w));
    const lastMean = mean(this.losses.slice(-w));
    const relativeChange = firstMean !== 0 ? (firstMean - lastMean) / Math.abs(firstMean) : 0;
    if (relativeChange >= this.settings.minRelativeChange) return null;
    if (relativeChange < -this.settings.minRelativeChange) return null;
    return { kind: 'plateau', batches: this.losses.length, firstMean, lastMean, relativeChange };
  }

  /** Whether the decision has been taken. */
  get done(): boolean {
    return this.decided;
  }
}

/** Settings of {@link WrongStepDetector}. */
export interface WrongStepSettings {
  /** Batches whose median is the level a jump is measured against; default 50 (robust to single bad batches). */
  baseline: number;
  /**
   * A batch is a jump when its loss exceeds the baseline by this fraction; default 0.5. Batch losses
   * of a training run scatter by some 10-30% around their median, so 50% is clear of the noise.
   */
  jump: number;
  /** Consecutive jumped batches that make a jump; default 5, so one odd batch is not a step. */
  confirm: number;
  /**
   * Recovered when an epoch's mean training loss returns to within this fraction above the level
   * before the jump; default 0.1.
   */
  recoverTolerance: number;
  /** M: epochs after the jump's epoch that may pass unrecovered before it is reported; default 2. */
  epochs: number;
  /** The learning rate suggested for the resume, as a fraction of the current one; default 0.1. */
  lrFactor: number;
}

/** Default {@link WrongStepSettings}; see each field for why. */
export const DEFAULT_WRONG_STEP: WrongStepSettings = { baseline: 50, jump: 0.5, confirm: 5, recoverTolerance: 0.1, epochs: 2, lrFactor: 0.1 };

/** A wrong step: a jump in the loss not recovered within M epochs. */
export interface WrongStepFinding {
  kind: 'wrong-step';
  /** Epoch and global step of the first jumped batch. */
  epoch: number;
  step: number;
  /** The baseline before the jump, and the loss level since (the last epoch's mean). */
  before: number;
  after: number;
  /** Resume from the checkpoint saved at the end of this epoch (-1: from the start). */
  resumeFromEpoch: number;
  /** The learning rate to resume with. */
  suggestedLr: number;
}

interface Candidate {
  epoch: number;
  step: number;
  before: number;
  lr: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * Watches batch losses for a jump, then epoch means for a recovery. Reports each unrecovered jump
 * once; after a report or a recovery it starts watching afresh.
 */
export class WrongStepDetector {
  readonly settings: WrongStepSettings;
  private readonly recent: number[] = [];
  private streak: Candidate | null = null;
  private streakLength = 0;
  private pending: Candidate | null = null;

  constructor(settings: Partial<WrongStepSettings> = {}) {
    this.settings = { ...DEFAULT_WRONG_STEP, ...settings };
    checkSettings('wrong-step detector', { ...this.settings }, ['baseline', 'confirm', 'epochs']);
  }

  /** Feeds one batch; returns nothing (a jump is only reported once it is known not to recover). */
  observeBatch(b: { epoch: number; step: number; loss: number; lr: number }): void {
    if (!Number.isFinite(b.loss) || this.pending) return;
    const full = this.recent.length >= this.settings.baseline;
    const level = full ? median(this.recent) : NaN;
    if (full && b.loss > level * (1 + this.settings.jump)) {
      this.streak ??= { epoch: b.epoch, step: b.step, before: level, lr: b.lr };
      if (++this.streakLength >= this.settings.confirm) {
        this.pending = this.streak;
        this.streak = null;
        this.streakLength = 0;
      }
      return;
    }
    this.streak = null;
    this.streakLength = 0;
    this.recent.push(b.loss);
    if (this.recent.length > this.settings.baseline) this.recent.shift();
  }

  /** Feeds an epoch's mean training loss; returns the finding when a jump has gone M epochs unrecovered. */
  observeEpoch(epoch: number, trainLoss: number): WrongStepFinding | null {
    const p = this.pending;
    if (!p) return null;
    if (Number.isFinite(trainLoss) && trainLoss <= p.before * (1 + this.settings.recoverTolerance)) {
      this.pending = null;
      return null;
    }
    if (epoch - p.epoch < this.settings.epochs) return null;
    this.pending = null;
    // The baseline restarts from the new level, so the same plateau is not reported again.
    this.recent.length = 0;
    return {
      kind: 'wrong-step',
      epoch: p.epoch,
      step: p.step,
      before: p.before,
      after: trainLoss,
      resumeFromEpoch: p.epoch - 1,
      suggestedLr: p.lr * this.settings.lrFactor,
    };
  }

  /** Whether a jump is waiting to be judged. */
  get watching(): boolean {
    return this.pending !== null;
  }
}
