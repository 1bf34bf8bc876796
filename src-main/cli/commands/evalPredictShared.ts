import type { Dataset } from '../../data/dataset';
import { RunStore } from '../../runs/store';
import { loadRunModel, predictDataset, type LoadedModel } from '../../training/inference';
import { CliError } from '../args';
import { loadDataset } from './train';

/**
 * Loads a run's best model and the images of a folder, and predicts them, with progress on stderr.
 * `tunedThreshold` is the threshold that scored best on the run's validation set at the loaded epoch.
 */
export async function predictFolder(
  runsDir: string,
  runId: string,
  dir: string,
): Promise<{ loaded: LoadedModel; ds: Dataset; probs: Uint8Array; tunedThreshold: number | null }> {
  const store = RunStore.open(runsDir);
  let loaded: LoadedModel;
  let tunedThreshold: number | null = null;
  try {
    loaded = await loadRunModel(store, runId);
    const epoch = loaded.epoch;
    const t = store.epochMetrics(runId).find((e) => e.epoch === epoch)?.bestThreshold;
    tunedThreshold = t !== undefined && Number.isFinite(t) ? t : null;
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  } finally {
    store.close();
  }
  const ds = await loadDataset({ kind: 'folder', path: dir });
  const input = loaded.model.inputShape;
  if (input.h !== ds.height || input.w !== ds.width) {
    throw new CliError(`run ${runId} takes ${input.h}x${input.w} images, but ${dir} has ${ds.height}x${ds.width}`);
  }
  process.stderr.write(`predicting ${ds.ids.length} images with run ${runId} (epoch ${loaded.epoch + 1}, ${loaded.backend.name})\n`);
  const probs = predictDataset(loaded, ds, 16, (done, total) => {
    if (process.stderr.isTTY) process.stderr.write(`\r${done}/${total}`);
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  return { loaded, ds, probs, tunedThreshold };
}
