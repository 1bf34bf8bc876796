/**
 * The Masks view's controls as one state with a pure reducer: drawing options, which post-processing
 * the masks are drawn with (the one stored with the predictions shown, or a threshold and minimum
 * area of the user's), sort, filter, and the open image; and the sentence that says which rule is
 * drawn.
 */
import type { FolderPrediction } from '../../shared/api/types';
import type { MaskRule } from '../../shared/metrics';
import { describeCheckpoints, RAW_THRESHOLD, type PredictionPostprocess, type RunPostprocess } from '../../shared/runs/postprocess';
import { WORST_FIRST, stepPosition, type MaskFilter, type MaskSort, type MaskSortKey } from './masksGrid';
import { DEFAULT_DRAW, type MaskDrawOptions } from './masksOverlay';

/** Whether the grid or one image is shown; `position` indexes the grid's current order. */
export type MaskFocus = { mode: 'grid' } | { mode: 'image'; position: number };

/**
 * Which post-processing draws the masks: `run`, the one stored with the predictions shown (see
 * {@link StoredRule}; the plain rule while there is none); `custom`, `draw`'s threshold and area.
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

/**
 * The plain rule: threshold 0.5 and no minimum area, on the probabilities shown. On an epoch's
 * validation predictions (one checkpoint, no TTA) that is the raw mask of that checkpoint; a folder
 * prediction's probabilities are already averaged (flip TTA, snapshots), so there it is not
 * `--postprocess none`, and its salt-head vote (which the export applies) stays.
 */
export const RAW_RULE: MaskRule = { threshold: RAW_THRESHOLD, minArea: 0 };

/**
 * The rule stored with the predictions shown: `run`, the run's post-processing (for its epochs'
 * validation predictions); `prediction`, the one a folder prediction was made with (its masks, and
 * its export's, whatever the run's rule is now).
 */
export interface StoredRule extends MaskRule {
  kind: 'run' | 'prediction';
}

/** The rule the masks are drawn and scored with, and what it is: the stored one, the plain one, or the user's own. */
export interface ShownRule extends MaskRule {
  kind: StoredRule['kind'] | 'raw' | 'custom';
}

/**
 * What is drawn: the stored rule when chosen and there is one, else the view's own threshold and
 * area. `vote` is the salt cut these predictions' salt-head vote applies with whatever threshold and
 * area (a folder prediction with salt probabilities: its export applies it too); absent: none.
 */
export function shownRule(s: Pick<MasksViewState, 'rule' | 'draw'>, stored: StoredRule | null, vote?: number): ShownRule {
  const saltCut = vote === undefined ? {} : { saltCut: vote };
  if (s.rule === 'run' && stored) return { threshold: stored.threshold, minArea: stored.minArea, ...saltCut, kind: stored.kind };
  const { threshold, minArea } = s.draw;
  return { threshold, minArea, ...saltCut, kind: threshold === RAW_RULE.threshold && minArea === RAW_RULE.minArea ? 'raw' : 'custom' };
}

/**
 * The rule a folder prediction was made with: its recorded one, or for a prediction stored before
 * that was recorded, the threshold it was stored with and no minimum area (what its export uses).
 */
export function predictionRule(info: Pick<FolderPrediction, 'postprocess' | 'threshold'>): StoredRule {
  const pp = info.postprocess;
  if (pp) return { threshold: pp.threshold, minArea: pp.minArea, kind: 'prediction' };
  return { threshold: info.threshold ?? RAW_THRESHOLD, minArea: 0, kind: 'prediction' };
}

/** The salt cut a folder prediction's vote applies: its recorded cut, when the lab sent the salt probabilities it needs. */
export function predictionVote(info: Pick<FolderPrediction, 'postprocess'>, saltProbs: boolean): number | undefined {
  const cut = info.postprocess?.saltCut;
  return cut !== undefined && saltProbs ? cut : undefined;
}

/**
 * Whether a folder prediction was made with another post-processing than the run's current one
 * (the run was finalized again, or after the prediction): what differs, in words; empty when
 * nothing does, or when the run has no stored post-processing to compare with.
 */
