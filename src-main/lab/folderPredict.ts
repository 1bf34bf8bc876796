/**
 * Predicting folders of images with a run, browsing the stored results, and exporting Kaggle
 * submissions. Prediction runs in a trainer process (the lab never loads tfjs); its result is
 * stored in the run's folder, so it outlives the lab.
 */
import { withStderr } from './trainerOutput';
import fs from 'node:fs';
import path from 'node:path';
import type { FolderPrediction, PredictionsView, SubmissionExport } from '../../shared/api/types';
import { applyPostprocess } from '../../shared/metrics';
import type { RunPredictions } from '../../shared/runs/types';
import { isPredictReply, type PredictReply } from '../../shared/training/protocol';
import { scoringProblems, SUBMISSION_HEADER, writeSubmission } from '../data/submission';
import { truthFileOf } from '../data/tgsImport';
import { listFolderPredictions, loadFolderPrediction } from '../runs/folderPredictions';
import type { RunStore } from '../runs/store';
import type { Datasets } from './datasets';
import { LabError } from './errors';
import { realPath } from './paths';
import { predictionPage } from './predictionView';
import { launchTrainer, type TrainerChild } from './trainerHost';

/** Which stored predictions a submission is made from. */
export type SubmissionSource = { kind: 'epoch'; epoch: number } | { kind: 'folder'; key: string };

/** How a prediction process ended. */
type PredictOutcome = Exclude<PredictReply, { type: 'predict-progress' }>;

/** Longest a folder prediction may take before its process is killed. */
const PREDICT_TIMEOUT_MS = 30 * 60_000;

/** Starts the process a prediction runs in; tests may hand in another. */
export type PredictLauncher = () => TrainerChild;

/** Folder predictions and submissions of the lab's runs. */
export class FolderPredictor {
  private child: TrainerChild | null = null;

  constructor(
    private readonly store: RunStore,
    private readonly datasets: Datasets,
    private readonly runsDir: string,
    private readonly launch: PredictLauncher = () => launchTrainer(),
  ) {}

  /**
   * Predicts every image of the folder `dir` with run `id` (its stored post-processing: checkpoints
   * and flip TTA; see predictJob.ts) and stores the probabilities in the run's folder. One prediction at a time: a second is refused while one is under way.
   */
  async predict(id: string, dir: string): Promise<FolderPrediction> {
    const run = this.store.get(id);
    if (!this.store.checkpointInfo(id, 'best')) throw new LabError('conflict', `run ${id} has no checkpoint to predict with yet (${run.epochsDone} epochs done)`);
    const abs = path.resolve(dir);
    const st = fs.statSync(abs, { throwIfNoEntry: false });
    if (!st) throw new LabError('not-found', `there is no folder at ${abs}`);
    if (!st.isDirectory()) throw new LabError('bad-request', `${abs} is a file, not a folder`);
    if (this.child) throw new LabError('conflict', 'a folder prediction is already under way; wait for it to finish');
    const reply = await this.runChild({ runsDir: this.runsDir, runId: id, folder: abs });
    if (reply.type === 'predict-failed') throw new LabError('bad-request', `predicting ${abs} with run ${id} failed: ${reply.message}`);
    const info = this.list(id).find((f) => f.key === reply.key);
    if (!info) throw new LabError('internal', `the prediction of ${abs} finished but its result is not in run ${id}'s folder`);
    return info;
  }

  private runChild(job: { runsDir: string; runId: string; folder: string }): Promise<PredictOutcome> {
    const child = this.launch();
    this.child = child;
    return new Promise<PredictOutcome>((resolve) => {
      let settled = false;
      const finish = (r: PredictOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (this.child === child) this.child = null;
        resolve(r);
      };
      const timer = setTimeout(() => {
        finish({ type: 'predict-failed', message: `it took longer than ${PREDICT_TIMEOUT_MS / 60_000} minutes and was stopped` });
        child.kill('SIGKILL');
      }, PREDICT_TIMEOUT_MS);
      child.onMessage((m) => {
        if (isPredictReply(m) && m.type !== 'predict-progress') finish(m);
      });
      child.onExit((code, signal) =>
        finish({ type: 'predict-failed', message: withStderr(`the prediction process ended (${signal ?? `code ${code ?? '?'}`}) without a result`, child.stderrTail?.()) }),
      );
      child.onError((err) => finish({ type: 'predict-failed', message: `could not start the prediction process: ${err.message}` }));
      child.send({ type: 'predict', job });
    });
  }

