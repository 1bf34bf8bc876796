/** The runs table: its columns and how each sorts. Sorting is local, so every column can sort. */
import { finalizeRefusal } from '../../shared/runs/postprocess';
import type { RunRecord, RunStatus, RunSummary } from '../../shared/runs/types';

/** Sortable columns of the runs table. */
export const RUN_COLUMNS = ['status', 'name', 'design', 'dataset', 'best', 'test', 'epochs', 'backend', 'duration', 'created'] as const;
/** A column of the runs table. */
export type RunColumn = (typeof RUN_COLUMNS)[number];

/** Column headings. */
export const RUN_COLUMN_TITLES: Readonly<Record<RunColumn, string>> = {
  status: 'Status',
  name: 'Name',
  design: 'Design',
  dataset: 'Dataset',
  best: 'Val score (best epoch)',
  test: 'Test score (held out)',
  epochs: 'Epochs',
  backend: 'Backend',
  duration: 'Duration',
  created: 'Created',
};

/** How the table is sorted. */
export interface RunSort {
  column: RunColumn;
  desc: boolean;
}

/** Newest first, as the lab lists runs. */
export const DEFAULT_RUN_SORT: RunSort = { column: 'created', desc: true };

/** Status order for sorting: live runs first. */
const STATUS_RANK: Readonly<Record<RunStatus, number>> = { running: 0, paused: 1, queued: 2, interrupted: 3, failed: 4, stopped: 5, done: 6 };

function key(r: RunSummary, c: RunColumn): string | number | null {
  switch (c) {
    case 'status':
      return STATUS_RANK[r.status];
    case 'name':
      return r.name.toLowerCase();
    case 'design':
      return r.archName.toLowerCase();
    case 'dataset':
      return r.dataset.name.toLowerCase();
    case 'best':
      return r.best && Number.isFinite(r.best.score) ? r.best.score : null;
    case 'test':
      return r.test ? r.test.score : null;
    case 'epochs':
      return r.epochsDone;
    case 'backend':
      return r.backend ? r.backend.name : null;
    case 'duration':
      return r.durationMs;
    case 'created':
      return r.createdAt;
  }
}

/**
 * The runs sorted by `sort`; rows without a value (no best score yet, no backend yet) come last
 * in either direction, and ties keep newest first. Test scores are ranked only with `rankTest`
 * (every scored run on one test set, see testSetView); otherwise a sort by them keeps newest first.
 */
export function sortRuns(runs: readonly RunSummary[], sort: RunSort, rankTest = false): RunSummary[] {
  const s = sort.column === 'test' && !rankTest ? DEFAULT_RUN_SORT : sort;
  const dir = s.desc ? -1 : 1;
  return [...runs].sort((a, b) => {
    const ka = key(a, s.column);
    const kb = key(b, s.column);
    if (ka === null || kb === null) {
      if (ka !== kb) return ka === null ? 1 : -1;
    } else if (ka !== kb) {
      return (typeof ka === 'string' && typeof kb === 'string' ? ka.localeCompare(kb) : (ka as number) - (kb as number)) * dir;
    }
    return b.createdAt - a.createdAt;
  });
}

/** The sort after the user picks `column`: the same column flips, a new one starts descending (names ascending). */
export function toggleSort(sort: RunSort, column: RunColumn): RunSort {
  if (sort.column === column) return { column, desc: !sort.desc };
  return { column, desc: column !== 'name' && column !== 'design' && column !== 'dataset' };
}

/** What the user may do to a run in its status. */
export interface RunActions {
  stop: boolean;
  pause: boolean;
  resume: boolean;
  delete: boolean;
}

/**
 * The actions a run allows, as the lab enforces them: a live or queued run can be stopped, only a
 * training run paused, a paused run resumed, a stopped/interrupted/failed one resumed only from a
 * checkpoint, and only a run no process owns deleted.
 */
export function runActions(run: Pick<RunSummary, 'status' | 'lastCheckpoint'>): RunActions {
  const { status } = run;
  const fromCheckpoint = (status === 'stopped' || status === 'interrupted' || status === 'failed') && run.lastCheckpoint !== null;
  return {
    stop: status === 'running' || status === 'paused' || status === 'queued',
    pause: status === 'running',
    resume: status === 'paused' || fromCheckpoint,
    delete: status !== 'running' && status !== 'paused',
  };
}

/**
 * Whether the run details offer to choose run `run`'s post-processing (the lab's finalizeRun):
 * `choose` for an ended run without one, `again` for one that has it; null while it trains or waits
 * to, and when it has nothing to choose from (no epoch with a best checkpoint, no validation images).
 */
export function postprocessOffer(run: Pick<RunRecord, 'id' | 'status' | 'epochsDone' | 'best' | 'postprocess' | 'split'>): 'choose' | 'again' | null {
  if (run.status !== 'done' && run.status !== 'stopped' && run.status !== 'interrupted' && run.status !== 'failed') return null;
  if (finalizeRefusal({ id: run.id, epochsDone: run.epochsDone, valImages: run.split.val.length, hasBest: run.best !== null }) !== null) return null;
  return run.postprocess ? 'again' : 'choose';
}
