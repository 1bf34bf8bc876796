/** The Masks view's controls as one state with a pure reducer: drawing options, sort, filter, and the open image. */
import { WORST_FIRST, stepPosition, type MaskFilter, type MaskSort, type MaskSortKey } from './masksGrid';
import { DEFAULT_DRAW, type MaskDrawOptions } from './masksOverlay';

/** Whether the grid or one image is shown; `position` indexes the grid's current order. */
export type MaskFocus = { mode: 'grid' } | { mode: 'image'; position: number };

/** The view's state. */
export interface MasksViewState {
  draw: MaskDrawOptions;
  sort: MaskSort;
  filter: MaskFilter;
  focus: MaskFocus;
}

/** The state a fresh view starts in: worst first, all images, the grid. */
export const INITIAL_MASKS_VIEW: MasksViewState = { draw: DEFAULT_DRAW, sort: WORST_FIRST, filter: 'all', focus: { mode: 'grid' } };

/** Everything the view's controls can do. */
export type MasksViewAction =
  | { type: 'threshold'; value: number }
  | { type: 'opacity'; value: number }
  | { type: 'mode'; mode: MaskDrawOptions['mode'] }
  | { type: 'toggle'; layer: 'truth' | 'prediction' | 'heat' }
  | { type: 'sort'; key: MaskSortKey }
  | { type: 'direction'; ascending: boolean }
  | { type: 'filter'; filter: MaskFilter }
  | { type: 'open'; position: number }
  | { type: 'step'; delta: number; length: number }
  | { type: 'close' };

const clamp01 = (v: number): number => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);

/** The next state. Sorting by the key already in use flips its direction; other keys start ascending (worst first for scores). */
export function masksViewReducer(s: MasksViewState, a: MasksViewAction): MasksViewState {
  switch (a.type) {
    case 'threshold':
      return { ...s, draw: { ...s.draw, threshold: clamp01(a.value) } };
    case 'opacity':
      return { ...s, draw: { ...s.draw, opacity: clamp01(a.value) } };
    case 'mode':
      return { ...s, draw: { ...s.draw, mode: a.mode } };
    case 'toggle': {
      const d = s.draw;
      if (a.layer === 'truth') return { ...s, draw: { ...d, showTruth: !d.showTruth } };
      if (a.layer === 'prediction') return { ...s, draw: { ...d, showPrediction: !d.showPrediction } };
      return { ...s, draw: { ...d, showHeat: !d.showHeat } };
    }
    case 'sort':
      return { ...s, sort: s.sort.key === a.key ? { key: a.key, ascending: !s.sort.ascending } : { key: a.key, ascending: true }, focus: { mode: 'grid' } };
    case 'direction':
      return { ...s, sort: { ...s.sort, ascending: a.ascending } };
    case 'filter':
      return { ...s, filter: a.filter, focus: { mode: 'grid' } };
    case 'open':
      return { ...s, focus: { mode: 'image', position: Math.max(0, Math.floor(a.position)) } };
    case 'step':
      if (s.focus.mode !== 'image') return s;
      return { ...s, focus: { mode: 'image', position: stepPosition(s.focus.position, a.delta, a.length) } };
    case 'close':
      return { ...s, focus: { mode: 'grid' } };
  }
}

/** An SVG polyline's points for a small chart of (x, y) in a `width` x `height` box; NaN values are skipped. */
export function chartPoints(xs: readonly number[], ys: readonly number[], box: { width: number; height: number; xMin: number; xMax: number; yMin: number; yMax: number }): string {
  const sx = (x: number) => ((x - box.xMin) / (box.xMax - box.xMin || 1)) * box.width;
  const sy = (y: number) => box.height - ((y - box.yMin) / (box.yMax - box.yMin || 1)) * box.height;
  const pts: string[] = [];
  xs.forEach((x, i) => {
    const y = ys[i];
    if (y === undefined || !Number.isFinite(y) || !Number.isFinite(x)) return;
    pts.push(`${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
  });
  return pts.join(' ');
}
