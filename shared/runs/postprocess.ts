/**
 * The post-processing a run chose at the end of training, its held-out test result, and the one
 * rule by which every prediction path (strata eval and predict, the lab's folder predictions and
 * Kaggle export, the Masks view) decides what to apply: {@link resolvePostprocess}. Plain data and
 * zod only, so the renderer can call it too.
 */
import { z } from 'zod';
import type { Postprocess } from '../metrics/postprocess';

/** A checkpoint of a run that predicts: a named one, or an entry of its snapshot ring. */
export type CheckpointRef = { kind: 'best' | 'last' } | { kind: 'snapshot'; epoch: number };

const score = z.number().min(0).max(1);
const epoch = z.number().int().min(0);

/** One candidate the finalize step weighed on the validation set. */
export const postprocessCandidateSchema = z.object({
  /** `best`: the best checkpoint alone; `snapshots`: the snapshot ensemble. */
  members: z.enum(['best', 'snapshots']),
  checkpointEpochs: z.array(epoch).min(1),
  threshold: score,
  minArea: z.number().int().min(0),
  /** With a salt head: the vote's cut (see Postprocess.saltCut). */
  saltCut: score.optional(),
  valScore: score,
});
/** One candidate the finalize step weighed. */
export type PostprocessCandidate = z.infer<typeof postprocessCandidateSchema>;

/**
 * What a run applies to its predictions, chosen on its validation set alone (finalize.ts): the
 * checkpoint(s), flip TTA, the threshold and the minimum salt area, with the validation figures
 * they reached. The validation figures are tuned on those images, hence optimistic; the test
 * result ({@link RunTestResult}) is the honest one.
 */
export const runPostprocessSchema = z.object({
  threshold: score,
  minArea: z.number().int().min(0),
  /**
   * With a salt head (a design's `saltHead` node): an image whose salt probability is below this is
   * predicted empty, tuned with the threshold and the area (0: the vote never fires). Absent without one.
   */
  saltCut: score.optional(),
  tta: z.boolean(),
  /** How many checkpoints are averaged (1: the best checkpoint alone). */
  snapshots: z.number().int().min(1),
  /** Which checkpoints: the best one, or the snapshot ring's entries of `checkpointEpochs`. */
  members: z.enum(['best', 'snapshots']),
  /** The epochs (from 0) of the checkpoints averaged. */
  checkpointEpochs: z.array(epoch).min(1),
  /** Whether the threshold and the area were tuned (false: fixed by config.inference). */
  tuned: z.object({ threshold: z.boolean(), minArea: z.boolean() }),
  /** Validation images it was chosen on. */
  valImages: z.number().int().min(1),
  valScore: score,
  valEmptyScore: score.nullable(),
  valSaltScore: score.nullable(),
  /** Every candidate weighed, the chosen one included. */
  candidates: z.array(postprocessCandidateSchema).min(1),
  /** When it was chosen (ms since the epoch). */
  at: z.number(),
});
/** What a run applies to its predictions (see {@link runPostprocessSchema}). */
export type RunPostprocess = z.infer<typeof runPostprocessSchema>;

/** A run's score on its held-out test images, with its stored post-processing, computed once. */
export const runTestResultSchema = z.object({
  images: z.number().int().min(1),
  score,
  emptyScore: score.nullable(),
  saltScore: score.nullable(),
  meanIoU: score,
  at: z.number(),
});
/** A run's held-out test result (see {@link runTestResultSchema}). */
export type RunTestResult = z.infer<typeof runTestResultSchema>;

/** `run`: the run's stored post-processing (the default); `none`: the best checkpoint's raw masks. */
export const POSTPROCESS_MODES = ['run', 'none'] as const;
/** See {@link POSTPROCESS_MODES}. */
export type PostprocessMode = (typeof POSTPROCESS_MODES)[number];

/** What a prediction applies, and why. */
export interface AppliedPostprocess extends Postprocess {
  /** The checkpoints whose probabilities are averaged. */
  checkpoints: CheckpointRef[];
  /**
   * `stored`: the run's own (finalize.ts); `legacy`: a run without one, predicted as before it
   * existed (best checkpoint, its epoch's tuned threshold, no TTA, no area); `none`: asked for.
   */
  source: 'stored' | 'legacy' | 'none';
  /** One sentence on what is applied, for a log line or a tooltip. */
  note: string;
}

