/**
 * The Masks view's data and commands: which run and which predictions (an epoch of its validation
 * set, or a folder it predicted), the loaded set (pages fetched from the lab, kept as compact bytes),
 * the post-processing it is drawn with (by default the stored one: the run's threshold and minimum
 * area for its epochs, a folder prediction's own, salt-head vote included, for that folder; or the
 * user's own), per-image scores with it, the open image's history over epochs, folder prediction
 * and submission export. What is drawn is what the export writes.
 */
import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import type { Unsubscribe } from '../../shared/api/channels';
import { ApiError } from '../../shared/api/errors';
import type { FolderPrediction, PredictionsView, SubmissionExport } from '../../shared/api/types';
import { checkerboardScore } from '../../shared/analysis/checkerboard';
import { DEFAULT_SWEEP_THRESHOLDS, thresholdSweep, type Sweep } from '../../shared/metrics';
import type { RunSummary } from '../../shared/runs/types';
import { api } from '../api/labContext';
import { submissionFileName } from '../workflows/desktopShell';
import { orderImages } from '../workflows/masksGrid';
import { buildHistograms, scoresAt, summarize, sweepAt, type SaltVote, type ScoreCurve, type SetHistograms } from '../workflows/masksScores';
import type { MaskDrawOptions } from '../workflows/masksOverlay';
import {
  INITIAL_MASKS_VIEW,
  masksViewReducer,
  predictionChanges,
  predictionRule,
  predictionVote,
  shownRule,
  type MasksViewAction,
  type MasksViewState,
  type ShownPredictions,
  type ShownRule,
  type StoredRule,
} from '../workflows/masksView';
import { current, errorMessage, IDLE, loadFailed, startLoading, type Loadable } from '../workflows/loadable';
import { fromBase64 } from '../workflows/pixels';
import { coalesce } from './coalesce';
import { useRunsStore } from './runsStore';

/** Images fetched per request. */
export const MASK_PAGE_SIZE = 100;

/** Which stored predictions are shown. */
export type MaskSource = { kind: 'epoch'; epoch: number } | { kind: 'folder'; key: string };

/** A loaded prediction set: every image's bytes, packed (image k at [k*h*w, (k+1)*h*w)). */
export interface MaskSet {
  runId: string;
  source: MaskSource;
  /** The epoch whose checkpoint predicted. */
  epoch: number;
  ids: string[];
  height: number;
  width: number;
  images: Uint8Array | null;
  probs: Uint8Array;
  truth: Uint8Array | null;
  depths: (number | null)[] | null;
  /** Each image's salt-head probability (a folder prediction of a design with a salt head); null: none came. */
  saltProbs: Float32Array | null;
  truthNote: string | null;
  hist: SetHistograms;
  /** Score against threshold (labelled sets only). */
  sweep: Sweep | null;
}

/** The open image's prediction at each stored epoch, with its checkerboard score. */
export interface EpochFrame {
  epoch: number;
  probs: Uint8Array;
  checkerboard: number;
}

function sameSource(a: MaskSource | null, b: MaskSource | null): boolean {
  if (!a || !b) return a === b;
  return a.kind === 'epoch' ? b.kind === 'epoch' && a.epoch === b.epoch : b.kind === 'folder' && a.key === b.key;
}

