import { POSTPROCESS_MODES, type PostprocessMode } from '../../../shared/runs/postprocess';
import type { RunRecord } from '../../../shared/runs/types';
import type { Dataset } from '../../data/dataset';
import { RunStore } from '../../runs/store';
import { predictWithRun, type RunPrediction } from '../../training/inference';
import { choiceArg, CliError, numberArg } from '../args';
import { loadDataset } from './train';

/** The flags `eval` and `predict` share: what post-processing to apply. */
export const POSTPROCESS_OPTIONS = {
  threshold: { type: 'string' },
  postprocess: { type: 'string' },
} as const;

/** `--postprocess run|none` (default run) and `--threshold T` (overrides the threshold in either mode). */
export function postprocessArgs(v: { threshold?: string | undefined; postprocess?: string | undefined }): { mode: PostprocessMode; threshold?: number } {
  const mode = choiceArg('postprocess', v.postprocess, 'run', POSTPROCESS_MODES);
  if (v.threshold === undefined) return { mode };
  return { mode, threshold: numberArg('threshold', v.threshold, 0.5, { min: 0, max: 1 }) };
}

/** The post-processing as `eval` and `predict` report it in their JSON. */
export function postprocessReport(p: RunPrediction): { threshold: number; minArea: number; saltCut?: number; tta: boolean; ensemble: number; epochs: number[]; source: string; note: string } {
  const a = p.applied;
  return { threshold: a.threshold, minArea: a.minArea, ...(a.saltCut === undefined ? {} : { saltCut: a.saltCut }), tta: a.tta, ensemble: a.snapshots, epochs: p.epochs, source: a.source, note: a.note };
}

/**
 * Predicts the images of a folder with a run, through the one prediction path (predictWithRun),
 * with progress on stderr and a line saying what post-processing it applies. A missing run or
 * checkpoint, or images of the wrong size, is a bad input (exit 2). `check` sees the folder and the
 * run before anything is predicted (eval: the folder must have masks; its overlap with the run's split).
 */
export async function predictFolder(
  runsDir: string,
  runId: string,
  dir: string,
  pp: { mode: PostprocessMode; threshold?: number },
  check?: (ds: Dataset, run: RunRecord) => void,
): Promise<{ ds: Dataset; run: RunRecord; prediction: RunPrediction }> {
  const store = RunStore.open(runsDir);
  try {
    let run: RunRecord;
    try {
      run = store.get(runId);
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err));
    }
    const node = run.arch.nodes.find((n) => n.kind === 'input');
    const input = node?.kind === 'input' ? node : undefined;
    const ds = await loadDataset({ kind: 'folder', path: dir });
    if (ds.ids.length === 0) throw new CliError(`${dir}: has no images to predict`);
    if (input && (input.height !== ds.height || input.width !== ds.width)) {
      throw new CliError(`run ${runId} takes ${input.height}x${input.width} images, but ${dir} has ${ds.height}x${ds.width}`);
    }
    check?.(ds, run);
    let loaded = false;
    try {
      const prediction = await predictWithRun(store, runId, ds, {
        ...pp,
        onLoaded: (applied, ens) => {
          loaded = true;
          process.stderr.write(`predicting ${ds.ids.length} images with run ${runId} (epoch ${ens.epochs.map((e) => e + 1).join(', ')}; ${ens.backend.name})\n${applied.note}\n`);
        },
        onProgress: (done, total) => {
          if (process.stderr.isTTY) process.stderr.write(`\r${done}/${total}`);
        },
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      return { ds, run, prediction };
    } catch (err) {
      // What fails before the models are loaded (no such run, no checkpoint, a snapshot gone) is the user's input.
      if (!loaded) throw new CliError(err instanceof Error ? err.message : String(err));
      throw err;
    }
  } finally {
    store.close();
  }
}
