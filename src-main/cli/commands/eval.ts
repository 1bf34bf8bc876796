import { scorePostprocess, thresholdSweep } from '../../../shared/metrics';
import { writeSubmission } from '../../data/submission';
import { CliError, parseCommandArgs, printJson, requiredArg } from '../args';
import { runsDirArg } from '../runsDir';
import { POSTPROCESS_OPTIONS, postprocessArgs, postprocessReport, predictFolder } from './evalPredictShared';

const OPTIONS = {
  run: { type: 'string' },
  data: { type: 'string' },
  ...POSTPROCESS_OPTIONS,
  out: { type: 'string' },
  'per-image': { type: 'boolean' },
  'runs-dir': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/**
 * `strata eval`: every metric of a run's predictions on a labelled folder, with what `strata
 * predict` applies (the run's stored post-processing) unless `--postprocess none`; `--out` also
 * writes the masks it scored as a submission.
 */
export async function evalCommand(argv: string[]): Promise<number> {
  const { values: v } = parseCommandArgs('eval', argv, OPTIONS);
  const runId = requiredArg('eval', 'run', v.run);
  const dir = requiredArg('eval', 'data', v.data);
  const pp = postprocessArgs(v);
  const { ds, prediction } = await predictFolder(runsDirArg(v['runs-dir']), runId, dir, pp);
  if (!ds.masks) throw new CliError(`${dir}: has no masks, so there is nothing to evaluate against (use strata predict)`);
  const { probs, applied } = prediction;
  const n = ds.ids.length;
  const at = scorePostprocess(ds.masks, probs, n, ds.height, ds.width, applied, prediction.saltProbs ?? undefined);
  // The sweep shows how the threshold alone moves the score on these images (no area rule); it is not what was applied.
  const sweep = thresholdSweep({ truths: ds.masks, probs, n, h: ds.height, w: ds.width });
  if (v.out !== undefined) writeSubmission(v.out, ds.ids, prediction.masks, ds.height, ds.width);
  const postprocess = postprocessReport(prediction);
  const out = {
    runId,
    data: dir,
    images: n,
    threshold: applied.threshold,
    postprocess,
    score: at.score,
    meanIoU: at.meanIoU,
    pixelIoU: at.pixelIoU,
    emptyScore: at.emptyScore,
    nonEmptyScore: at.nonEmptyScore,
    bestThreshold: sweep.best.threshold,
    bestScore: sweep.best.score,
    sweep: sweep.points,
    ...(v.out === undefined ? {} : { out: v.out }),
    ...(v['per-image'] ? { perImage: at.perImage.map((p, i) => ({ id: ds.ids[i], ...p })) } : {}),
  };
  if (v.json) {
    printJson(out);
    return 0;
  }
  process.stdout.write(
    [
      `run ${runId} on ${dir} (${out.images} images): ${applied.note}`,
      `  competition score ${at.score.toFixed(4)} (empty truth ${at.emptyScore?.toFixed(4) ?? '-'}, salt ${at.nonEmptyScore?.toFixed(4) ?? '-'})`,
      `  mean IoU ${at.meanIoU.toFixed(4)}  pixel IoU ${at.pixelIoU.toFixed(4)}`,
      `  on these images the best threshold alone would be ${sweep.best.threshold.toFixed(2)} (score ${sweep.best.score.toFixed(4)}, no area rule; tuned on the evaluated images, so not a fair figure)`,
      ...(v.out === undefined ? [] : [`  masks written to ${v.out}`]),
      ...(v['per-image'] ? at.perImage.map((p, i) => `  ${ds.ids[i]}  IoU ${p.iou.toFixed(4)}  score ${p.score.toFixed(2)}`) : []),
      '',
    ].join('\n'),
  );
  return 0;
}
