/**
 * The live state of the training run, for the status bar: built from the queue, the run's summary,
 * and the trainer messages streamed while it trains. Pure: the status store feeds it.
 */
import type { RunStatus, RunSummary } from '../../shared/runs/types';
import type { TrainerMessage } from '../../shared/training/protocol';
import { isOpenEnded } from '../../shared/runs/request';
import { formatBackend, formatEta, formatPercent } from './format';

/** Progress inside a run; epochs and batches 0-based as the trainer counts them. */
export interface RunProgress {
  epoch: number;
  epochs: number;
  /** The last finished batch of `epoch`, or -1 before the first. */
  batch: number;
  batches: number | null;
  etaSeconds: number | null;
}

/** What the status bar knows about the training run. */
export type ActiveRun =
  | { phase: 'none' }
  | { phase: 'live'; runId: string; name: string; status: RunStatus; progress: RunProgress; backend: string | null };

/** No run trains. */
export const NO_ACTIVE_RUN: ActiveRun = { phase: 'none' };

/** Statuses in which a run holds the trainer (or is about to). */
const LIVE_STATUSES: readonly RunStatus[] = ['queued', 'running', 'paused'];

/** What the reducer needs of a run: a summary or a full record both fit. */
export type ActiveRunSource = Pick<RunSummary, 'id' | 'name' | 'status' | 'epochsDone' | 'config' | 'backend'>;

/** What happens to the training run. */
export type ActiveRunAction =
  /** The queue names `summary` as the active run (or none). */
  | { type: 'active'; summary: ActiveRunSource | null }
  | { type: 'message'; message: TrainerMessage };

/** The state of `summary` before any message about it arrived: progress as far as the store knows. */
function fromSummary(s: ActiveRunSource): ActiveRun {
  return {
    phase: 'live',
    runId: s.id,
    name: s.name,
    status: s.status,
    progress: { epoch: s.epochsDone, epochs: s.config.epochs, batch: -1, batches: null, etaSeconds: null },
    backend: s.backend ? formatBackend(s.backend) : null,
  };
}

/** The next state. Messages about another run than the live one are ignored. */
export function activeRunReducer(state: ActiveRun, action: ActiveRunAction): ActiveRun {
  if (action.type === 'active') {
    // A run whose status is already final is only its trainer exiting: nothing trains any more.
    if (action.summary === null || !LIVE_STATUSES.includes(action.summary.status)) return NO_ACTIVE_RUN;
    // A refresh of the same run keeps the finer progress the messages gave.
    if (state.phase === 'live' && state.runId === action.summary.id) {
      const fresh = fromSummary(action.summary);
      if (fresh.phase !== 'live') return fresh;
      const keep = state.progress.epoch >= fresh.progress.epoch;
      return { ...fresh, progress: keep ? state.progress : fresh.progress, backend: fresh.backend ?? state.backend };
    }
    return fromSummary(action.summary);
  }
  const m = action.message;
  if (state.phase !== 'live' || m.runId !== state.runId) return state;
  switch (m.type) {
    case 'status':
      return { ...state, status: m.status };
    case 'backend':
      return { ...state, backend: formatBackend(m) };
    case 'batch':
      return {
        ...state,
        progress: { epoch: m.metric.epoch, epochs: m.epochs, batch: m.metric.batch, batches: m.batches, etaSeconds: m.etaSeconds },
      };
    case 'epoch':
      return {
        ...state,
        progress: { epoch: m.metric.epoch + 1, epochs: m.epochs, batch: -1, batches: state.progress.batches, etaSeconds: m.etaSeconds },
      };
    case 'ended':
      return NO_ACTIVE_RUN;
    case 'event':
    case 'log':
      return state;
  }
}

/**
 * Share of the run done, 0..1: finished epochs plus the finished batches of the current one.
 * Before the first batch of an epoch only whole epochs count.
 */
export function progressFraction(p: RunProgress): number {
  if (p.epochs <= 0) return 0;
  const inEpoch = p.batches && p.batches > 0 && p.batch >= 0 ? (p.batch + 1) / p.batches : 0;
  return Math.min(1, Math.max(0, (p.epoch + inEpoch) / p.epochs));
}

/** "training tiny · demo · epoch 3/10 · 45% · ETA 2m 10s", as the status bar shows it. */
export function activeRunLabel(a: ActiveRun): string {
  if (a.phase === 'none') return 'no run training';
  const p = a.progress;
  const verb = a.status === 'running' ? 'training' : a.status;
  const shownEpoch = Math.min(p.epochs, p.epoch + 1);
  // A run bounded by its time budget alone has no epoch total, and no share of epochs to show.
  const parts = isOpenEnded(p.epochs)
    ? [`${verb} ${a.name}`, `epoch ${shownEpoch}`]
    : [`${verb} ${a.name}`, `epoch ${shownEpoch}/${p.epochs}`, formatPercent(progressFraction(p))];
  const eta = a.status === 'running' ? formatEta(p.etaSeconds) : '';
  if (eta) parts.push(eta);
  return parts.join(' · ');
}
