/**
 * A run request and its configuration: the ONE definition. The zod schema here is what the lab's
 * `startRun` / `estimateEpoch` channels parse, what `strata train` builds from its flags and parses,
 * what the training setup forms check against (their messages sit next to their fields, mapped from
 * the issue paths), and what the run store writes and reads back. The types are inferred from it, the
 * kinds are read off it, and every default lives in it: a setting left out of a request takes the
 * default written next to its limit.
 *
 * Defaults where the CLI and the lab used to differ (the better one of each pair):
 * - step schedule: x0.1 every third of the run (`every` = ceil(epochs / 3)) unless `every` is given;
 * - plateau: patience 3, factor 0.5, min lr 0, min delta 0.001;
 * - cosine: down to min lr 0, no warm-up;
 * - Adam's learning rate 0.001 (SGD 0.01, momentum 0.9).
 */
import { z } from 'zod';
import { LIMITS } from '../arch/limits';
import { BN_PLACEMENTS, INITIALIZERS } from '../arch/types';

/** The losses a run can train with; see `LOSS_NAMES` in shared/runs/types.ts for what each means. */
export const LOSS_NAMES = ['batch-iou', 'per-image-iou', 'lovasz', 'bce', 'bce-lovasz'] as const;
/** The losses that read `loss.eps` (the IoU losses' smoothing, src-main/training/losses.ts); the others have none. */
export const EPS_LOSSES: readonly string[] = ['batch-iou', 'per-image-iou'];
/** Backends a run may ask for; `auto` takes the fastest one that loads. */
export const BACKEND_REQUESTS = ['auto', 'tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'] as const;

/** Longest run name, everywhere a run is named (forms, API, CLI, rename). */
export const MAX_RUN_NAME = 200;
/** Most ids a fixed validation list may hold. */
export const MAX_VAL_IDS = 100_000;
/** Most epochs (and the cap of every epoch count) a run may ask for. */
export const MAX_EPOCHS = 100_000;
/** Epochs of a run that gives none: 10, or with a time budget (`maxMinutes`) as many as the budget allows. */
export const DEFAULT_EPOCHS = 10;
/**
 * The epoch count of a run with a time budget and no epochs of its own: the cap, so the budget ends
 * it. Progress shows such a run as open-ended (see {@link isOpenEnded}), never as "epoch 3/100000".
 */
export const OPEN_ENDED_EPOCHS = MAX_EPOCHS;

/** Whether a run of `epochs` epochs is open-ended: it trains until its time budget (or a stop) ends it. */
export function isOpenEnded(epochs: number): boolean {
  return epochs >= OPEN_ENDED_EPOCHS;
}
/** Most snapshots an ensemble may average. */
export const MAX_SNAPSHOTS = 10;
/**
 * The augmentation a run gets when it gives none, besides the h-flip: none. Measured on held-out TGS
 * (docs/recipe.md): with `small` and an 18- or 45-minute budget on 2 cores, shift 0.1, scale 0.1,
 * brightness 0.05 and contrast 0.1 scored below the h-flip alone (the net underfits at these budgets,
 * and both runs with them sat on an all-empty plateau for their first epochs). Each stays an option.
 * Stored rows written before shifts, scales and separate brightness/contrast existed read them as 0.
 */
export const DEFAULT_AUGMENT = { shift: 0, scale: 0, brightness: 0, contrast: 0 } as const;
/** Largest batch. */
export const MAX_BATCH = 4096;
/** Largest seed (the generators take 31 bits). */
export const MAX_SEED = 2 ** 31 - 1;
/**
 * The per-image IoU loss's smoothing eps when a request gives none: the note's value, which minimises
 * the largest gap between smoothed and true IoU (the trainer's losses and the setup form use it).
 */
export const PER_IMAGE_IOU_EPS = 0.62;

