/**
 * The Masks view's controls as one state with a pure reducer: drawing options, which post-processing
 * the masks are drawn with (the run's stored one, or a threshold and minimum area of the user's),
 * sort, filter, and the open image.
 */
import type { MaskRule } from '../../shared/metrics';
import { RAW_THRESHOLD } from '../../shared/runs/postprocess';
import { WORST_FIRST, stepPosition, type MaskFilter, type MaskSort, type MaskSortKey } from './masksGrid';
import { DEFAULT_DRAW, type MaskDrawOptions } from './masksOverlay';

/** Whether the grid or one image is shown; `position` indexes the grid's current order. */
export type MaskFocus = { mode: 'grid' } | { mode: 'image'; position: number };

/**
 * Which post-processing draws the masks: `run`, the run's stored one (its threshold and minimum area,
 * chosen on validation; the raw mask while it has none); `custom`, `draw`'s threshold and area.
 */
export type MaskRuleChoice = 'run' | 'custom';

/** The view's state. */
export interface MasksViewState {
  /** Threshold and minimum area here are the custom ones; see {@link shownRule} for what is drawn. */
  draw: MaskDrawOptions;
  rule: MaskRuleChoice;
  sort: MaskSort;
  filter: MaskFilter;
  focus: MaskFocus;
}

/** The state a fresh view starts in: worst first, all images, the grid. */
export const INITIAL_MASKS_VIEW: MasksViewState = { draw: DEFAULT_DRAW, rule: 'run', sort: WORST_FIRST, filter: 'all', focus: { mode: 'grid' } };

/** The raw mask: threshold 0.5, no minimum area (`--postprocess none`). */
export const RAW_RULE: MaskRule = { threshold: RAW_THRESHOLD, minArea: 0 };

/** The rule the masks are drawn and scored with, and what it is: the run's, the raw mask, or the user's own. */
export interface ShownRule extends MaskRule {
  kind: 'run' | 'raw' | 'custom';
}

/** What is drawn: the run's rule when chosen and stored, else the view's own threshold and area. */
export function shownRule(s: Pick<MasksViewState, 'rule' | 'draw'>, runRule: MaskRule | null): ShownRule {
  if (s.rule === 'run' && runRule) return { threshold: runRule.threshold, minArea: runRule.minArea, kind: 'run' };
  const { threshold, minArea } = s.draw;
  return { threshold, minArea, kind: threshold === RAW_RULE.threshold && minArea === RAW_RULE.minArea ? 'raw' : 'custom' };
}

/** Everything the view's controls can do. */
export type MasksViewAction =
  | { type: 'threshold'; value: number }
  | { type: 'minArea'; value: number }
  /** The run's stored post-processing (and, while it has none, the raw mask). */
  | { type: 'runRule' }
  /** A rule of the user's: the raw mask, or the run's values to edit from. */
  | { type: 'customRule'; rule: MaskRule }
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
      return { ...s, rule: 'custom', draw: { ...s.draw, threshold: clamp01(a.value) } };
    case 'minArea':
      return { ...s, rule: 'custom', draw: { ...s.draw, minArea: Number.isFinite(a.value) ? Math.max(0, Math.round(a.value)) : 0 } };
    case 'runRule':
      return { ...s, rule: 'run', draw: { ...s.draw, ...RAW_RULE } };
    case 'customRule':
      return { ...s, rule: 'custom', draw: { ...s.draw, threshold: clamp01(a.rule.threshold), minArea: Math.max(0, Math.round(a.rule.minArea)) } };
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

/** What the stored post-processing of a run says about itself, as the note reads it. */
export interface RunRuleFacts extends MaskRule {
  tta: boolean;
  snapshots: number;
  valScore: number;
  valImages: number;
}

/**
 * The sentence above the masks that says which post-processing they are drawn with. `epoch` is the
 * epoch of stored validation predictions shown (null for a predicted folder): those come from one
 * checkpoint without flip TTA, so where the run's own masks also average snapshots or the flipped
 * image, it says so.
 */
export function shownRuleNote(shown: ShownRule, run: RunRuleFacts | null, epoch: number | null): string {
  const rule = (r: MaskRule) => `threshold ${r.threshold.toFixed(2)}, ${r.minArea > 0 ? `minimum area ${r.minArea} px` : 'no minimum area'}`;
  if (shown.kind === 'run' && run) {
    const chosen = `chosen on ${run.valImages} validation images (validation score ${run.valScore.toFixed(4)}, optimistic: those images chose it)`;
    const also = [run.snapshots > 1 ? `average ${run.snapshots} snapshots` : '', run.tta ? 'average each image with its mirror (flip TTA)' : ''].filter(Boolean);
    const caveat = epoch !== null && also.length ? ` Drawn on epoch ${epoch + 1}'s stored predictions, of one checkpoint without TTA; the run's own masks also ${also.join(' and ')}.` : '';
    // The salt head's vote needs each image's salt probability, which the predictions this view reads do not carry.
    const vote = run.saltCut === undefined ? '' : ` Its salt-head vote (an image whose salt probability is below ${run.saltCut} is emptied) is not drawn here: this view gets no salt probabilities.`;
    return `The run's post-processing: ${rule(shown)}, ${chosen}.${caveat}${vote}`;
  }
  const own = shown.kind === 'raw' ? `Raw masks: ${rule(shown)}.` : `Your own post-processing: ${rule(shown)}.`;
  return run ? `${own} The run's own: ${rule(run)}.` : `${own} This run has no stored post-processing.`;
}
