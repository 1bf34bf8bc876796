/**
 * The dataset import workflow: a path is typed or picked, the import runs in the lab, and ends with
 * the imported entry (its problems included) or a refusal. Pure: the store feeds it actions.
 */
import type { DatasetEntry } from '../../shared/api/types';

/** Where an import stands. */
export type ImportState =
  | { phase: 'idle' }
  | { phase: 'importing'; path: string; startedAt: number }
  | { phase: 'done'; path: string; entry: DatasetEntry; seconds: number }
  | { phase: 'failed'; path: string; message: string };

/** What happens to an import. */
export type ImportAction =
  | { type: 'start'; path: string; at: number }
  | { type: 'succeeded'; entry: DatasetEntry; at: number }
  | { type: 'failed'; message: string }
  | { type: 'dismiss' };

/** No import yet. */
export const IMPORT_IDLE: ImportState = { phase: 'idle' };

/** The next import state. Results that arrive for no running import are ignored. */
export function importReducer(state: ImportState, action: ImportAction): ImportState {
  switch (action.type) {
    case 'start':
      if (state.phase === 'importing') return state;
      return { phase: 'importing', path: action.path, startedAt: action.at };
    case 'succeeded':
      if (state.phase !== 'importing') return state;
      return { phase: 'done', path: state.path, entry: action.entry, seconds: Math.max(0, (action.at - state.startedAt) / 1000) };
    case 'failed':
      if (state.phase !== 'importing') return state;
      return { phase: 'failed', path: state.path, message: action.message };
    case 'dismiss':
      return state.phase === 'importing' ? state : IMPORT_IDLE;
  }
}

/**
 * Why `raw` cannot be sent as a folder path, or null when it can. The lab checks again; this only
 * saves a round trip for the obvious mistakes and says what to type instead.
 */
export function pathProblem(raw: string): string | null {
  const p = raw.trim();
  if (p === '') return 'Type or paste the absolute path of a folder on the lab machine.';
  if (!(p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'))) return 'The path must be absolute, e.g. /data/tgs/train.';
  if (p.split(/[\\/]/).some((seg) => seg === '..' || seg === '.')) return 'The path may not contain . or .. segments.';
  return null;
}

/** A pasted path cleaned of the quotes file managers add around it and of surrounding blanks. */
export function cleanPath(raw: string): string {
  const t = raw.trim();
  const quoted = /^(['"])(.*)\1$/.exec(t);
  return (quoted ? (quoted[2] ?? '') : t).trim();
}
