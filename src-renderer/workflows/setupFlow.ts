/**
 * The training setup as one workflow: the lab's check of the chosen design, the measured warm-up,
 * and queueing the planned runs. A discriminated union with a pure reducer; the setup store sends
 * it the commands' outcomes. No Vue here.
 *
 * The phases are what the form is doing: `idle` (being edited; the last estimate or refusal shown),
 * `measuring` (a warm-up in a trainer process) or `queueing` (runs being sent to the lab's queue).
 * The design check goes on beside them (it follows the form's design choice), so every phase
 * carries it.
 */
import type { DesignCheck, EpochEstimate } from '../../shared/api/types';
import { summarize, type ArchSummary } from '../../shared/arch';
import type { DesignChoice } from './trainingSetup';

/** What the lab said of the chosen design. `ticket` tells a stale answer from the current one. */
export type DesignStatus =
  | { state: 'unchecked' }
  | { state: 'checking'; ticket: number; choice: DesignChoice; previous: DesignCheck | null }
  | { state: 'checked'; choice: DesignChoice; check: DesignCheck }
  | { state: 'failed'; choice: DesignChoice; message: string; previous: DesignCheck | null };

/** The training setup. */
export type SetupState =
  | { phase: 'idle'; design: DesignStatus; estimate: EpochEstimate | null; estimateError: string | null; refusal: string | null }
  | { phase: 'measuring'; design: DesignStatus; ticket: number; refusal: string | null }
  | { phase: 'queueing'; design: DesignStatus; estimate: EpochEstimate | null; count: number };

/** What happened to the setup. */
export type SetupAction =
  | { type: 'check'; ticket: number; choice: DesignChoice }
  | { type: 'checked'; ticket: number; check: DesignCheck }
  | { type: 'checkFailed'; ticket: number; message: string }
  | { type: 'measure'; ticket: number }
  | { type: 'measured'; ticket: number; estimate: EpochEstimate }
  | { type: 'measureFailed'; ticket: number; message: string }
  /** A setting the estimate depends on changed: the estimate no longer describes the form. */
  | { type: 'changed' }
  | { type: 'queue'; count: number }
  | { type: 'queued' }
  | { type: 'refused'; message: string };

/** The setup before anything was asked of the lab. */
export const INITIAL_SETUP: SetupState = { phase: 'idle', design: { state: 'unchecked' }, estimate: null, estimateError: null, refusal: null };

/** The design check as last answered (kept while a new check is on its way or failed). */
export function currentCheck(d: DesignStatus): DesignCheck | null {
  switch (d.state) {
    case 'unchecked':
      return null;
    case 'checked':
      return d.check;
    case 'checking':
    case 'failed':
      return d.previous;
  }
}

function designReducer(d: DesignStatus, a: SetupAction): DesignStatus {
  switch (a.type) {
    case 'check':
      return { state: 'checking', ticket: a.ticket, choice: a.choice, previous: currentCheck(d) };
    case 'checked':
      return d.state === 'checking' && d.ticket === a.ticket ? { state: 'checked', choice: d.choice, check: a.check } : d;
    case 'checkFailed':
      return d.state === 'checking' && d.ticket === a.ticket ? { state: 'failed', choice: d.choice, message: a.message, previous: d.previous } : d;
    default:
      return d;
  }
}

/** The next setup state. */
export function setupReducer(s: SetupState, a: SetupAction): SetupState {
  const design = designReducer(s.design, a);
  switch (a.type) {
    case 'check':
    case 'checked':
    case 'checkFailed':
      return design === s.design ? s : { ...s, design };
    case 'measure':
      // One warm-up at a time, and none while queueing.
      return s.phase === 'idle' ? { phase: 'measuring', design, ticket: a.ticket, refusal: s.refusal } : s;
    case 'measured':
      return s.phase === 'measuring' && s.ticket === a.ticket ? { phase: 'idle', design, estimate: a.estimate, estimateError: null, refusal: s.refusal } : s;
    case 'measureFailed':
      return s.phase === 'measuring' && s.ticket === a.ticket ? { phase: 'idle', design, estimate: null, estimateError: a.message, refusal: s.refusal } : s;
    case 'changed':
      // A warm-up under way finishes and is shown; a finished one is forgotten.
      if (s.phase === 'idle') return s.estimate === null && s.estimateError === null ? s : { ...s, estimate: null, estimateError: null };
      if (s.phase === 'queueing') return s.estimate === null ? s : { ...s, estimate: null };
      return s;
    case 'queue':
      // Queueing abandons a warm-up under way (its answer is then ignored).
      if (s.phase === 'queueing') return s;
      return { phase: 'queueing', design, estimate: s.phase === 'idle' ? s.estimate : null, count: a.count };
    case 'queued':
      return s.phase === 'queueing' ? { phase: 'idle', design, estimate: s.estimate, estimateError: null, refusal: null } : s;
    case 'refused':
      return s.phase === 'queueing' ? { phase: 'idle', design, estimate: s.estimate, estimateError: null, refusal: a.message } : s;
  }
}

/** The checked design with its memory figures at the form's batch size. */
export interface DesignFigures {
  check: DesignCheck;
  /** Null for an invalid design. */
  summary: ArchSummary | null;
}

/** The checked design's figures at `batch` (memory depends on it); null before any check. */
export function designFigures(d: DesignStatus, batch: number): DesignFigures | null {
  const check = currentCheck(d);
  if (!check) return null;
  if (!check.arch || !check.valid || !Number.isInteger(batch) || batch < 1) return { check, summary: null };
  const s = summarize(check.arch, { batch });
  return { check, summary: s.ok ? s.summary : null };
}