const numberOf = (what: string) => z.number({ error: `${what} must be a number` }).finite(`${what} must be finite`);
const positive = (what: string) => numberOf(what).positive(`${what} must be above 0`);
const nonNegative = (what: string) => numberOf(what).min(0, `${what} must be at least 0`);
const count = (what: string, max: number) =>
  z.number({ error: `${what} must be a number` }).int(`${what} must be a whole number`).min(1, `${what} must be at least 1`).max(max, `${what} must be at most ${max}`);
const unit = (what: string) => numberOf(what).min(0, `${what} must be in [0, 1)`).lt(1, `${what} must be in [0, 1)`);
const oneOf = <const T extends readonly [string, ...string[]]>(what: string, values: T) => z.enum(values, { error: `${what} must be one of ${values.join(', ')}` });

// Optimizers: SGD and Adam as Keras defines them.
const sgdSchema = z.strictObject({
  name: z.literal('sgd'),
  lr: positive('learning rate').default(0.01),
  momentum: unit('momentum').default(0.9),
  nesterov: z.boolean({ error: 'nesterov must be true or false' }).optional(),
});
const adamSchema = z.strictObject({
  name: z.literal('adam'),
  lr: positive('learning rate').default(0.001),
  beta1: unit('beta1').default(0.9),
  beta2: unit('beta2').default(0.999),
  epsilon: positive('epsilon').optional(),
});
/** Optimizer settings: any field left out takes the optimizer's own default. */
export const optimizerSchema = z.discriminatedUnion('name', [sgdSchema, adamSchema], { error: (i) => (i.code === 'invalid_union' ? 'optimizer must be sgd or adam' : undefined) });

// Learning-rate schedules (see shared/training/schedule.ts for what each computes).
const constantSchema = z.strictObject({ kind: z.literal('constant') });
/** Multiply by `factor` every `every` epochs; `every` left out is a third of the run. */
const stepSchema = z.strictObject({
  kind: z.literal('step'),
  every: count('step every', MAX_EPOCHS).optional(),
  factor: positive('step factor').max(1, 'step factor must be at most 1').default(0.1),
});
/** Cosine decay from the base rate to `minLr` over the run, after optional linear warm-up. */
const cosineSchema = z.strictObject({
  kind: z.literal('cosine'),
  minLr: nonNegative('min lr').default(0),
  warmupEpochs: z.number({ error: 'warm-up epochs must be a number' }).int('warm-up epochs must be a whole number').min(0, 'warm-up epochs must be at least 0').default(0),
});
/** Keras's ReduceLROnPlateau on the validation score. */
const plateauSchema = z.strictObject({
  kind: z.literal('plateau'),
  patience: count('plateau patience', MAX_EPOCHS).default(3),
  factor: positive('plateau factor').lt(1, 'plateau factor must be below 1').default(0.5),
  minLr: nonNegative('min lr').default(0),
  minDelta: nonNegative('min delta').default(0.001),
});
const scheduleSchema = z.discriminatedUnion('kind', [constantSchema, stepSchema, cosineSchema, plateauSchema], {
  error: (i) => (i.code === 'invalid_union' ? 'schedule must be one of constant, step, cosine, plateau' : undefined),
});

/** The optimizer names, read off the schema. */
export const OPTIMIZER_NAMES = optimizerSchema.options.map((o) => o.shape.name.value);
/** The schedule kinds, read off the schema. */
export const SCHEDULE_KINDS = scheduleSchema.options.map((o) => o.shape.kind.value);

