/**
 * The finalize step at the end of training: on the validation split, and only there, it weighs the
 * best checkpoint against the snapshot ensemble (the mean of the predictions of the last K epochs'
 * checkpoints, when the run keeps them: their probabilities are averaged, not their weights), each
 * with flip TTA when the run asks for it, tunes the threshold and the minimum salt area for each
 * (unless config.inference fixes them) with the one tuner (tuneThresholdAndArea), with a salt head
 * also its vote's cut (DEFAULT_SALT_CUT, untuned, when the threshold and the area are both fixed),
 * and keeps the candidate that scores higher. The choice is stored with the run
 * (RunRecord.postprocess) and applied by every prediction path (see shared/runs/postprocess.ts). A
 * run with a test split then has its test images scored once, with that choice; nothing chosen ever
 * sees them.
 */
import { DEFAULT_SALT_CUT, scorePostprocess, tuneThresholdAndArea, type TuneResult } from '../../shared/metrics';
import { checkpointsOf, describeCheckpoints, describePostprocess, finalizeRefusal, type CheckpointRef, type PostprocessCandidate, type RunPostprocess, type RunTestResult } from '../../shared/runs/postprocess';
import type { RunRecord } from '../../shared/runs/types';
import type { Dataset } from '../data/dataset';
import type { RunStore } from '../runs/store';
import type { BackendReport } from './backend';
import type { EventSink } from './callbacks';
import { loadJobDataset } from './data';
import { loadEnsemble, predictAll, type DatasetPrediction } from './inference';

/** What the finalize step works with besides the run. */
export interface FinalizeOptions {
  /** The run's dataset when already loaded (the trainer's); otherwise it is loaded and checked against the run's fingerprint. */
  dataset?: Dataset;
  /** The backend already selected in this process. */
  backend?: BackendReport;
  /** Stores (and streams) a run event; by default the event is only stored. */
  event?: EventSink;
  /** Progress lines (which candidate is being predicted). */
  log?: (message: string) => void;
  /** The process finalizing: the store refuses the write when another live process owns the run. */
  pid?: number;
  batch?: number;
}

/** What finalize chose and measured. */
export interface FinalizeResult {
  postprocess: RunPostprocess;
  test: RunTestResult | null;
}

function loadedDataset(run: RunRecord, given: Dataset | undefined): Promise<Dataset> | Dataset {
  if (given) return given;
  return loadJobDataset(run.dataset.source).then((ds) => {
    if (ds.info.fingerprint !== run.dataset.fingerprint) {
      const where = run.dataset.source.kind === 'demo' ? 'the demo dataset' : run.dataset.source.path;
      throw new Error(`the data at ${where} has changed since run ${run.id} was trained (fingerprint ${ds.info.fingerprint.slice(0, 12)} vs ${run.dataset.fingerprint.slice(0, 12)})`);
    }
    return ds;
  });
}

function indicesOf(ds: Dataset, ids: readonly string[], what: string): number[] {
  const byId = new Map(ds.ids.map((id, i) => [id, i]));
  return ids.map((id) => {
    const i = byId.get(id);
    if (i === undefined) throw new Error(`${what} sample ${id} is not in ${ds.info.name}`);
    return i;
  });
}

function truthsOf(ds: Dataset, indices: readonly number[]): Uint8Array {
  if (!ds.masks) throw new Error(`${ds.info.name} has no masks to choose the post-processing on`);
  const px = ds.height * ds.width;
  const out = new Uint8Array(indices.length * px);
  indices.forEach((index, k) => out.set(ds.masks?.subarray(index * px, (index + 1) * px) ?? new Uint8Array(px), k * px));
  return out;
}

function fmt(x: number | null): string {
  return x === null ? '-' : x.toFixed(4);
}

/**
 * Chooses, stores and announces run `runId`'s post-processing, then scores its test split once.
 * Throws, naming the reason, when the run has no best checkpoint, no validation images or no masks,
 * or when another live process owns the run.
 */