/** Packs the pages of a set into one MaskSet. */
function assemble(runId: string, source: MaskSource, pages: PredictionsView[]): MaskSet {
  const first = pages[0];
  if (!first) throw new Error('no predictions page to show');
  const { height, width } = first;
  const px = height * width;
  const ids = pages.flatMap((p) => p.ids);
  const n = ids.length;
  const probs = new Uint8Array(n * px);
  const labelled = pages.every((p) => p.truth !== null);
  const withImages = pages.every((p) => p.images !== null);
  const truth = labelled ? new Uint8Array(n * px) : null;
  const images = withImages ? new Uint8Array(n * px) : null;
  const withDepths = pages.every((p) => p.depths !== null);
  const depths: (number | null)[] | null = withDepths ? [] : null;
  // The head's float32 outputs, exactly (JSON carries them as the doubles they are).
  const saltProbs = pages.every((p) => p.saltProbs && p.saltProbs.length === p.ids.length) ? Float32Array.from(pages.flatMap((p) => p.saltProbs ?? [])) : null;
  let at = 0;
  for (const p of pages) {
    probs.set(fromBase64(p.probs), at * px);
    if (truth && p.truth) truth.set(fromBase64(p.truth), at * px);
    if (images && p.images) images.set(fromBase64(p.images), at * px);
    if (depths && p.depths) depths.push(...p.depths);
    at += p.ids.length;
  }
  const hist = buildHistograms(probs, truth, n, px);
  const sweep = truth && n > 0 ? thresholdSweep({ truths: truth, probs, n, h: height, w: width }) : null;
  return markRaw({ runId, source, epoch: first.epoch, ids, height, width, images, probs, truth, depths, saltProbs, truthNote: pages.find((p) => p.truthNote)?.truthNote ?? null, hist, sweep });
}