const configObject = z.strictObject({
  /** Left out: DEFAULT_EPOCHS, or OPEN_ENDED_EPOCHS with `maxMinutes` (resolved by runConfigSchema). */
  epochs: count('epochs', MAX_EPOCHS).optional(),
  batch: count('batch size', MAX_BATCH).default(16),
  optimizer: optimizerSchema.prefault({ name: 'adam' }),
  schedule: scheduleSchema.prefault({ kind: 'cosine' }),
  /** `eps` is the IoU smoothing term (the note used 0.62 for per-image IoU: PER_IMAGE_IOU_EPS). */
  loss: z
    .strictObject({
      name: oneOf('loss', LOSS_NAMES),
      eps: positive('IoU smoothing eps').optional(),
      /** bce-lovasz only: the loss is BCE + lovaszWeight x Lovász hinge. */
      lovaszWeight: nonNegative('Lovász weight').max(100, 'Lovász weight must be at most 100').default(1),
    })
    .prefault({ name: 'bce-lovasz' }),
  init: oneOf('initializer', INITIALIZERS).default('glorot_normal'),
  bnPlacement: oneOf('BN placement', BN_PLACEMENTS).default('samplers'),
  seed: z.number({ error: 'seed must be a number' }).int('seed must be a whole number').min(0, 'seed must be at least 0').max(MAX_SEED, `seed must be at most ${MAX_SEED}`).default(1),
  /** Share of the labelled samples held out for validation, in (0, 1); ignored with a fixed validation id list. */
  valFraction: numberOf('validation fraction').gt(0, 'validation fraction must be above 0').lt(1, 'validation fraction must be below 1').default(0.2),
  augment: z
    .strictObject({
      hflip: z.boolean({ error: 'hflip must be true or false' }).default(true),
      vflip: z.boolean({ error: 'vflip must be true or false' }).default(false),
      /** Largest shift, as a share of the image side, each way and on each axis; reflect padding fills the border. */
      shift: numberOf('shift').min(0, 'shift must be in [0, 0.5]').max(0.5, 'shift must be in [0, 0.5]').default(DEFAULT_AUGMENT.shift),
      /** Largest relative zoom in or out (0.1: factors 0.9 to 1.1), about the image centre, reflect padded. */
      scale: numberOf('scale').min(0, 'scale must be in [0, 0.5]').max(0.5, 'scale must be in [0, 0.5]').default(DEFAULT_AUGMENT.scale),
      /** Largest brightness change, in units of the [0, 1] pixel range. */
      brightness: numberOf('brightness').min(0, 'brightness must be in [0, 1]').max(1, 'brightness must be in [0, 1]').default(DEFAULT_AUGMENT.brightness),
      /** Largest relative contrast change about the image mean (0.1: factors 0.9 to 1.1). */
      contrast: numberOf('contrast').min(0, 'contrast must be in [0, 1]').max(1, 'contrast must be in [0, 1]').default(DEFAULT_AUGMENT.contrast),
    })
    .prefault({}),
  backend: oneOf('backend', BACKEND_REQUESTS).default('auto'),
  /**
   * Stop after this much training time (a resumed run counts its earlier sessions). A cosine schedule
   * then follows the budget (shared/training/schedule.ts); without `epochs` the run trains for all of it.
   */
  maxMinutes: positive('max minutes').optional(),
  /** Stop when the validation score has not risen by `minDelta` for `patience` epochs. */
  earlyStop: z.strictObject({ patience: count('early-stop patience', MAX_EPOCHS), minDelta: nonNegative('early-stop min delta').default(0.001) }).optional(),
  /** Epochs (1-based) whose validation predictions are stored; the best epoch's are always stored. */
  predictEpochs: z.array(count('a prediction epoch', MAX_EPOCHS)).optional(),
  /** Start from another run's weights (its own loss and schedule are this run's). */
  initFrom: z
    .strictObject({ runId: z.string({ error: 'the run to start from must be a run id' }).min(1, 'the run to start from may not be empty').max(128, 'a run id is at most 128 characters'), checkpoint: oneOf('checkpoint', ['best', 'last']).default('best') })
    .optional(),
  /**
   * The salt-present head's loss weight for this run, in place of its design's `lossWeight` (the loss is
   * the mask loss + this weight x the head's BCE). Only for a design with a salt head: planning a run
   * refuses it for one without. Left out, the design's own weight; nothing changes for a design without a head.
   */
  saltHeadWeight: numberOf('salt head weight')
    .gt(LIMITS.lossWeight.min, `salt head weight must be above ${LIMITS.lossWeight.min}`)
    .max(LIMITS.lossWeight.max, `salt head weight must be at most ${LIMITS.lossWeight.max}`)
    .optional(),
  /** Share of the labelled samples held out as a test set that no choice sees, in [0, 1); 0: none. Ignored with a fixed test id list. */
  testFraction: numberOf('test fraction').min(0, 'test fraction must be in [0, 1)').lt(1, 'test fraction must be in [0, 1)').default(0),
  /** How predictions are made and post-processed; threshold and minimum area are tuned on validation data unless fixed here. */
  inference: z
    .strictObject({
      /** Average the prediction of the image and of its mirror image (horizontal flip TTA). */
      tta: z.boolean({ error: 'tta must be true or false' }).default(true),
      /** Snapshot ensembling: average the predictions of the last k epochs' weights (1: the single chosen checkpoint). Used only when it scores better on validation. */
      snapshots: count('snapshots', MAX_SNAPSHOTS).default(3),
      /** Fixed threshold; left out, tuned on the validation set. */
      threshold: numberOf('threshold').min(0, 'threshold must be in [0, 1]').max(1, 'threshold must be in [0, 1]').optional(),
      /** Fixed minimum salt area in pixels (fewer predicted salt pixels: empty); left out, tuned with the threshold on the validation set. */
      minArea: z.number({ error: 'min area must be a number' }).int('min area must be a whole number').min(0, 'min area must be at least 0').max(1_000_000, 'min area must be at most 1000000').optional(),
    })
    .prefault({}),
});

