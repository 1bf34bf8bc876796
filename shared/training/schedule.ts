/**
 * Learning-rate schedules. Pure, so the training setup can draw the curve before a run starts
 * and the trainer computes the same numbers.
 */
import type { ScheduleConfig } from '../runs/request';

/** Defined, with its kinds and defaults, by the run request's schema (shared/runs/request.ts). */
export type { ScheduleConfig } from '../runs/request';

/** The learning rate for an epoch (0-based) of a run of `epochs` epochs, for the stateless schedules. */
export function scheduledLr(s: ScheduleConfig, baseLr: number, epoch: number, epochs: number): number {
  switch (s.kind) {
    case 'constant':
    case 'plateau':
      return baseLr;
    case 'step':
      return baseLr * s.factor ** Math.floor(epoch / Math.max(1, s.every));
    case 'cosine': {
      if (epoch < s.warmupEpochs) return (baseLr * (epoch + 1)) / (s.warmupEpochs + 1);
      const span = Math.max(1, epochs - s.warmupEpochs);
      const t = Math.min(1, (epoch - s.warmupEpochs) / span);
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
