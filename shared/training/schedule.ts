/**
 * Learning-rate schedules. Pure, so the training setup can draw the curve before a run starts
 * and the trainer computes the same numbers.
 */
import type { ScheduleConfig } from '../runs/request';

/** Defined, with its kinds and defaults, by the run request's schema (shared/runs/request.ts). */
export type { ScheduleConfig } from '../runs/request';

/**
 * The share of a time budget spent, in [0, 1]: what a cosine schedule follows instead of
 * epoch / epochs when the run has a time budget (`maxMinutes`).
 */
export function budgetProgress(elapsedMs: number, budgetMs: number): number {
  if (!(budgetMs > 0)) return 1;
  return Math.min(1, Math.max(0, elapsedMs / budgetMs));
}

/**
 * The learning rate for an epoch (0-based) of a run of `epochs` epochs, for the stateless schedules.
 *
 * `timeProgress` (the share of a time budget spent, see {@link budgetProgress}) makes a cosine follow
 * the budget: after the warm-up (still counted in epochs) its progress is `timeProgress` over the
 * whole budget instead of the epochs after the warm-up, so it reaches `minLr` when the budget is
 * spent, however many epochs that took. The other schedules ignore it.
 */
export function scheduledLr(s: ScheduleConfig, baseLr: number, epoch: number, epochs: number, timeProgress?: number): number {
  switch (s.kind) {
    case 'constant':
    case 'plateau':
      return baseLr;
    case 'step':
      return baseLr * s.factor ** Math.floor(epoch / Math.max(1, s.every));
    case 'cosine': {
      if (epoch < s.warmupEpochs) return (baseLr * (epoch + 1)) / (s.warmupEpochs + 1);
      const t = timeProgress !== undefined ? Math.min(1, Math.max(0, timeProgress)) : Math.min(1, (epoch - s.warmupEpochs) / Math.max(1, epochs - s.warmupEpochs));
      return s.minLr + 0.5 * (baseLr - s.minLr) * (1 + Math.cos(Math.PI * t));
    }
  }
}

/**
 * Reduce-on-plateau state: after `patience` epochs without an improvement of at least
 * `minDelta` in a metric that should rise, the rate is multiplied by `factor`.
 */
export class PlateauState {
  private best = -Infinity;
  private wait = 0;

  constructor(
    private readonly cfg: Extract<ScheduleConfig, { kind: 'plateau' }>,
    public lr: number,
  ) {}

  /** Feeds one epoch's metric; returns true when the rate was reduced. */
  observe(metric: number): boolean {
    if (metric > this.best + this.cfg.minDelta) {
      this.best = metric;
      this.wait = 0;
      return false;
    }
    this.wait++;
    if (this.wait < this.cfg.patience || this.lr <= this.cfg.minLr) return false;
    this.lr = Math.max(this.cfg.minLr, this.lr * this.cfg.factor);
    this.wait = 0;
    return true;
  }

  snapshot(): { best: number; wait: number; lr: number } {
    return { best: this.best, wait: this.wait, lr: this.lr };
  }

  restore(s: { best: number; wait: number; lr: number }): void {
    this.best = s.best;
    this.wait = s.wait;
    this.lr = s.lr;
  }
}