/** The configuration's object schema before defaults are resolved across fields (for the store's migration of old rows). */
export const RUN_CONFIG_OBJECT = configObject;

type ParsedSchedule = z.output<typeof scheduleSchema>;
type StepSchedule = Extract<ParsedSchedule, { kind: 'step' }>;
/** A schedule as a run uses it: a step schedule's `every` is always set. */
type ResolvedSchedule = Exclude<ParsedSchedule, StepSchedule> | (Omit<StepSchedule, 'every'> & { every: number });

/** The step schedule's default period: a third of the run. */
export function defaultStepEvery(epochs: number): number {
  return Math.max(1, Math.ceil(epochs / 3));
}

function resolveSchedule(s: ParsedSchedule, epochs: number): ResolvedSchedule {
  return s.kind === 'step' ? { ...s, every: s.every ?? defaultStepEvery(epochs) } : s;
}

/**
 * A run's configuration (the hyperparameters: everything besides the architecture and the data that
 * decides its result). Parsing fills every setting left out with its default, so the output is complete.
 */
export const runConfigSchema = configObject
  .superRefine((c, ctx) => {
    // A third of an open-ended run is no period: a step schedule over a time budget needs one of its own.
    if (c.epochs === undefined && c.maxMinutes !== undefined && c.schedule.kind === 'step' && c.schedule.every === undefined) {
      ctx.addIssue({ code: 'custom', path: ['schedule'], message: 'a step schedule with a time budget needs epochs (its default period is a third of the epochs) or its own step period' });
    }
    // Only bce-lovasz has a Lovász term to weigh. Parsing fills the default weight, 1, into every loss,
    // so only a weight other than 1 with another loss was asked for, and would silently do nothing.
    if (c.loss.name !== 'bce-lovasz' && c.loss.lovaszWeight !== 1) {
      ctx.addIssue({ code: 'custom', path: ['loss', 'lovaszWeight'], message: `the Lovász weight is a setting of the bce-lovasz loss (BCE + weight × Lovász), not of ${c.loss.name}` });
    }
  })
  .transform((c) => {
    const epochs = c.epochs ?? (c.maxMinutes !== undefined ? OPEN_ENDED_EPOCHS : DEFAULT_EPOCHS);
    return { ...c, epochs, schedule: resolveSchedule(c.schedule, epochs) };
  });

