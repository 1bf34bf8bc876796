/**
 * The post-processing a run chose at the end of training, its held-out test result, the one rule
 * by which every prediction path (strata eval and predict, the lab's folder predictions and Kaggle
 * export, the Masks view) decides what to apply ({@link resolvePostprocess}), and the one wording
 * of such a rule ({@link describePostprocess}). Plain data and zod only, so the renderer can call
 * them too.
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
  /**
   * Whether the threshold and the area were tuned (false: fixed by config.inference), and with a
   * salt cut whether it was (false: DEFAULT_SALT_CUT, as both the threshold and the area were
   * fixed). `saltCut` is absent without a cut, and in rows stored before it was recorded, whose cuts
   * were all tuned.
   */
  tuned: z.object({ threshold: z.boolean(), minArea: z.boolean(), saltCut: z.boolean().optional() }),
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

/**
 * Why run `id`'s post-processing cannot be chosen (finalize.ts), or null when it can: the choice
 * needs a best checkpoint from a finished epoch and validation images to choose on. finalizeRun
 * throws it, the lab refuses with it before starting a process, and the renderer offers the
 * choice only without it.
 */
export function finalizeRefusal(run: { id: string; epochsDone: number; valImages: number; hasBest: boolean }): string | null {
  if (!run.hasBest || run.epochsDone < 1) return `run ${run.id} has no best checkpoint yet (${run.epochsDone} epochs done): there is nothing to finalize`;
  if (run.valImages === 0) return `run ${run.id} has no validation images to choose its post-processing on`;
  return null;
}

/** The checkpoints a stored post-processing averages. */
export function checkpointsOf(pp: Pick<RunPostprocess, 'members' | 'checkpointEpochs'>): CheckpointRef[] {
  return pp.members === 'best' ? [{ kind: 'best' }] : pp.checkpointEpochs.map((e) => ({ kind: 'snapshot' as const, epoch: e }));
}

/** What the wording of a post-processing rule reads: a stored one (RunPostprocess), a candidate, or what a prediction applies. */
export interface PostprocessWording {
  /** The best checkpoint alone, or the mean of the predictions of snapshots. */
  members: 'best' | 'snapshots';
  /** Their epochs (from 0; said from 1), when known. */
  checkpointEpochs?: readonly number[];
  /** How many snapshots are averaged; default: how many epochs are given. */
  snapshots?: number;
  tta: boolean;
  threshold: number;
  minArea: number;
  saltCut?: number;
  /** Whether each was tuned on validation or fixed; left out: not said. */
  tuned?: { threshold: boolean; minArea: boolean; saltCut?: boolean | undefined };
}

/** The checkpoints of a rule: "best checkpoint (epoch 5)", "mean prediction of 3 snapshots (epochs 8, 9, 10)" (epochs when known). */
export function describeCheckpoints(p: Pick<PostprocessWording, 'members' | 'checkpointEpochs' | 'snapshots'>): string {
  const epochs = (p.checkpointEpochs ?? []).map((e) => e + 1);
  if (p.members === 'best') return `best checkpoint${epochs.length === 0 ? '' : ` (epoch ${epochs.join(', ')})`}`;
  return `mean prediction of ${p.snapshots ?? epochs.length} snapshots${epochs.length === 0 ? '' : ` (epochs ${epochs.join(', ')})`}`;
}

/**
 * THE wording of a post-processing rule, for every log line, event, note and view that says one:
 * "mean prediction of 3 snapshots (epochs 8, 9, 10), flip TTA, threshold 0.46 (tuned), minimum area
 * 20 px (tuned), salt-head vote: empty below 0.3 (tuned)". The marks come from `tuned` and are
 * left out without it.
 */
export function describePostprocess(p: PostprocessWording): string {
  const mark = (tuned: boolean | undefined) => (tuned === undefined ? '' : tuned ? ' (tuned)' : ' (fixed)');
  return [
    describeCheckpoints(p),
    p.tta ? 'flip TTA' : 'no TTA',
    `threshold ${p.threshold}${mark(p.tuned?.threshold)}`,
    `minimum area ${p.minArea} px${mark(p.tuned?.minArea)}`,
    ...(p.saltCut === undefined ? [] : [`salt-head vote: empty below ${p.saltCut}${mark(p.tuned?.saltCut)}`]),
  ].join(', ');
}

/** The wording of what a prediction applies, from its checkpoints (a stored rule's epochs when given). */
function describeApplied(p: Omit<AppliedPostprocess, 'note' | 'source'>, epochs?: readonly number[]): string {
  const snaps = p.checkpoints.flatMap((c) => (c.kind === 'snapshot' ? [c.epoch] : []));
  const members = snaps.length > 0 ? 'snapshots' : 'best';
  const checkpointEpochs = epochs ?? (members === 'snapshots' ? snaps : undefined);
  return describePostprocess({ ...p, members, ...(checkpointEpochs === undefined ? {} : { checkpointEpochs }) });
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
    return { ...p, source: 'none', note: `no post-processing: ${describeApplied(p)}` };
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
    return { ...p, source: 'stored', note: `the run's post-processing: ${describeApplied(p, pp.checkpointEpochs)}${over === undefined ? '' : ' (threshold given)'}` };
  }
  const p = { threshold: over ?? bestEpochThreshold ?? RAW_THRESHOLD, minArea: 0, tta: false, snapshots: 1, checkpoints: [{ kind: 'best' as const }] };
  return {
    ...p,
    source: 'legacy',
    note: `run ${run.id} has no stored post-processing (trained before it existed, or not finalized; \`strata runs finalize ${run.id}\` chooses one): ${describeApplied(p)}`,
  };
}
