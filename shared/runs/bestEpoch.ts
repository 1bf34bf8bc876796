/**
 * The one rule for a run's best epoch, used by the trainer (which keeps the best checkpoint and
 * records `best`) and by the monitor (which marks it on the live charts).
 */
import type { EpochMetric, RunBest } from './types';

/** The metric the best epoch is chosen by. */
export const BEST_METRIC = 'valScore';

/**
 * True when an epoch with validation score `score` becomes the best over `best`. The first epoch
 * always does, so a run without a validation score still has a best checkpoint (its first); after
 * that only a higher finite score does (a finite one also beats a best without a score), so the
 * first of equal epochs stays the best.
 */
export function isNewBest(best: RunBest | null, score: number): boolean {
  if (best === null) return true;
  if (!Number.isFinite(score)) return false;
  return !Number.isFinite(best.score) || score > best.score;
}

/** The best of `held` and the epochs, taken in order. */
export function bestEpoch(epochs: readonly Pick<EpochMetric, 'epoch' | 'valScore'>[], held: RunBest | null): RunBest | null {
  let best = held;
  for (const e of epochs) if (isNewBest(best, e.valScore)) best = { epoch: e.epoch, score: e.valScore, metric: BEST_METRIC };
  return best;
}