/** What a stored prediction (the lab's folder predictions) was made with: its masks are `applyPostprocess(probs, threshold, minArea)`. */
export const predictionPostprocessSchema = z.object({
  threshold: score,
  minArea: z.number().int().min(0),
  /** The salt head's vote; the prediction then keeps each image's salt probability beside its probabilities. */
  saltCut: score.optional(),
  tta: z.boolean(),
  snapshots: z.number().int().min(1),
  checkpointEpochs: z.array(epoch).min(1),
  source: z.enum(['stored', 'legacy', 'none']),
});
/** See {@link predictionPostprocessSchema}. */
export type PredictionPostprocess = z.infer<typeof predictionPostprocessSchema>;

/** The record of what a prediction applied, with the epochs of the checkpoints it averaged. */
export function predictionPostprocessOf(applied: AppliedPostprocess, epochs: readonly number[]): PredictionPostprocess {
  return {
    threshold: applied.threshold,
    minArea: applied.minArea,
    ...(applied.saltCut === undefined ? {} : { saltCut: applied.saltCut }),
    tta: applied.tta,
    snapshots: applied.snapshots,
    checkpointEpochs: [...epochs],
    source: applied.source,
  };
}

/** The threshold a prediction without post-processing uses: the competition's customary 0.5. */
export const RAW_THRESHOLD = 0.5;

/** The checkpoints a stored post-processing averages. */
export function checkpointsOf(pp: Pick<RunPostprocess, 'members' | 'checkpointEpochs'>): CheckpointRef[] {
  return pp.members === 'best' ? [{ kind: 'best' }] : pp.checkpointEpochs.map((e) => ({ kind: 'snapshot' as const, epoch: e }));
}

function describe(p: Omit<AppliedPostprocess, 'note' | 'source'>): string {
  const models = p.snapshots > 1 ? `mean of ${p.snapshots} snapshots` : 'best checkpoint';
  return `${models}, ${p.tta ? 'flip TTA' : 'no TTA'}, threshold ${p.threshold}, minimum area ${p.minArea}${p.saltCut === undefined ? '' : `, salt-head vote below ${p.saltCut}`}`;
}

/**
 * The post-processing a prediction of run `run` applies. `bestEpochThreshold` is the threshold the
 * best epoch's validation sweep found (null when unknown); it serves runs that have no stored
 * post-processing. `threshold` overrides the threshold in every mode.
 */
export function resolvePostprocess(
  run: { id: string; postprocess: RunPostprocess | null },
  bestEpochThreshold: number | null,
  opts: { mode: PostprocessMode; threshold?: number },
): AppliedPostprocess {
  const over = opts.threshold;
  if (over !== undefined && !(Number.isFinite(over) && over >= 0 && over <= 1)) throw new RangeError(`threshold must be in [0, 1], got ${over}`);
  // No vote either: `none` is the single model's raw masks.
  if (opts.mode === 'none') {
    const p = { threshold: over ?? RAW_THRESHOLD, minArea: 0, tta: false, snapshots: 1, checkpoints: [{ kind: 'best' as const }] };
    return { ...p, source: 'none', note: `no post-processing: ${describe(p)}` };
  }
  const pp = run.postprocess;
  if (pp) {
    const p = {
      threshold: over ?? pp.threshold,
      minArea: pp.minArea,
      ...(pp.saltCut === undefined ? {} : { saltCut: pp.saltCut }),
      tta: pp.tta,
      snapshots: pp.snapshots,
      checkpoints: checkpointsOf(pp),
    };
    return { ...p, source: 'stored', note: `the run's post-processing: ${describe(p)}${over === undefined ? '' : ' (threshold given)'}` };
  }
  const p = { threshold: over ?? bestEpochThreshold ?? RAW_THRESHOLD, minArea: 0, tta: false, snapshots: 1, checkpoints: [{ kind: 'best' as const }] };
  return {
    ...p,
    source: 'legacy',
    note: `run ${run.id} has no stored post-processing (trained before it existed, or not finalized; \`strata runs finalize ${run.id}\` chooses one): ${describe(p)}`,
  };
}
