/**
 * Runtime schemas of every channel's parameters. A request is parsed here before anything in the
 * lab sees it: ids that could walk out of a folder, paths with `..`, sizes out of range and unknown
 * fields are all refused with the field named.
 */
import { z } from 'zod';
import { ARCH_FORMAT, ARCH_VERSION } from '../arch/types';
import { RUN_ORDERS, RUN_STATUSES, RUN_ID_PATTERN } from '../runs/types';
import { DESIGN_ID_PATTERN, EXPERIMENT_NAME_PATTERN, designIdSchema, designRefSchema, runRequestFields } from '../runs/request';

/** Saved design ids (defined with the run request, which names designs too). */
export { DESIGN_ID_PATTERN, designIdSchema, designRefSchema };
/** Dataset ids: lowercase, file-name safe. */
export const DATASET_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** Longest path the lab accepts. */
export const MAX_PATH_LENGTH = 4096;
/** Most samples one preview page returns. */
export const MAX_PREVIEW_PAGE = 200;
/** Most nodes and edges a design document may hold; far above any real design (nodes hold whole stacks). */
export const MAX_DESIGN_NODES = 10_000;

/** A run id, checked before it can reach the file system. */
export const runIdSchema = z.string().regex(RUN_ID_PATTERN, 'not a run id (expected e.g. 20250607-153012-123-k3j9x2)');
/** A dataset's id. */
export const datasetIdSchema = z.string().regex(DATASET_ID_PATTERN, 'a dataset id is 1 to 64 lowercase letters, digits or -');

/** True for `/x`, `C:\x`, `C:/x` and `\\server\share`. */
function isAbsolute(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

/**
 * An absolute folder path on the lab's machine, without `.` or `..` segments, so what is checked
 * is what is opened.
 */
export const absolutePathSchema = z
  .string()
  .min(1, 'a path is required')
  .max(MAX_PATH_LENGTH, `a path is at most ${MAX_PATH_LENGTH} characters`)
  .refine((p) => !p.includes('\0'), 'a path may not contain NUL characters')
  .refine(isAbsolute, 'the path must be absolute')
  .refine((p) => !p.split(/[\\/]/).some((seg) => seg === '..' || seg === '.'), 'the path may not contain . or .. segments');

/**
 * A design document as saved: the envelope must be a Strata design; everything inside is judged by
 * the design parser and validator, so an unfinished design can still be kept.
 */
export const designDocumentSchema = z.looseObject({
  format: z.literal(ARCH_FORMAT, `a design's "format" must be "${ARCH_FORMAT}"`),
  version: z.literal(ARCH_VERSION, `this lab reads design version ${ARCH_VERSION}`),
  name: z.string().min(1, 'a design needs a name').max(200, 'a design name is at most 200 characters'),
  nodes: z.array(z.unknown()).max(MAX_DESIGN_NODES),
  edges: z.array(z.unknown()).max(MAX_DESIGN_NODES * 2),
});

/** No parameters. */
export const noInput = z.strictObject({});

/** The run request's fields a lab caller may give: all but `experiment`, which only `strata experiment run` sets on the runs it plans. */
const { experiment: _experimentTag, ...labRunFields } = runRequestFields;

/**
 * Starting a run: the run request of shared/runs/request.ts, with the design and the dataset named by
 * reference. Any setting left out takes its default there; the parsed `config` is complete. An
 * `experiment` tag is refused: a run the lab starts is no experiment's.
 */
export const startRunSchema = z.strictObject({
  design: designRefSchema,
  datasetId: datasetIdSchema,
  ...labRunFields,
  experiment: z.undefined({ error: 'a run started in the lab carries no experiment tag: only strata experiment run sets one, on the runs it plans' }).optional(),
});

/** Most timed steps the training setup's warm-up may ask for. */
export const MAX_ESTIMATE_STEPS = 10;

/** Estimating an epoch's time: the run as it would be started, and how many steps to time. */
export const estimateEpochSchema = startRunSchema.omit({ name: true }).extend({
  steps: z.number().int().min(1).max(MAX_ESTIMATE_STEPS).default(2),
});

/** A run list query (see RunListQuery). */
export const runListSchema = z.strictObject({
  status: z.union([z.enum(RUN_STATUSES), z.array(z.enum(RUN_STATUSES)).max(RUN_STATUSES.length)]).optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
  offset: z.number().int().min(0).optional(),
  orderBy: z.enum(RUN_ORDERS).optional(),
  desc: z.boolean().optional(),
});

/** A run named by id. */
export const runRefSchema = z.strictObject({ id: runIdSchema });

/** A stored folder prediction's key within its run: 16 hex digits. */
export const FOLDER_KEY_PATTERN = /^[0-9a-f]{16}$/;
/** Most samples one predictions page returns. */
export const MAX_PREDICTIONS_PAGE = 1000;

/** Predicting a folder of images with a run's best checkpoint. */
export const predictFolderSchema = z.strictObject({ id: runIdSchema, path: absolutePathSchema });

/** A page of a run's stored folder prediction. */
export const folderPredictionsSchema = z.strictObject({
  id: runIdSchema,
  key: z.string().regex(FOLDER_KEY_PATTERN, 'a folder prediction key is 16 hex digits'),
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(MAX_PREDICTIONS_PAGE).optional(),
});

/** Writing a Kaggle submission of stored predictions at a threshold to an absolute `.csv` path. */
export const exportSubmissionSchema = z.strictObject({
  id: runIdSchema,
  source: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('epoch'), epoch: z.number().int().min(0) }),
    z.strictObject({ kind: z.literal('folder'), key: z.string().regex(FOLDER_KEY_PATTERN, 'a folder prediction key is 16 hex digits') }),
  ]),
  threshold: z.number().min(0).max(1),
  /** Images with fewer salt pixels are written empty; left out, what the predictions were made with (the run's stored minimum area). */
  minArea: z.number().int('min area must be a whole number').min(0, 'min area must be at least 0').max(1_000_000, 'min area must be at most 1000000').optional(),
  path: absolutePathSchema.refine((p) => /\.csv$/i.test(p), 'a submission file name ends in .csv'),
  /** Replace an existing submission at `path` (the user confirmed it); without it an existing file is refused. A file that is not a submission is never replaced. */
  overwrite: z.boolean().optional(),
});

/** One experiment's results: by its name (the runs' tag), the newest version with runs unless `version` names one. */
export const experimentResultsSchema = z.strictObject({
  name: z.string().regex(EXPERIMENT_NAME_PATTERN, 'an experiment name is 1 to 64 letters, digits, _ or -, starting with a letter or digit'),
  version: z.number().int('an experiment version is a whole number').min(1, 'an experiment version is at least 1').optional(),
});