/** A complete run configuration, as stored and trained. */
export type RunConfig = z.output<typeof runConfigSchema>;
/** Run settings as a request may give them: any of them may be left out. */
export type RunConfigInput = z.input<typeof runConfigSchema>;
/** Optimizer settings; the same shape the trainer's optimizers take. */
export type OptimizerSettings = RunConfig['optimizer'];
/** A learning-rate schedule. */
export type ScheduleConfig = RunConfig['schedule'];
/** A schedule kind. */
export type ScheduleKind = ScheduleConfig['kind'];
/** A loss name, see {@link LOSS_NAMES}. */
export type LossName = (typeof LOSS_NAMES)[number];
/** A requested backend, see {@link BACKEND_REQUESTS}. */
export type BackendRequest = (typeof BACKEND_REQUESTS)[number];

/** The defaults: the measured recipe (Adam 0.001, cosine decay, BCE + Lovász, shift/scale/brightness/contrast augmentation, flip TTA), glorot_normal, BN at samplers. */
export function defaultRunConfig(): RunConfig {
  return runConfigSchema.parse({});
}

/** The default settings of optimizer `name` (Adam 0.001, SGD 0.01 with momentum 0.9). */
export function defaultOptimizer<N extends OptimizerSettings['name']>(name: N): Extract<OptimizerSettings, { name: N }> {
  return optimizerSchema.parse({ name }) as Extract<OptimizerSettings, { name: N }>;
}

/** The default schedule of `kind` for a run of `epochs` epochs. */
export function defaultSchedule<K extends ScheduleKind>(kind: K, epochs: number): Extract<ScheduleConfig, { kind: K }> {
  return resolveSchedule(scheduleSchema.parse({ kind }), epochs) as Extract<ScheduleConfig, { kind: K }>;
}

/** Saved design ids: file-name safe on every platform, never `.` or `..`. */
export const DESIGN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** A saved design's id. */
export const designIdSchema = z.string().regex(DESIGN_ID_PATTERN, 'a design id is 1 to 64 letters, digits, _ or -, starting with a letter or digit');

/** Which design a run trains: a built-in preset or a saved design. */
export const designRefSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('preset'), name: z.string().min(1, 'pick a design preset').max(64, 'a preset name is at most 64 characters') }),
    z.strictObject({ kind: z.literal('saved'), id: designIdSchema }),
  ],
  { error: (i) => (i.code === 'invalid_union' ? 'a design is a preset or a saved design' : undefined) },
);
/** Which design a run trains. */
export type DesignRef = z.output<typeof designRefSchema>;

/** A run's name. */
export const runNameSchema = z.string({ error: 'a name must be text' }).min(1, 'a name may not be empty').max(MAX_RUN_NAME, `a name is at most ${MAX_RUN_NAME} characters`);

/** A list of sample ids, each once, naming `what` ("validation" or "test") in its messages. */
function idListSchema(what: string) {
  return z
    .array(z.string({ error: `a ${what} id must be text` }).min(1, `a ${what} id may not be empty`).max(256, `a ${what} id is at most 256 characters`), { error: `${what} ids must be a list of ids` })
    .min(1, `a ${what} id list names at least one id`)
    .max(MAX_VAL_IDS, `a ${what} id list names at most ${MAX_VAL_IDS} ids`)
    .superRefine((ids, ctx) => {
      const seen = new Set<string>();
      for (const [i, id] of ids.entries()) {
        if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [i], message: `${what} id ${id} is listed twice` });
        seen.add(id);
      }
    });
}

/**
 * A fixed validation set: sample ids, each once. That they exist in the dataset and leave a training
 * split is checked when the run is planned (the ids are the dataset's).
 */
export const valIdsSchema = idListSchema('validation');
/** A fixed test set: sample ids, each once, that no choice of the run (checkpoint, threshold, area) ever sees. */
export const testIdsSchema = idListSchema('test');

