/**
 * A page of stored predictions as the mask viewer receives it: the probabilities (and a salt head's
 * per-image probabilities where the predictions keep them), and from the data the predictions were
 * made on, the grey images, depths and (for labelled data) the truth masks.
 */
import type { PredictionsView } from '../../shared/api/types';
import type { DatasetProblem } from '../../shared/data/types';
import type { RunPredictions } from '../../shared/runs/types';
import type { Dataset } from '../data/dataset';
import { toBase64 } from './datasets';

/** What the page is cut from. */
export interface PredictionPageInput {
  runId: string;
  predictions: RunPredictions;
  offset: number;
  limit?: number;
  /** The data the predictions were made on, or why it cannot be read. */
  data: { ok: true; dataset: Dataset; changed: boolean } | { ok: false; reason: string };
  /** True for a folder without masks, where missing truth is expected rather than a problem. */
  unlabelled?: boolean;
  /**
   * One salt-head probability per sample of `predictions` (a folder prediction of a design with a
   * salt head keeps them), so the viewer applies the same vote as the export; absent or null: none.
   */
  saltProbs?: ArrayLike<number> | null;
  /**
   * Problems of the data that left images or their truth out of it (scoringProblems): with any, the
   * page carries no truth, so the viewer shows no score over only the images that imported.
   */
  truthProblems?: readonly DatasetProblem[];
}

/** Copies the samples `ids` out of `packed` (one block of `px` bytes per sample of `index`). */
function gather(packed: Uint8Array, ids: readonly string[], index: Map<string, number>, px: number): Uint8Array {
  const out = new Uint8Array(ids.length * px);
  ids.forEach((sid, k) => {
    const i = index.get(sid) as number;
    out.set(packed.subarray(i * px, (i + 1) * px), k * px);
  });
  return out;
}

/** One page of predictions with the images, depths and truth of its samples. */
export function predictionPage(input: PredictionPageInput): PredictionsView {
  const { runId, predictions: p, offset } = input;
  const px = p.height * p.width;
  const end = Math.min(p.ids.length, offset + (input.limit ?? p.ids.length));
  const ids = p.ids.slice(offset, Math.max(offset, end));
  const probs = p.probs.subarray(offset * px, offset * px + ids.length * px);
  const salt = input.saltProbs ?? null;
  // A store that read them checked their count; a mismatch here is a caller's bug, not the user's data.
  if (salt && salt.length !== p.ids.length) throw new RangeError(`${salt.length} salt probabilities for ${p.ids.length} predicted samples`);
  const saltProbs = salt ? Array.from({ length: ids.length }, (_, k) => salt[offset + k] as number) : null;
  const base = { runId, epoch: p.epoch, total: p.ids.length, offset, ids, height: p.height, width: p.width, probs: toBase64(probs), saltProbs };
  const cannot = (reason: string): PredictionsView => ({
    ...base,
    truth: null,
    truthNote: `the data of these predictions cannot be read: ${reason}`,
    images: null,
    depths: null,
  });
  if (!input.data.ok) return cannot(input.data.reason);
  const ds = input.data.dataset;
  if (ds.height !== p.height || ds.width !== p.width) return cannot(`its images are now ${ds.height}x${ds.width}, the predictions ${p.height}x${p.width}`);
  const index = new Map(ds.ids.map((sid, i) => [sid, i]));
  const missing = ids.filter((sid) => !index.has(sid));
  if (missing.length) return cannot(`${missing.length} of the samples are gone (e.g. ${missing[0]})`);
  const images = toBase64(gather(ds.images, ids, index, px));
  const depths = ds.depths ? ids.map((sid) => {
    const d = (ds.depths as Float64Array)[index.get(sid) as number];
    return d === undefined || Number.isNaN(d) ? null : d;
  }) : null;
  let truth: string | null = null;
  let truthNote: string | null = null;
  const holes = input.truthProblems ?? [];
  if (ds.masks && holes.length) {
    const more = holes.length > 1 ? `; and ${holes.length - 1} more` : '';
    truthNote = `not scored: ${holes.length} problem(s) of the data leave images or their truth out, and a score over the rest would flatter (${holes[0]?.message ?? ''}${more})`;
  } else if (ds.masks) {
    truth = toBase64(gather(ds.masks, ids, index, px));
    if (input.data.changed) truthNote = 'the data has changed since the predictions were made; the masks may differ from those the run saw';
  } else {
    truthNote = input.unlabelled ? 'unlabelled images: no truth to score against' : 'the data has no masks any more';
  }
  return { ...base, truth, truthNote, images, depths };
}
