/**
 * The `predict` job of a trainer process: run `runId` predicts every image of a folder through the
 * one prediction path (predictWithRun: the run's stored checkpoints and flip TTA), and the
 * probabilities are stored in the run's folder with what was applied (see runs/folderPredictions),
 * so the Masks view and the Kaggle export make the same masks as `strata predict`. Runs in the
 * trainer process because the lab itself never loads tfjs.
 */
import { predictionPostprocessOf } from '../../shared/runs/postprocess';
import type { PredictJob, PredictReply } from '../../shared/training/protocol';
import { loadDataSource } from '../data/load';
import { saveFolderPrediction } from '../runs/folderPredictions';
import { RunStore } from '../runs/store';
import { predictWithRun } from './inference';

/** Runs `job`, reporting progress through `emit`; resolves with the result or the reason it failed. */
export async function runPredictJob(job: PredictJob, emit: (m: PredictReply) => void): Promise<PredictReply> {
  let store: RunStore | null = null;
  try {
    store = RunStore.open(job.runsDir);
    const ds = await loadDataSource({ kind: 'folder', path: job.folder });
    if (ds.ids.length === 0) throw new Error(`${job.folder} has no images to predict`);
    let last = 0;
    const r = await predictWithRun(store, job.runId, ds, {
      onProgress: (done, total) => {
        // A message per batch would flood the channel on big folders; every ~2% is plenty.
        if (done === total || done - last >= Math.max(16, total / 50)) {
          last = done;
          emit({ type: 'predict-progress', done, total });
        }
      },
    });
    const epoch = Math.max(...r.epochs);
    const info = saveFolderPrediction(
      job.runsDir,
      job.runId,
      job.folder,
      { epoch, ids: ds.ids, probs: r.probs, height: ds.height, width: ds.width },
      predictionPostprocessOf(r.applied, r.epochs),
      { saltProbs: r.saltProbs },
    );
    return { type: 'predict-result', key: info.key, count: info.count, epoch: info.epoch };
  } catch (e) {
    return { type: 'predict-failed', message: e instanceof Error ? e.message : String(e) };
  } finally {
    store?.close();
  }
}