/** Ids typed or read one per line: blank lines and `#` comments ignored, each line trimmed. */
export function parseIdList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** Experiment and factor-level names: file-name safe on every platform, never `.` or `..`. */
export const EXPERIMENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * The tag that links a run to the experiment that planned it (shared/experiments): the experiment's
 * name and version, the run's group (its factor levels' labels joined by `+`), its seed, and the
 * group's fingerprint (what the file asks that group to train; see shared/experiments/expand.ts).
 * Stored with the run (the index's `experiment` column) and never changed afterwards.
 */
export const experimentTagSchema = z.strictObject({
  name: z.string({ error: 'an experiment name must be text' }).regex(EXPERIMENT_NAME_PATTERN, 'an experiment name is 1 to 64 letters, digits, _ or -, starting with a letter or digit'),
  version: z.number({ error: 'an experiment version must be a number' }).int('an experiment version must be a whole number').min(1, 'an experiment version must be at least 1'),
  group: z.string({ error: 'an experiment group must be text' }).min(1, 'an experiment group may not be empty').max(1024, 'an experiment group is at most 1024 characters'),
  seed: z.number({ error: 'seed must be a number' }).int('seed must be a whole number').min(0, 'seed must be at least 0').max(MAX_SEED, `seed must be at most ${MAX_SEED}`),
  fingerprint: z.string({ error: 'a fingerprint must be text' }).regex(/^[0-9a-f]{64}$/, 'a fingerprint is 64 hex digits (SHA-256)'),
});
/** A run's experiment tag. */
export type ExperimentTag = z.output<typeof experimentTagSchema>;

/**
 * What every way of creating a run asks for besides the design and the data's location (the lab names
 * them by reference, the CLI by file and folder): the name, demo size or folder subset, a fixed
 * validation set, and the settings.
 */
export const runRequestFields = {
  /** Default: `design · dataset`. */
  name: runNameSchema.optional(),
  /** For the demo set: how many samples to generate. */
  demoCount: z.number({ error: 'demo samples must be a number' }).int('demo samples must be a whole number').min(8, 'demo samples must be at least 8').max(20_000, 'demo samples must be at most 20000').optional(),
  /** For a folder: train on its first N samples by id. */
  subset: z.number({ error: 'subset must be a number' }).int('subset must be a whole number').min(2, 'subset must be at least 2').optional(),
  /** A fixed validation set instead of `config.valFraction`. */
  valIds: valIdsSchema.optional(),
  /** A fixed test set instead of `config.testFraction`. */
  testIds: testIdsSchema.optional(),
  /** Settings left out take their defaults. */
  config: runConfigSchema.prefault({}),
  /** The experiment that planned the run, if one did (`strata experiment run`). */
  experiment: experimentTagSchema.optional(),
};

/** A run request as `strata train` builds it from its flags (design and data come as a file and a folder). */
export const runRequestSchema = z.strictObject(runRequestFields);
/** A parsed run request. */
export type RunRequest = z.output<typeof runRequestSchema>;

/** A schema issue as a form shows it: the path into the request, and the message. */
export interface FieldIssue {
  path: readonly PropertyKey[];
  message: string;
}

/** The first issue for each form field: `fieldOf` maps an issue's path to the field (undefined: not a field of the form). */
export function issuesByField<F extends string>(issues: readonly FieldIssue[], fieldOf: (path: readonly PropertyKey[]) => F | undefined, fallback: F): Partial<Record<F, string>> {
  const out: Partial<Record<F, string>> = {};
  for (const i of issues) {
    const field = fieldOf(i.path) ?? fallback;
    out[field] ??= i.message;
  }
  return out;
}

/** Messages of a failed parse, each prefixed by its path (`config.batch: batch size must be at least 1`). */
export function issueLines(issues: readonly FieldIssue[]): string[] {
  return issues.map((i) => `${i.path.length ? `${i.path.map(String).join('.')}: ` : ''}${i.message}`);
}

/** A config check's result: the config, or one message per bad field, naming the field. */
export type ConfigCheck = { ok: true; config: RunConfig } | { ok: false; errors: string[] };

/** Validates an unknown value as a run configuration (settings left out take their defaults). */
export function parseRunConfig(value: unknown): ConfigCheck {
  const r = runConfigSchema.safeParse(value);
  if (r.success) return { ok: true, config: r.data };
  return { ok: false, errors: issueLines(r.error.issues) };
}
