/** Keeps the run's best epoch by the shared rule (shared/runs/bestEpoch.ts); others read whether this epoch is it. */
import { BEST_METRIC, isNewBest } from '../../../shared/runs/bestEpoch';
import type { RunBest } from '../../../shared/runs/types';
import type { Callback, EpochLogs } from '../loop';

export class BestEpochTracker implements Callback {
  /** True after an epoch that became the best, until the next epoch ends. */
  improved = false;

  constructor(
    /** The best so far (the record's, for a resumed run). */
    public best: RunBest | null,
  ) {}

  onEpochEnd(epoch: number, logs: EpochLogs): void {
    const score = logs['valScore'] ?? -Infinity;
    this.improved = isNewBest(this.best, score);
    if (this.improved) this.best = { epoch, score, metric: BEST_METRIC };
  }
}
