/**
 * The experiment file: a named, versioned JSON document that says what to train to answer one
 * question (docs/experiments/README.md). A base design and run configuration, factors whose levels
 * override parts of them, the seeds, the data and a budget. Its groups are the full factorial of the
 * factors' levels; each group trains once per seed.
 *
 * The schemas here check the file's skeleton, one part at a time (see expand.ts), so that one bad
 * part never hides the problems of another. What a level's design and configuration say is checked
 * once merged onto the base: the configuration by the one run configuration schema
 * (shared/runs/request.ts), the design by the architecture validator.
 */
import { z } from 'zod';
import { LIMITS } from '../arch/limits';
import { INITIALIZERS, MERGE_MODES, SAMPLER_BN } from '../arch/types';
import { UNET_LEVELS } from '../arch/presets';
import { EXPERIMENT_NAME_PATTERN, MAX_EPOCHS, MAX_SEED, runRequestFields } from '../runs/request';

/** The `format` of an experiment file. */
export const EXPERIMENT_FORMAT = 'strata-experiment';
import { MIN_SEEDS_FOR_VERDICT } from '../metrics/groupComparison';

/** Seeds a group needs before a comparison of it gives a verdict: shared/metrics' rule, re-exported. */
export { MIN_SEEDS_FOR_VERDICT };
/** Most seeds, levels per factor and factors: far above what a CPU can train, low enough to catch a typo. */
export const EXPERIMENT_LIMITS = { seeds: 100, factors: 6, levels: 50, groups: 1000 } as const;

const nameMessage = 'is 1 to 64 letters, digits, _ or -, starting with a letter or digit';
/** An experiment's or a factor's name. */
export const experimentNameSchema = z.string({ error: `a name must be text` }).regex(EXPERIMENT_NAME_PATTERN, `a name ${nameMessage}`);
/** A level's label: file-name safe (it names the group's runs and a report's figures), `.` allowed (`lr0.01`). */
export const LEVEL_LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const labelSchema = z.string({ error: 'a label must be text' }).regex(LEVEL_LABEL_PATTERN, 'a label is 1 to 64 letters, digits, ., _ or -, starting with a letter or digit');

const int = (what: string, min: number, max: number) =>
  z.number({ error: `${what} must be a number` }).int(`${what} must be a whole number`).min(min, `${what} must be at least ${min}`).max(max, `${what} must be at most ${max}`);
const blocks = int('blocks', LIMITS.blocks.min, LIMITS.blocks.max);

/**
 * Options of the U-Net builder (shared/arch/presets.ts buildUNet), all optional: a level gives only
 * what it changes. `preset` starts from a preset's options. `blocksPerLevel` is one count for every
 * level or one per level (e0, e1, e2, bottom, d2, d1, d0).
 *
 * `init` and `samplerBn: "none"` are accepted here only to be refused by name (expand.ts): a run's
 * initializer and BN placement are its configuration's `init` and `bnPlacement`, which training
 * applies over the design's.
 */
export const designOptionsSchema = z.strictObject({
  preset: z.string({ error: 'a preset name must be text' }).min(1, 'a preset name may not be empty').max(64, 'a preset name is at most 64 characters').optional(),
  channels: int('channels', LIMITS.filters.min, LIMITS.filters.max).optional(),
  inputChannels: int('input channels', LIMITS.channels.min, LIMITS.channels.max).optional(),
  size: int('size', LIMITS.size.min, LIMITS.size.max).optional(),
  blocksPerLevel: z
    .union([blocks, z.array(blocks).length(UNET_LEVELS.length, `blocksPerLevel lists ${UNET_LEVELS.length} counts (${UNET_LEVELS.join(', ')}) or is one count for all`)], {
      error: (i) => (i.code === 'invalid_union' ? `blocksPerLevel is a whole number or a list of ${UNET_LEVELS.length} (${UNET_LEVELS.join(', ')})` : undefined),
    })
    .optional(),
  samplerConvs: int('sampler convs', LIMITS.convs.min, LIMITS.convs.max).optional(),
  upSamplerConvs: int('upsampler convs', LIMITS.convs.min, LIMITS.convs.max).optional(),
  samplerBn: z.enum(SAMPLER_BN, { error: `samplerBn must be one of ${SAMPLER_BN.join(', ')}` }).optional(),
  upKernel: int('up kernel', LIMITS.kernel.min, LIMITS.kernel.max).optional(),
  kernel: int('kernel', LIMITS.kernel.min, LIMITS.kernel.max).optional(),
  merge: z.enum(MERGE_MODES, { error: `merge must be one of ${MERGE_MODES.join(', ')}` }).optional(),
  init: z.enum(INITIALIZERS, { error: `init must be one of ${INITIALIZERS.join(', ')}` }).optional(),
});
/** Design options as a file gives them. */
export type DesignOptions = z.output<typeof designOptionsSchema>;

