import { scoreSet, thresholdSweep } from '../../../shared/metrics';
import { CliError, numberArg, parseCommandArgs, printJson, requiredArg } from '../args';
import { runsDirArg } from '../runsDir';
import { predictFolder } from './evalPredictShared';

const OPTIONS = {
  run: { type: 'string' },
  data: { type: 'string' },
  threshold: { type: 'string' },
  'per-image': { type: 'boolean' },
  'runs-dir': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** `strata eval`: every metric of a run's best model on a labelled folder. */
export async function evalCommand(argv: string[]): Promise<number> {
  const { values: v } = parseCommandArgs('eval', argv, OPTIONS);
  const runId = requiredArg('eval', 'run', v.run);
  const dir = requiredArg('eval', 'data', v.data);
  const threshold = numberArg('threshold', v.threshold, 0.5, { min: 0, max: 1 });
  const { ds, probs, loaded } = await predictFolder(runsDirArg(v['runs-dir']), runId, dir);
  loaded.model.dispose();
  if (!ds.masks) throw new CliError(`${dir}: has no masks, so there is nothing to evaluate against (use strata predict)`);
  const set = { truths: ds.masks, probs, n: ds.ids.length, h: ds.height, w: ds.width };
  const at = scoreSet({ ...set, threshold });
  const sweep = thresholdSweep(set);
  const out = {
    runId,
    data: dir,
    images: ds.ids.length,
    threshold,
    score: at.score,
    meanIoU: at.meanIoU,
    pixelIoU: at.pixelIoU,
    emptyScore: at.emptyScore,
    nonEmptyScore: at.nonEmptyScore,
    bestThreshold: sweep.best.threshold,
    bestScore: sweep.best.score,
    sweep: sweep.points,
    ...(v['per-image'] ? { perImage: at.perImage.map((p, i) => ({ id: ds.ids[i], ...p })) } : {}),
  };
  if (v.json) {
    printJson(out);
    return 0;
  }
  process.stdout.write(
    [
      `run ${runId} on ${dir} (${out.images} images) at threshold ${threshold}:`,
      `  competition score ${at.score.toFixed(4)} (empty truth ${at.emptyScore?.toFixed(4) ?? '-'}, salt ${at.nonEmptyScore?.toFixed(4) ?? '-'})`,
      `  mean IoU ${at.meanIoU.toFixed(4)}  pixel IoU ${at.pixelIoU.toFixed(4)}`,
      `  best threshold ${sweep.best.threshold.toFixed(2)} scores ${sweep.best.score.toFixed(4)}`,
      ...(v['per-image'] ? at.perImage.map((p, i) => `  ${ds.ids[i]}  IoU ${p.iou.toFixed(4)}  score ${p.score.toFixed(2)}`) : []),
      '',
    ].join('\n'),
  );
  return 0;
}