  /** The stored folder predictions of run `id`, newest first. */
  list(id: string): FolderPrediction[] {
    this.store.get(id);
    return listFolderPredictions(this.runsDir, id);
  }

  private load(id: string, key: string): { info: FolderPrediction; predictions: RunPredictions; saltProbs: Float32Array | null } {
    this.store.get(id);
    const found = loadFolderPrediction(this.runsDir, id, key);
    if (!found) throw new LabError('not-found', `run ${id} has no stored folder prediction ${key}`);
    return found;
  }

  /** A page of a stored folder prediction, with the folder's images (and masks when it has them). */
  async view(id: string, key: string, offset: number, limit?: number): Promise<PredictionsView> {
    const { info, predictions, saltProbs } = this.load(id, key);
    let data: Parameters<typeof predictionPage>[0]['data'];
    try {
      data = { ok: true, dataset: await this.datasets.loadSource({ kind: 'folder', path: info.path }), changed: false };
    } catch (e) {
      data = { ok: false, reason: `${info.path}: ${e instanceof Error ? e.message : String(e)}` };
    }
    // A labelled folder whose import skipped images or masks is not scored on what is left (as strata eval).
    const truthProblems = data.ok ? scoringProblems(data.dataset.info.problems, await truthFileOf(info.path)) : [];
    // The salt head's probabilities go with the page, so the view draws the masks the export writes.
    return predictionPage({ runId: id, predictions, offset, ...(limit === undefined ? {} : { limit }), data, unlabelled: true, saltProbs, truthProblems });
  }

  /**
   * Writes a Kaggle submission (`id,rle_mask`) of stored predictions to `file` (an absolute `.csv`
   * path in an existing folder, not an existing folder itself), with the masks every prediction path
   * makes (applyPostprocess): salt above `threshold`, images with fewer than `minArea` salt pixels
   * empty, and for a folder prediction with a salt head, its vote. `minArea` left out: a folder
   * prediction's own (what the run applied when it predicted), else the run's stored one, else 0.
   * An existing file is replaced only with `overwrite` (the user confirmed it), and only when it is a
   * submission (its first line `id,rle_mask`): a dataset's own CSV (refuseDatasetFile) or any other
   * file never is.
   */
  exportSubmission(id: string, source: SubmissionSource, threshold: number, file: string, minArea?: number, overwrite = false): SubmissionExport {
    const abs = path.resolve(file);
    if (!/\.csv$/i.test(abs)) throw new LabError('bad-request', `${abs}: a submission file name ends in .csv`, [{ path: 'path', message: 'must end in .csv' }]);
    const parent = fs.statSync(path.dirname(abs), { throwIfNoEntry: false });
    if (!parent?.isDirectory()) throw new LabError('bad-request', `${path.dirname(abs)} is not an existing folder`, [{ path: 'path', message: 'the folder does not exist' }]);
    const existing = fs.statSync(abs, { throwIfNoEntry: false });
    if (existing?.isDirectory()) {
      throw new LabError('bad-request', `${abs} is a folder; give a file name`, [{ path: 'path', message: 'is a folder' }]);
    }
    let p: RunPredictions;
    let area: number;
    // The salt head's vote, where the prediction kept the salt probabilities it needs.
    let vote: { saltCut: number; saltProbs: Float32Array } | null = null;
    if (source.kind === 'folder') {
      const found = this.load(id, source.key);
      p = found.predictions;
      area = minArea ?? found.info.postprocess?.minArea ?? 0;
      const cut = found.info.postprocess?.saltCut;
      if (cut !== undefined && found.saltProbs) vote = { saltCut: cut, saltProbs: found.saltProbs };
    } else {
      const found = this.store.loadPredictions(id, source.epoch);
      if (!found) throw new LabError('not-found', `run ${id} has no predictions for epoch ${source.epoch}`);
      p = found;
      area = minArea ?? this.store.summary(id).postprocess?.minArea ?? 0;
    }
    const rule = { threshold, minArea: area, ...(vote ? { saltCut: vote.saltCut } : {}) };
    const masks = p.ids.length === 0 ? new Uint8Array(0) : applyPostprocess(p.probs, p.ids.length, p.height, p.width, rule, undefined, vote?.saltProbs);
    refuseDatasetFile(abs, existing !== undefined, this.datasets.folders());
    if (existing) checkReplaceable(abs, existing, overwrite);
    writeSubmission(abs, p.ids, masks, p.height, p.width);
    const px = p.height * p.width;
    let withSalt = 0;
    for (let i = 0; i < p.ids.length; i++) if (masks.subarray(i * px, (i + 1) * px).some((m) => m !== 0)) withSalt++;
    return { path: abs, rows: p.ids.length, withSalt, threshold, minArea: area, ...(vote ? { saltCut: vote.saltCut } : {}) };
  }

