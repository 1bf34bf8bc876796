import { DEFAULT_SWEEP_THRESHOLDS, scoreMasks, tuneThresholdAndArea } from '../../../shared/metrics';
import type { RunRecord } from '../../../shared/runs/types';
import { scoringProblems, writeSubmission } from '../../data/submission';
import { truthFileOf } from '../../data/tgsImport';
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

/** What the `tunedOnTheseImages` block of eval's JSON says it is. */
export const TUNED_ON_THESE_IMAGES_NOTE = 'tuned on the evaluated images: an optimistic figure, not a held-out score';

/** How many of the folder's images each split of the run holds. */
export interface SplitOverlap {
  train: number;
  val: number;
  test: number;
}

/** Counts the ids of `ids` that are in the run's training, validation and test splits. */
export function splitOverlap(ids: readonly string[], split: RunRecord['split']): SplitOverlap {
  const count = (part: readonly string[]) => {
    const inPart = new Set(part);
    return ids.filter((id) => inPart.has(id)).length;
  };
  return { train: count(split.train), val: count(split.val), test: count(split.test) };
}

/** The warnings an overlap calls for: images the run trained on, or chose its checkpoint and post-processing on. The test split is held out. */
export function overlapWarnings(o: SplitOverlap): string[] {
  return [
    ...(o.train > 0 ? [`${o.train} of these images were in the run's training split: this is not a held-out score`] : []),
    ...(o.val > 0 ? [`${o.val} of these images were in the run's validation split, on which its checkpoint and post-processing were chosen: this is not a held-out score`] : []),
  ];
}

/**
 * `strata eval`: every metric of a run's predictions on a labelled folder, with what `strata
 * predict` applies (the run's stored post-processing) unless `--postprocess none`. The score is
 * the score of the very masks it writes with `--out` (and predict writes), over every image of the
 * folder: a folder whose import skipped an image, a mask or a train.csv row is refused (exit 2, each
 * problem listed), never scored on what is left. What a threshold tuned
 * on these images would score is reported apart, as such; images the run trained or chose on are
 * counted and warned about.
 */
export async function evalCommand(argv: string[]): Promise<number> {
  const { values: v } = parseCommandArgs('eval', argv, OPTIONS);
  const runId = requiredArg('eval', 'run', v.run);
  const dir = requiredArg('eval', 'data', v.data);
  const pp = postprocessArgs(v);
  let overlap: SplitOverlap = { train: 0, val: 0, test: 0 };
  const truthFile = await truthFileOf(dir);
  const { ds, prediction } = await predictFolder(runsDirArg(v['runs-dir']), runId, dir, pp, (folder, run) => {
    // Before anything is predicted: a folder without masks has nothing to score against.
    if (!folder.masks) throw new CliError(`${dir}: has no masks, so there is nothing to evaluate against (use strata predict)`);
    // A score over the images that happened to import would be a mean over the good rows only.
    const left = scoringProblems(folder.info.problems, truthFile);
    if (left.length) {
      throw new CliError(
        `${dir}: ${left.length} problem(s) leave images or their truth out, so nothing was scored (eval scores every image or none):\n${left.map((p) => `  ${p.message}`).join('\n')}`,
      );
    }
    overlap = splitOverlap(folder.ids, run.split);
    for (const w of overlapWarnings(overlap)) process.stderr.write(`warning: ${w}\n`);
  });
  const truths = ds.masks;
  if (!truths) throw new CliError(`${dir}: has no masks, so there is nothing to evaluate against (use strata predict)`);
  const { probs, applied } = prediction;
  const n = ds.ids.length;
  // The headline: the masks the prediction path made, which --out writes and strata predict writes.
  const at = scoreMasks(truths, prediction.masks, n, ds.height, ds.width);
  // The threshold alone tuned on these images, the rest of the applied rule (its area, its vote) held.
  const vote = applied.saltCut === undefined ? undefined : (prediction.saltProbs ?? undefined);
  const tune = tuneThresholdAndArea(
    truths,
    probs,
    n,
    ds.height,
    ds.width,
    { thresholds: DEFAULT_SWEEP_THRESHOLDS, areas: [applied.minArea], ...(applied.saltCut === undefined ? {} : { saltCuts: [applied.saltCut] }) },
    vote,
  );
  if (v.out !== undefined) writeSubmission(v.out, ds.ids, prediction.masks, ds.height, ds.width);
  const postprocess = postprocessReport(prediction);
  const tunedOnTheseImages = {
    threshold: tune.best.threshold,
    score: tune.best.score,
    minArea: applied.minArea,
    ...(applied.saltCut === undefined ? {} : { saltCut: applied.saltCut }),
    sweep: tune.points.map((p) => ({ threshold: p.threshold, score: p.score, emptyScore: p.emptyScore, saltScore: p.saltScore, meanIoU: p.meanIoU, pixelIoU: p.pixelIoU })),
    note: TUNED_ON_THESE_IMAGES_NOTE,
  };
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
    overlap,
    tunedOnTheseImages,
    ...(v.out === undefined ? {} : { out: v.out }),
    ...(v['per-image'] ? { perImage: at.perImage.map((p, i) => ({ id: ds.ids[i], ...p })) } : {}),
  };
  if (v.json) {
    printJson(out);
    return 0;
  }
  const held = `minimum area ${applied.minArea} px${applied.saltCut === undefined ? '' : `, salt-head vote: empty below ${applied.saltCut}`}`;
  process.stdout.write(
    [
      `run ${runId} on ${dir} (${out.images} images): ${applied.note}`,
      `  competition score ${at.score.toFixed(4)} (empty truth ${at.emptyScore?.toFixed(4) ?? '-'}, salt ${at.nonEmptyScore?.toFixed(4) ?? '-'})`,
      `  mean IoU ${at.meanIoU.toFixed(4)}  pixel IoU ${at.pixelIoU.toFixed(4)}`,
      ...(overlap.train + overlap.val + overlap.test > 0 ? [`  of these images, ${overlap.train} were in the run's training split, ${overlap.val} in its validation split, ${overlap.test} in its test split`] : []),
      `  ${TUNED_ON_THESE_IMAGES_NOTE}: the best threshold (${held}) would be ${tune.best.threshold.toFixed(2)}, score ${tune.best.score.toFixed(4)}`,
      ...(v.out === undefined ? [] : [`  masks written to ${v.out}`]),
      ...(v['per-image'] ? at.perImage.map((p, i) => `  ${ds.ids[i]}  IoU ${p.iou.toFixed(4)}  score ${p.score.toFixed(2)}`) : []),
      '',
    ].join('\n'),
  );
  return 0;
}
