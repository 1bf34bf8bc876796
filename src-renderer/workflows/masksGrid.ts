/** The mask grid: which images it shows, in which order, and which of them are on screen. */
import type { ImageScores } from './masksScores';

/** What the grid sorts by. */
export type MaskSortKey = 'score' | 'iou' | 'coverage' | 'depth' | 'id';
/** Which images the grid shows. */
export type MaskFilter = 'all' | 'empty' | 'non-empty' | 'false-positive' | 'missed';

/** A sort: key and direction. "Worst first" is score ascending. */
export interface MaskSort {
  key: MaskSortKey;
  ascending: boolean;
}

/** Worst-first: the images that score lowest lead. */
export const WORST_FIRST: MaskSort = { key: 'score', ascending: true };

/** Sort keys offered, with labels; `needsTruth` ones only for labelled sets, `needsDepth` when depths exist. */
export const MASK_SORTS: readonly { key: MaskSortKey; label: string; needsTruth: boolean; needsDepth: boolean }[] = [
  { key: 'score', label: 'Score', needsTruth: true, needsDepth: false },
  { key: 'iou', label: 'IoU', needsTruth: true, needsDepth: false },
  { key: 'coverage', label: 'Salt coverage', needsTruth: false, needsDepth: false },
  { key: 'depth', label: 'Depth', needsTruth: false, needsDepth: true },
  { key: 'id', label: 'Id', needsTruth: false, needsDepth: false },
];

/** Filters offered, with labels; all but `all` need truth. */
export const MASK_FILTERS: readonly { key: MaskFilter; label: string }[] = [
  { key: 'all', label: 'All images' },
  { key: 'empty', label: 'Empty truth' },
  { key: 'non-empty', label: 'Salt in truth' },
  { key: 'false-positive', label: 'False positive only (empty truth, salt predicted)' },
  { key: 'missed', label: 'Missed salt (salt in truth, none predicted)' },
];

/** What ordering needs besides the scores. */
export interface GridFacts {
  ids: readonly string[];
  /** Depth per image, null where unknown; null when the set has none. */
  depths: readonly (number | null)[] | null;
  labelled: boolean;
}

/** True when image k passes `filter`. */
function passes(filter: MaskFilter, s: ImageScores, k: number): boolean {
  const empty = s.truth[k] === 0;
  const none = s.predicted[k] === 0;
  switch (filter) {
    case 'all':
      return true;
    case 'empty':
      return empty;
    case 'non-empty':
      return !empty;
    case 'false-positive':
      return empty && !none;
    case 'missed':
      return !empty && none;
  }
}

/**
 * Indices of the images to show, filtered and sorted; ties (and unknown depths, always last) are
 * broken by id so the order is stable. Unlabelled sets sort "coverage" by predicted salt, and
 * ignore filters and truth-based sorts (they fall back to id).
 */
export function orderImages(facts: GridFacts, s: ImageScores, sort: MaskSort, filter: MaskFilter): number[] {
  const n = facts.ids.length;
  const keep: number[] = [];
  for (let k = 0; k < n; k++) if (!facts.labelled || passes(filter, s, k)) keep.push(k);
  const key = !facts.labelled && (sort.key === 'score' || sort.key === 'iou') ? 'id' : sort.key;
  const dir = sort.ascending ? 1 : -1;
  const value = (k: number): number | null => {
    switch (key) {
      case 'score':
        return s.score[k] as number;
      case 'iou':
        return s.iou[k] as number;
      case 'coverage':
        return (facts.labelled ? s.truth[k] : s.predicted[k]) as number;
      case 'depth':
        return facts.depths?.[k] ?? null;
      case 'id':
        return null;
    }
  };
  const byId = (a: number, b: number): number => {
    const x = facts.ids[a] as string;
    const y = facts.ids[b] as string;
    return x < y ? -1 : x > y ? 1 : 0;
  };
  return keep.sort((a, b) => {
    if (key === 'id') return dir * byId(a, b);
    const va = value(a);
    const vb = value(b);
    if (va === null || vb === null) return va === vb ? byId(a, b) : va === null ? 1 : -1;
    return va !== vb ? dir * (va - vb) : byId(a, b);
  });
}

/** The rows of a virtualised grid that are on screen (plus `overscan` rows either side). */
export interface GridWindow {
  columns: number;
  rows: number;
  /** First and one-past-last item index to render. */
  start: number;
  end: number;
  /** Space above the first rendered row, and the whole grid's height, in px. */
  offsetTop: number;
  totalHeight: number;
}

/**
 * Which items of `total`, laid out in cells of `cell` px (plus `gap`) across `width` px, show in a
 * viewport `height` px tall scrolled to `scrollTop`.
 */
export function gridWindow(args: { total: number; width: number; height: number; scrollTop: number; cell: number; rowHeight: number; gap: number; overscan?: number }): GridWindow {
  const { total, width, height, scrollTop, cell, rowHeight, gap } = args;
  const overscan = args.overscan ?? 2;
  const columns = Math.max(1, Math.floor((width + gap) / (cell + gap)));
  const rows = Math.ceil(total / columns);
  const pitch = rowHeight + gap;
  const first = Math.max(0, Math.floor(scrollTop / pitch) - overscan);
  const last = Math.min(rows, Math.ceil((scrollTop + height) / pitch) + overscan);
  return {
    columns,
    rows,
    start: Math.min(total, first * columns),
    end: Math.min(total, last * columns),
    offsetTop: first * pitch,
    totalHeight: Math.max(0, rows * pitch - gap),
  };
}

/** The position `delta` steps from `position` in a list of `length`, clamped to its ends. */
export function stepPosition(position: number, delta: number, length: number): number {
  if (length <= 0) return 0;
  return Math.min(length - 1, Math.max(0, position + delta));
}