  /** Stops a prediction under way (the lab is closing). */
  close(): void {
    this.child?.kill('SIGKILL');
    this.child = null;
  }
}

/** Longest first line read to tell a submission from another file. */
const HEADER_PEEK = 64;

/** The first line of `file` (at most HEADER_PEEK bytes), BOM and CR dropped. */
function firstLine(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(HEADER_PEEK);
    const n = fs.readSync(fd, buf, 0, HEADER_PEEK, 0);
    return buf.subarray(0, n).toString('utf8').replace(/^\uFEFF/, '').split('\n')[0]?.replace(/\r$/, '') ?? '';
  } finally {
    fs.closeSync(fd);
  }
}

/** The files a TGS folder reads as its own (its truth and its depths), whatever their case. */
const DATASET_FILES = /^(train|depths)\.csv$/i;

/** What in folder `dir` makes it a dataset's (PNG images, or an images/ or Kaggle train/ folder), or null. */
function datasetContent(dir: string): string | null {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return null;
  }
  for (const e of entries) {
    if (/\.png$/i.test(e.name) && !e.isDirectory()) return `PNG images, ${e.name} among them`;
    if (/^(images|train)$/i.test(e.name) && (e.isDirectory() || fs.statSync(path.join(dir, e.name), { throwIfNoEntry: false })?.isDirectory())) return `a ${e.name}/ folder`;
  }
  return null;
}

/**
 * Refuses a submission path that is, or may be, a dataset's own CSV, even a new one: a file named
 * train.csv or depths.csv (a new train.csv beside PNGs would become their truth), the train.csv or
 * depths.csv of a dataset in the lab's list (links followed), and, to replace, any CSV in a folder of
 * images (a flat folder's or Kaggle's train.csv sits beside PNGs or train/, not only images/).
 */
function refuseDatasetFile(abs: string, exists: boolean, datasetFolders: readonly string[]): void {
  const real = realPath(abs);
  const own = datasetFolders.find((dir) => ['train.csv', 'depths.csv'].some((f) => realPath(path.join(dir, f)) === real));
  if (own !== undefined) {
    throw new LabError('forbidden', `${abs} is the ${path.basename(real)} of the dataset ${own}; a dataset's own files are never replaced, so choose another file name`, [{ path: 'path', message: "a dataset's own file" }]);
  }
  if (DATASET_FILES.test(path.basename(abs))) {
    throw new LabError('forbidden', `${abs}: ${path.basename(abs)} is the name of a dataset's own file (its truth or its depths); a submission never takes it, so choose another file name`, [{ path: 'path', message: "a dataset's own file name" }]);
  }
  const content = exists ? datasetContent(path.dirname(abs)) : null;
  if (content !== null) {
    throw new LabError('forbidden', `${abs} is in a dataset folder (${path.dirname(abs)} holds ${content}), where a CSV may be its truth; it is never replaced, so choose another file name`, [{ path: 'path', message: 'in a dataset folder' }]);
  }
}

/** Refuses to replace `abs` unless the user asked to and it is a submission. */
function checkReplaceable(abs: string, st: fs.Stats, overwrite: boolean): void {
  let head: string | null = null;
  if (st.isFile()) {
    try {
      head = firstLine(abs);
    } catch (e) {
      throw new LabError('bad-request', `${abs} exists and cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}); it is not replaced`, [{ path: 'path', message: 'exists' }]);
    }
  }
  if (head === null || head.trim().toLowerCase() !== SUBMISSION_HEADER) {
    const what = head === null ? 'not a regular file' : `its first line is "${head.slice(0, 40)}", not "${SUBMISSION_HEADER}"`;
    throw new LabError('forbidden', `${abs} exists and is not a submission (${what}); it is never replaced, so choose another file name`, [{ path: 'path', message: 'exists and is not a submission' }]);
  }
  if (!overwrite) {
    throw new LabError('conflict', `${abs} exists (a submission); confirm to replace it (overwrite: true) or choose another file name`, [{ path: 'path', message: 'exists' }]);
  }
}