/** A design as a file may give it: a preset name (the same as `{ "preset": name }`), or builder options. */
export const designSpecSchema = z.union([z.string(), z.record(z.string(), z.unknown())], { error: 'a design is a preset name or an object of design options' });
/** A partial run configuration: any object; what it says is checked once merged (expand.ts). */
export const configSpecSchema = z.record(z.string(), z.unknown(), { error: 'a config is an object of run settings' });

/** The base every group starts from. */
export const baseSchema = z.strictObject({
  design: designSpecSchema,
  config: configSpecSchema.optional(),
});

/** One level of a factor: a label and what it changes. */
export const levelSchema = z.strictObject({
  label: labelSchema,
  description: z.string({ error: 'a description must be text' }).max(2000, 'a description is at most 2000 characters').optional(),
  design: designSpecSchema.optional(),
  config: configSpecSchema.optional(),
});
/** A level as the file gives it. */
export type Level = z.output<typeof levelSchema>;

/** A factor's name and levels; the levels are checked one by one (expand.ts). */
export const factorSchema = z.strictObject({
  name: experimentNameSchema,
  description: z.string({ error: 'a description must be text' }).max(2000, 'a description is at most 2000 characters').optional(),
  levels: z.array(z.unknown(), { error: 'levels must be a list' }).min(1, 'a factor needs at least one level').max(EXPERIMENT_LIMITS.levels, `a factor has at most ${EXPERIMENT_LIMITS.levels} levels`),
});

/** The seeds: each group trains once per seed. A group gives a verdict only with 3 or more (MIN_SEEDS_FOR_VERDICT). */
export const seedsSchema = z
  .array(int('a seed', 0, MAX_SEED), { error: 'seeds must be a list of whole numbers' })
  .min(1, `an experiment needs at least one seed (a verdict needs ${MIN_SEEDS_FOR_VERDICT})`)
  .max(EXPERIMENT_LIMITS.seeds, `an experiment has at most ${EXPERIMENT_LIMITS.seeds} seeds`);

/**
 * The data: a folder (relative to the experiment file, or absolute) or `demo`, the built-in
 * synthetic set; `subset` trains on a folder's first N ids, `demoCount` sizes the demo set,
 * `valIds` names a file of validation ids and `testIds` one of held-out test ids (each relative to
 * the experiment file, one id per line). Test ids are kept out of training and validation and
 * scored once, by the run's finalize, with the post-processing it chose on validation.
 */
export const dataSchema = z.strictObject({
  path: z.string({ error: 'the data path must be text' }).min(1, 'the data path may not be empty'),
  subset: runRequestFields.subset,
  demoCount: runRequestFields.demoCount,
  valIds: z.string({ error: 'valIds is the path of a file of validation ids' }).min(1, 'the validation id file may not be empty').optional(),
  testIds: z.string({ error: 'testIds is the path of a file of test ids' }).min(1, 'the test id file may not be empty').optional(),
});
/** The data as the file gives it. */
export type ExperimentData = z.output<typeof dataSchema>;

/** Per-run training budget: epochs, minutes of training, or both (the first reached ends the run). */
export const budgetSchema = z
  .strictObject({
    epochs: int('epochs', 1, MAX_EPOCHS).optional(),
    maxMinutes: z.number({ error: 'max minutes must be a number' }).finite('max minutes must be finite').positive('max minutes must be above 0').optional(),
  })
  .refine((b) => b.epochs !== undefined || b.maxMinutes !== undefined, { message: 'a budget gives epochs, maxMinutes or both' });
/** The budget. */
export type Budget = z.output<typeof budgetSchema>;

/** The file's top-level fields and their schemas, each checked on its own. */
export const EXPERIMENT_FIELDS = {
  format: z.literal(EXPERIMENT_FORMAT, { error: `format must be "${EXPERIMENT_FORMAT}"` }),
  version: z.number({ error: 'version must be a number' }).int('version must be a whole number').min(1, 'version must be at least 1'),
  name: experimentNameSchema,
  description: z.string({ error: 'a description must be text' }).min(1, 'an experiment needs a description (say its scale)').max(10_000, 'a description is at most 10000 characters'),
  claim: z.string({ error: 'a claim must be text' }).max(10_000, 'a claim is at most 10000 characters').optional(),
  base: baseSchema,
  factors: z.array(z.unknown(), { error: 'factors must be a list' }).min(1, 'an experiment needs at least one factor').max(EXPERIMENT_LIMITS.factors, `an experiment has at most ${EXPERIMENT_LIMITS.factors} factors`),
  seeds: seedsSchema,
  data: dataSchema,
  budget: budgetSchema,
} as const;

/** A factor with its levels checked. */
export interface Factor {
  name: string;
  description?: string;
  levels: Level[];
}

/** An experiment file that passed every check (expand.ts `checkExperiment`). */
export interface Experiment {
  format: typeof EXPERIMENT_FORMAT;
  version: number;
  name: string;
  description: string;
  claim?: string;
  base: z.output<typeof baseSchema>;
  factors: Factor[];
  seeds: number[];
  data: ExperimentData;
  budget: Budget;
}
