/**
 * A run that diverged: its training loss became NaN or infinite, so the trainer ended it as failed
 * (its last good checkpoint kept). Unlike a crash, that is an outcome of what the run trains (its
 * design, initialisation, learning rate), not of where it ran: training it again from the same
 * checkpoint with the same settings diverges again. An experiment counts it as a final outcome
 * (src-main/experiments/runs.ts, shared/experiments/results.ts) and never retries it.
 */
import type { RunSummary } from './types';

/** How every divergence reason starts: `the loss became NaN at epoch 3, batch 7; ...`. */
const DIVERGENCE_PREFIX = 'the loss became ';

/** The reason a run that diverged is failed with: the non-finite loss and where it appeared. */
export function divergenceReason(loss: number, epoch: number, batch: number): string {
  return `${DIVERGENCE_PREFIX}${loss} at epoch ${epoch + 1}, batch ${batch + 1}; the last good checkpoint is kept`;
}

/** Whether a failure's reason says the run diverged (the trainer may append its stderr's last line after it). */
export function isDivergenceReason(reason: string | null | undefined): boolean {
  return typeof reason === 'string' && /^the loss became (NaN|Infinity|-Infinity) at epoch \d+, batch \d+/.test(reason);
}

/** Whether run `r` ended by diverging: failed, with a divergence reason. */
export function diverged(r: Pick<RunSummary, 'status' | 'statusReason'>): boolean {
  return r.status === 'failed' && isDivergenceReason(r.statusReason);
}
