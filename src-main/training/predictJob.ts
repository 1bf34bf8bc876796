/**
 * The `predict` job of a trainer process: the run's best checkpoint predicts every image of a
 * folder, and the probabilities are stored in the run's folder (see runs/folderPredictions). Runs in
 * the trainer process because the lab itself never loads tfjs.
 */
import type { PredictJob, PredictReply } from '../../shared/training/protocol';
import { loadDataSource } from '../data/load';
import { saveFolderPrediction } from '../runs/folderPredictions';
import { RunStore } from '../runs/store';
import { loadRunModel, predictDataset } from './inference';

/** Runs `job`, reporting progress through `emit`; resolves with the result or the reason it failed. */
export async function runPredictJob(job: PredictJob, emit: (m: PredictReply) => void): Promise<PredictReply> {
  let store: RunStore | null = null;
  try {
    store = RunStore.open(job.runsDir);
    const loaded = await loadRunModel(store, job.runId);
    try {
      const t = store.epochMetrics(job.runId).find((e) => e.epoch === loaded.epoch)?.bestThreshold;
      const tuned = t !== undefined && Number.isFinite(t) ? t : null;
      const ds = await loadDataSource({ kind: 'folder', path: job.folder });
      let last = 0;
      const probs = predictDataset(loaded, ds, 16, (done, total) => {
        // A message per batch would flood the channel on big folders; every ~2% is plenty.
        if (done === total || done - last >= Math.max(16, total / 50)) {
          last = done;
          emit({ type: 'predict-progress', done, total });
        }
      });
      const info = saveFolderPrediction(job.runsDir, job.runId, job.folder, { epoch: loaded.epoch, ids: ds.ids, probs, height: ds.height, width: ds.width }, tuned);
      return { type: 'predict-result', key: info.key, count: info.count, epoch: info.epoch };
    } finally {
      loaded.model.dispose();
    }
  } catch (e) {
    return { type: 'predict-failed', message: e instanceof Error ? e.message : String(e) };
  } finally {
    store?.close();
  }
}