export async function finalizeRun(store: RunStore, runId: string, opts: FinalizeOptions = {}): Promise<FinalizeResult> {
  const run = store.get(runId);
  const event: EventSink = opts.event ?? ((ev) => store.addEvent(runId, { ...ev, time: Date.now() }));
  const log = opts.log ?? (() => {});
  const best = store.checkpointInfo(runId, 'best');
  const refusal = finalizeRefusal({ id: runId, epochsDone: run.epochsDone, valImages: run.split.val.length, hasBest: best !== null });
  if (refusal !== null || !best) throw new Error(refusal ?? `run ${runId} has no best checkpoint`);
  const testIds = run.split.test;
  const seen = new Set([...run.split.train, ...run.split.val]);
  const leaked = testIds.find((id) => seen.has(id));
  if (leaked !== undefined) throw new Error(`run ${runId}: test sample ${leaked} is also in its training or validation split, so its test score would not be held out`);

  const ds = await loadedDataset(run, opts.dataset);
  const val = indicesOf(ds, run.split.val, 'validation');
  const truths = truthsOf(ds, val);
  const h = ds.height;
  const w = ds.width;
  const inf = run.config.inference;
  // A rule whose threshold and area are both fixed is not tuned at all: a salt head then votes at DEFAULT_SALT_CUT.
  const fixedRule = inf.threshold !== undefined && inf.minArea !== undefined;
  const grid = {
    ...(inf.threshold === undefined ? {} : { thresholds: [inf.threshold] }),
    ...(inf.minArea === undefined ? {} : { areas: [inf.minArea] }),
    ...(fixedRule ? { saltCuts: [DEFAULT_SALT_CUT] } : {}),
  };

  // The candidates: the best checkpoint, and the snapshot ensemble of the last K epochs when at least two are kept.
  const lastEpoch = run.lastCheckpoint?.epoch ?? best.epoch;
  const ring = inf.snapshots > 1 ? store.snapshots(runId).filter((s) => s.epoch <= lastEpoch).slice(-inf.snapshots) : [];
  const options: { members: 'best' | 'snapshots'; refs: CheckpointRef[]; epochs: number[] }[] = [{ members: 'best', refs: [{ kind: 'best' }], epochs: [best.epoch] }];
  if (ring.length >= 2) options.push({ members: 'snapshots', refs: ring.map((s) => ({ kind: 'snapshot', epoch: s.epoch })), epochs: ring.map((s) => s.epoch) });

  const tuned: { members: 'best' | 'snapshots'; epochs: number[]; tune: TuneResult }[] = [];
  for (const o of options) {
    log(`finalize: predicting ${val.length} validation images with the ${describeCheckpoints({ members: o.members, checkpointEpochs: o.epochs })}${inf.tta ? ' and flip TTA' : ''}`);
    const ens = await loadEnsemble(store, runId, o.refs, inf.tta, opts.backend);
    let p: DatasetPrediction;
    try {
      p = await predictAll(ens, ds, { indices: val, ...(opts.batch === undefined ? {} : { batch: opts.batch }) });
    } finally {
      ens.dispose();
    }
    // With a salt head the tuner also chooses the vote's cut (0: no vote).
    tuned.push({ members: o.members, epochs: o.epochs, tune: tuneThresholdAndArea(truths, p.probs, val.length, h, w, grid, p.saltProbs ?? undefined) });
  }
  // The higher validation score wins; a tie goes to the best checkpoint alone (fewer models to run).
  let chosen = tuned[0];
  for (const t of tuned.slice(1)) if (chosen && t.tune.best.score > chosen.tune.best.score) chosen = t;
  if (!chosen) throw new Error(`run ${runId}: no candidate was evaluated`);
  const b = chosen.tune.best;
  const candidates: PostprocessCandidate[] = tuned.map((t) => ({
    members: t.members,
    checkpointEpochs: t.epochs,
    threshold: t.tune.best.threshold,
    minArea: t.tune.best.minArea,
    ...(t.tune.best.saltCut === undefined ? {} : { saltCut: t.tune.best.saltCut }),
    valScore: t.tune.best.score,
  }));
  const postprocess: RunPostprocess = {
    threshold: b.threshold,
    minArea: b.minArea,
    ...(b.saltCut === undefined ? {} : { saltCut: b.saltCut }),
    tta: inf.tta,
    snapshots: chosen.epochs.length,
    members: chosen.members,
    checkpointEpochs: chosen.epochs,
    tuned: { threshold: inf.threshold === undefined, minArea: inf.minArea === undefined, ...(b.saltCut === undefined ? {} : { saltCut: !fixedRule }) },
    valImages: val.length,
    valScore: b.score,
    valEmptyScore: b.emptyScore,
    valSaltScore: b.saltScore,
    candidates,
    at: Date.now(),
  };

  let test: RunTestResult | null = null;
  if (testIds.length > 0) {
    const idx = indicesOf(ds, testIds, 'test');
    const testTruths = truthsOf(ds, idx);
    log(`finalize: scoring ${idx.length} held-out test images once`);
    const ens = await loadEnsemble(store, runId, checkpointsOf(postprocess), postprocess.tta, opts.backend);
    let p: DatasetPrediction;
    try {
      p = await predictAll(ens, ds, { indices: idx, ...(opts.batch === undefined ? {} : { batch: opts.batch }) });
    } finally {
      ens.dispose();
    }
    const s = scorePostprocess(testTruths, p.probs, idx.length, h, w, postprocess, p.saltProbs ?? undefined);
    test = { images: idx.length, score: s.score, emptyScore: s.emptyScore, saltScore: s.nonEmptyScore, meanIoU: s.meanIoU, at: Date.now() };
  }

  const written = store.unlessOwnedByAnother(runId, opts.pid ?? process.pid, () => {
    store.update(runId, { postprocess, test });
  });
  if (!written) throw new Error(`run ${runId} is being trained by another process; its post-processing was not stored`);

  const others = candidates.filter((_, i) => tuned[i] !== chosen);
  const step = run.lastCheckpoint?.step ?? 0;
  const epoch = lastEpoch;
  event({
    type: 'postprocess',
    epoch,
    step,
    message:
      `post-processing chosen on ${val.length} validation images: ${describePostprocess(postprocess)}: ` +
      `validation score ${fmt(b.score)} (empty ${fmt(b.emptyScore)}, salt ${fmt(b.saltScore)}; tuned on these images)` +
      others.map((c) => `; ${describeCheckpoints(c)} scored ${fmt(c.valScore)}`).join(''),
    data: { postprocess },
  });
  if (test) {
    event({
      type: 'test-score',
      epoch,
      step,
      message: `held-out test score ${fmt(test.score)} on ${test.images} images (empty ${fmt(test.emptyScore)}, salt ${fmt(test.saltScore)}, mean IoU ${fmt(test.meanIoU)})`,
      data: { test },
    });
  }
  return { postprocess, test };
}