/** The masks store. */
export const useMasksStore = defineStore('masks', () => {
  const runsStore = useRunsStore();
  const runId = ref<string | null>(null);
  const epochs = ref<number[]>([]);
  const folders = ref<FolderPrediction[]>([]);
  const source = ref<MaskSource | null>(null);
  /** True once the user picked an epoch; until then a live run's newest epoch is shown as it arrives. */
  const pinned = ref(false);
  const set = shallowRef<Loadable<MaskSet>>(IDLE);
  const progress = ref<{ done: number; total: number } | null>(null);
  const view = ref<MasksViewState>(INITIAL_MASKS_VIEW);
  const frames = shallowRef<EpochFrame[]>([]);
  /** The epoch the open image is drawn at; null: the set's own. */
  const frameEpoch = ref<number | null>(null);
  const predicting = ref<Loadable<FolderPrediction>>(IDLE);
  const exported = ref<Loadable<SubmissionExport>>(IDLE);
  /** An existing submission the last export would replace: the path, until the user confirms or exports elsewhere. */
  const replaceAsk = ref<string | null>(null);
  let ticket = 0;
  let framesTicket = 0;
  let runEvents: { runId: string; undo: Unsubscribe } | null = null;
  let runList: Unsubscribe | null = null;

  /** The runs that can have predictions (at least one finished epoch), newest first, from the runs store's list. */
  const runs = computed<Loadable<RunSummary[]>>(() => {
    const l = runsStore.list;
    const withPredictions = (rs: RunSummary[]) => rs.filter((r) => r.epochsDone > 0 || r.status === 'running');
    if (l.state === 'idle') return IDLE;
    if (l.state === 'ready') return { state: 'ready', value: withPredictions(l.value.runs) };
    const previous = l.previous ? withPredictions(l.previous.runs) : null;
    return l.state === 'loading' ? { state: 'loading', previous } : { state: 'failed', message: l.message, previous };
  });

  const loaded = computed<MaskSet | null>(() => current(set.value));
  /** The open run's stored post-processing, from the runs list (null: none yet, or an older run). */
  const runPostprocess = computed(() => runsStore.byId(runId.value)?.postprocess ?? null);
  /** The folder prediction shown, when the set shown is one. */
  const folder = computed<FolderPrediction | null>(() => {
    const src = loaded.value?.source;
    return src?.kind === 'folder' ? (folders.value.find((f) => f.key === src.key) ?? null) : null;
  });
  /** The rule stored with the predictions shown: a folder prediction's own (what it was made with), else the run's. */
  const storedRule = computed<StoredRule | null>(() => {
    if (folder.value) return predictionRule(folder.value);
    const pp = runPostprocess.value;
    return pp ? { threshold: pp.threshold, minArea: pp.minArea, kind: 'run' } : null;
  });
  /** The salt cut of the shown predictions' vote (a folder prediction's, with its salt probabilities), which the export applies whatever the threshold. */
  const voteCut = computed<number | undefined>(() => (folder.value ? predictionVote(folder.value, (loaded.value?.saltProbs ?? null) !== null) : undefined));
  /** The threshold and minimum area (and vote) the masks are drawn and scored with, and whose they are. */
  const rule = computed<ShownRule>(() => shownRule(view.value, storedRule.value, voteCut.value));
  /** What the predictions shown are, for the note (a folder prediction's rule against the run's current one). */
  const shownPredictions = computed<ShownPredictions | null>(() => {
    const s = loaded.value;
    if (!s) return null;
    if (s.source.kind === 'epoch') return { kind: 'epoch', epoch: s.epoch };
    const made = folder.value?.postprocess ?? null;
    return { kind: 'folder', made, changes: predictionChanges(made, runPostprocess.value), saltProbs: s.saltProbs !== null };
  });
  /** True when a folder prediction shown was made with another post-processing than the run's current one. */
  const stale = computed(() => shownPredictions.value?.kind === 'folder' && shownPredictions.value.changes.length > 0);
  const vote = computed<SaltVote | undefined>(() => {
    const probs = loaded.value?.saltProbs;
    return rule.value.saltCut !== undefined && probs ? { saltCut: rule.value.saltCut, saltProbs: probs } : undefined;
  });
  /** The drawing options with that rule. */
  const draw = computed<MaskDrawOptions>(() => ({ ...view.value.draw, threshold: rule.value.threshold, minArea: rule.value.minArea, ...(vote.value ? { saltCut: vote.value.saltCut } : {}) }));
  const scores = computed(() => (loaded.value ? scoresAt(loaded.value.hist, rule.value.threshold, rule.value.minArea, vote.value) : null));
  /** Score against threshold at the drawn minimum area and vote (labelled sets only). */
  const curve = computed<ScoreCurve | null>(() => {
    const s = loaded.value;
    if (!s?.sweep) return null;
    return rule.value.minArea === 0 && !vote.value ? s.sweep : sweepAt(s.hist, DEFAULT_SWEEP_THRESHOLDS, rule.value.minArea, vote.value);
  });
  const summary = computed(() => (loaded.value?.truth && scores.value ? summarize(scores.value) : null));
  const order = computed<number[]>(() => {
    const s = loaded.value;
    const sc = scores.value;
    if (!s || !sc) return [];
    return orderImages({ ids: s.ids, depths: s.depths, labelled: s.truth !== null }, sc, view.value.sort, view.value.filter);
  });
  /** The open image's index in the set, or null in grid mode. */
  const openIndex = computed<number | null>(() => {
    const f = view.value.focus;
    if (f.mode !== 'image') return null;
    return order.value[Math.min(f.position, order.value.length - 1)] ?? null;
  });

  function dispatch(a: MasksViewAction): void {
    const before = openIndex.value;
    // Moving the threshold or the area away from the stored rule edits a copy of it.
    if ((a.type === 'threshold' || a.type === 'minArea') && (rule.value.kind === 'run' || rule.value.kind === 'prediction')) {
      view.value = masksViewReducer(view.value, { type: 'customRule', rule: rule.value });
    }
    view.value = masksViewReducer(view.value, a);
    if (openIndex.value !== before) void loadFrames();
  }

  /** Follows the runs store's list until `unfollow` (the view closed), and settles once it is read. */
  async function refreshRuns(): Promise<void> {
    runList ??= runsStore.follow();
    await runsStore.loaded();
  }

  /** Re-reads the open run's stored epochs and folder predictions; a live run's newest epoch is shown unless one was picked. */
  const refreshSources = coalesce(async () => {
    const id = runId.value;
    if (id === null) return;
    const [e, f] = await Promise.all([api().getPredictionEpochs({ id }), api().listFolderPredictions({ id })]);
    if (runId.value !== id) return;
    epochs.value = e;
    folders.value = f;
    const newest = e[e.length - 1];
    if (newest !== undefined && !pinned.value && (source.value === null || source.value.kind === 'epoch') && !sameSource(source.value, { kind: 'epoch', epoch: newest })) {
      await load({ kind: 'epoch', epoch: newest });
    }
  });

  /** Opens run `id`: its newest stored epoch, and follows it while it trains. */
  async function selectRun(id: string | null): Promise<void> {
    if (id === runId.value) return;
    runId.value = id;
    source.value = null;
    pinned.value = false;
    set.value = IDLE;
    epochs.value = [];
    folders.value = [];
    frames.value = [];
    exported.value = IDLE;
    predicting.value = IDLE;
    view.value = { ...masksViewReducer(view.value, { type: 'runRule' }), focus: { mode: 'grid' } };
    followRun(id);
    if (id === null) return;
    try {
      await refreshSources();
    } catch (e) {
      set.value = loadFailed(set.value, errorMessage(e));
    }
  }

  /** Shows `next` (picked by the user: a live run's new epochs no longer replace it). */
  async function choose(next: MaskSource): Promise<void> {
    pinned.value = true;
    await load(next);
  }

  /** Fetches every page of `next` and shows it. */
  async function load(next: MaskSource): Promise<void> {
    const id = runId.value;
    if (id === null) return;
    const mine = ++ticket;
    source.value = next;
    set.value = startLoading(set.value);
    frames.value = [];
    frameEpoch.value = null;
    try {
      const page = (offset: number) =>
        next.kind === 'epoch'
          ? api().getPredictions({ id, epoch: next.epoch, offset, limit: MASK_PAGE_SIZE })
          : api().getFolderPredictions({ id, key: next.key, offset, limit: MASK_PAGE_SIZE });
      const pages: PredictionsView[] = [];
      let total = Infinity;
      for (let offset = 0; offset < total; offset += MASK_PAGE_SIZE) {
        const p = await page(offset);
        if (mine !== ticket) return;
        pages.push(p);
        total = p.total;
        progress.value = { done: Math.min(total, offset + p.ids.length), total };
        if (p.ids.length === 0) break;
      }
      set.value = { state: 'ready', value: assemble(id, next, pages) };
      const f = view.value.focus;
      if (f.mode === 'image') void loadFrames();
    } catch (e) {
      if (mine === ticket) set.value = loadFailed(set.value, errorMessage(e));
    } finally {
      if (mine === ticket) progress.value = null;
    }
  }

  /** The open image's prediction at every stored epoch, and each one's checkerboard score. */
  async function loadFrames(): Promise<void> {
    const s = loaded.value;
    const k = openIndex.value;
    const mine = ++framesTicket;
    frames.value = [];
    frameEpoch.value = null;
    if (!s || k === null || s.source.kind !== 'epoch') return;
    const sid = s.ids[k];
    const px = s.height * s.width;
    const out: EpochFrame[] = [];
    for (const epoch of epochs.value) {
      let probs: Uint8Array;
      if (epoch === s.epoch) probs = s.probs.slice(k * px, (k + 1) * px);
      else {
        const p = await api().getPredictions({ id: s.runId, epoch, offset: k, limit: 1 });
        if (mine !== framesTicket) return;
        // Every epoch stores the same validation ids in the same order; anything else is skipped.
        if (p.ids[0] !== sid) continue;
        probs = fromBase64(p.probs);
      }
      const map = Float32Array.from(probs, (b) => b / 255);
      out.push({ epoch, probs, checkerboard: checkerboardScore(map, s.height, s.width).score });
      frames.value = markRaw([...out]);
    }
  }

  /** Draws the open image at `epoch` (null: the set's own). */
  function showEpoch(epoch: number | null): void {
    frameEpoch.value = epoch;
  }

  /** Predicts the folder at `path` with the open run, then shows the result. */
  async function predictFolder(path: string): Promise<void> {
    const id = runId.value;
    if (id === null || predicting.value.state === 'loading') return;
    predicting.value = startLoading(predicting.value);
    try {
      const f = await api().predictFolder({ id, path });
      predicting.value = { state: 'ready', value: f };
      folders.value = await api().listFolderPredictions({ id });
      await choose({ kind: 'folder', key: f.key });
    } catch (e) {
      predicting.value = loadFailed(predicting.value, errorMessage(e));
    }
  }

  /**
   * Writes a Kaggle submission of the shown predictions, with the shown threshold and minimum area, to
   * `path`. An existing submission there is replaced only with `overwrite` (the user confirmed); until
   * then `replaceAsk` holds the path, so the view can ask. The lab never replaces a file that is not a submission.
   */
  async function exportSubmission(path: string, overwrite = false): Promise<void> {
    const id = runId.value;
    const src = source.value;
    if (id === null || src === null) return;
    exported.value = startLoading(exported.value);
    replaceAsk.value = null;
    try {
      exported.value = { state: 'ready', value: await api().exportSubmission({ id, source: src, threshold: rule.value.threshold, minArea: rule.value.minArea, path, ...(overwrite ? { overwrite } : {}) }) };
    } catch (e) {
      if (e instanceof ApiError && e.code === 'conflict') replaceAsk.value = path;
      exported.value = loadFailed(exported.value, errorMessage(e));
    }
  }

  /** The desktop app's folder dialog, then the prediction of the chosen folder; a cancelled dialog changes nothing. */
  async function chooseAndPredict(): Promise<void> {
    if (runId.value === null || predicting.value.state === 'loading') return;
    let chosen: string | null;
    try {
      chosen = (await api().pickFolder({ purpose: 'predict-folder' })).path;
    } catch (e) {
      predicting.value = loadFailed(predicting.value, `The folder dialog could not open: ${errorMessage(e)}`);
      return;
    }
    if (chosen !== null) await predictFolder(chosen);
  }

  /**
   * The desktop app's save dialog (proposing `<run>-submission.csv`), then the submission written
   * there; a cancelled dialog changes nothing. Also File > Export submission.
   */
  async function saveSubmissionAs(): Promise<void> {
    const id = runId.value;
    if (id === null || source.value === null) {
      exported.value = loadFailed(exported.value, 'There are no predictions to export: choose a run and its predictions first.');
      return;
    }
    const name = (current(runs.value) ?? []).find((r) => r.id === id)?.name ?? id;
    let chosen: string | null;
    try {
      chosen = (await api().pickSaveFile({ purpose: 'submission', defaultName: submissionFileName(name) })).path;
    } catch (e) {
      exported.value = loadFailed(exported.value, `The save dialog could not open: ${errorMessage(e)}`);
      return;
    }
    // The save dialog asked before choosing an existing file (showOverwriteConfirmation).
    if (chosen !== null) await exportSubmission(chosen, true);
  }

  /** Follows the open run's trainer: each stored epoch shows up as it completes. */
  function followRun(id: string | null): void {
    if (runEvents?.runId === id) return;
    runEvents?.undo();
    runEvents = null;
    if (id === null) return;
    runEvents = {
      runId: id,
      undo: api().onRunEvent({ runId: id }, (m) => {
        if ((m.type === 'event' && m.event.type === 'checkpoint') || m.type === 'ended') void refreshSources().catch(() => undefined);
      }),
    };
  }

  /** Stops following (the view closed). */
  function unfollow(): void {
    runEvents?.undo();
    runEvents = null;
    runList?.();
    runList = null;
  }

  return {
    runs, runId, epochs, folders, source, pinned, set, progress, view, frames, frameEpoch, predicting, exported, replaceAsk,
    loaded, runPostprocess, folder, storedRule, rule, shownPredictions, stale, draw, scores, curve, summary, order, openIndex,
    dispatch, refreshRuns, refreshSources, selectRun, choose, loadFrames, showEpoch, predictFolder, exportSubmission, chooseAndPredict, saveSubmissionAs, unfollow,
  };
});