export function predictionChanges(pp: PredictionPostprocess | null, run: RunPostprocess | null): string[] {
  if (!run) return [];
  if (!pp) return ['predicted before post-processing was recorded'];
  const out: string[] = [];
  if (pp.source !== 'stored') out.push("predicted before the run's post-processing was chosen");
  const num = (v: number | undefined) => (v === undefined ? 'none' : String(v));
  if (pp.threshold !== run.threshold) out.push(`threshold ${pp.threshold} → ${run.threshold}`);
  if (pp.minArea !== run.minArea) out.push(`minimum area ${pp.minArea} → ${run.minArea} px`);
  if (pp.saltCut !== run.saltCut) out.push(`salt-head vote below ${num(pp.saltCut)} → ${num(run.saltCut)}`);
  if (pp.tta !== run.tta) out.push(`flip TTA ${pp.tta ? 'on' : 'off'} → ${run.tta ? 'on' : 'off'}`);
  const epochs = (es: readonly number[]) => es.map((e) => e + 1).join(', ');
  if (pp.snapshots !== run.snapshots || epochs(pp.checkpointEpochs) !== epochs(run.checkpointEpochs)) {
    out.push(`checkpoints of epochs ${epochs(pp.checkpointEpochs)} → ${epochs(run.checkpointEpochs)}`);
  }
  return out;
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

/** Which predictions are shown, as the note reads them. */
export type ShownPredictions =
  /** An epoch's stored validation predictions (`epoch` from 0). */
  | { kind: 'epoch'; epoch: number }
  /**
   * A folder prediction: what it was made with (null: stored before that was recorded), how that
   * differs from the run's rule now ({@link predictionChanges}), and whether the lab sent its salt
   * probabilities.
   */
  | { kind: 'folder'; made: PredictionPostprocess | null; changes: readonly string[]; saltProbs: boolean };

const ruleText = (r: MaskRule) => `threshold ${r.threshold.toFixed(2)}, ${r.minArea > 0 ? `minimum area ${r.minArea} px` : 'no minimum area'}`;

/** What the probabilities shown are: one checkpoint's, or a folder prediction's averages. */
function probsText(p: ShownPredictions): string {
  if (p.kind === 'epoch') return `epoch ${p.epoch + 1}'s probabilities (that checkpoint alone, no TTA)`;
  const m = p.made;
  if (!m) return "this prediction's probabilities (stored before the lab recorded what they average)";
  const models = describeCheckpoints({ members: m.snapshots > 1 ? 'snapshots' : 'best', checkpointEpochs: m.checkpointEpochs, snapshots: m.snapshots });
  return `this prediction's probabilities (${models}, ${m.tta ? 'flip TTA' : 'no TTA'})`;
}

/**
 * The sentence above the masks that says which post-processing they are drawn with, on which
 * probabilities, and where that differs from the run's rule or from `--postprocess none`. Epoch
 * predictions come from one checkpoint without flip TTA, so where the run's own masks also average
 * snapshots or the flipped image, it says so; a folder prediction is drawn with the rule it was made
 * with (its export's), flagged when the run's rule has changed since.
 */
export function shownRuleNote(shown: ShownRule, run: RunRuleFacts | null, preds: ShownPredictions): string {
  const on = `, on ${probsText(preds)}`;
  if (preds.kind === 'epoch') {
    if (shown.kind === 'run' && run) {
      const chosen = `chosen on ${run.valImages} validation images (validation score ${run.valScore.toFixed(4)}, optimistic: those images chose it)`;
      const also = [run.snapshots > 1 ? `average ${run.snapshots} snapshots` : '', run.tta ? 'average each image with its mirror (flip TTA)' : ''].filter(Boolean);
      const caveat = also.length ? ` Drawn on epoch ${preds.epoch + 1}'s stored predictions, of one checkpoint without TTA; the run's own masks also ${also.join(' and ')}.` : '';
      // Epoch predictions keep no salt probabilities, so neither this view nor their export can vote.
      const vote = run.saltCut === undefined ? '' : ` Its salt-head vote (an image whose salt probability is below ${run.saltCut} is emptied) is not applied, here or in an export of these predictions: epoch predictions keep no salt probabilities.`;
      return `The run's post-processing: ${ruleText(shown)}, ${chosen}.${caveat}${vote}`;
    }
    const own = shown.kind === 'raw' ? `Plain masks: ${ruleText(shown)}${on}.` : `Your own post-processing: ${ruleText(shown)}${on}.`;
    return run ? `${own} The run's own: ${ruleText(run)}.` : `${own} This run has no stored post-processing.`;
  }
  const cut = preds.made?.saltCut;
  const vote =
    cut === undefined
      ? ''
      : shown.saltCut !== undefined
        ? ` The salt-head vote (an image whose salt probability is below ${shown.saltCut} is emptied) applies, as in this prediction's export.`
        : ` Its salt-head vote (below ${cut}) is not drawn: no salt probabilities came with these predictions, so these masks may differ from an export's, which applies the vote where the lab kept them.`;
  const stale = preds.changes.length ? ` The run's post-processing has changed since this prediction was made (${preds.changes.join('; ')}): predict the folder again to apply it.` : '';
  if (shown.kind === 'prediction') return `This prediction's post-processing, as it was made and as its export writes it: ${ruleText(shown)}${on}.${vote}${stale}`;
  const plain = shown.kind === 'raw' ? `Plain masks: ${ruleText(shown)}${on}, so not \`--postprocess none\` (the best checkpoint alone, without TTA).` : `Your own post-processing: ${ruleText(shown)}${on}.`;
  const made = preds.made ? ` The prediction's own: ${ruleText(preds.made)}.` : '';
  return `${plain}${vote}${made}${stale}`;
}
