/**
 * Schemas for everything the store reads back from JSON (index columns, run.json, manifests):
 * such text is checked before it becomes a typed value.
 */
import { z } from 'zod';
import type { Architecture } from '../../shared/arch/types';
import { ARCH_FORMAT } from '../../shared/arch/types';
import { runBackendSchema } from '../../shared/runs/backend';
import { RUN_CONFIG_OBJECT, runConfigSchema as RUN_CONFIG_SCHEMA } from '../../shared/runs/request';
import type {
  RunConfig,
  RunDataset,
  RunHost,
  RunSplit,
  RunVersions,
} from '../../shared/runs/types';
import { RunStoreCorruptError } from './errors';

const num = z.number();
const int = z.number().int();

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `o` with only the keys `schema` knows (zod 4 object schemas list them in `shape`). */
function knownKeys(o: Record<string, unknown>, schema: { shape: Record<string, unknown> }): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => k in schema.shape));
}

/**
 * A row written before the measured recipe became the default keeps what it trained with: the old
 * defaults for settings it leaves out (SGD, constant rate, batch IoU), one `jitter` read as both
 * brightness and contrast, no shifts or scales, and predictions without flip TTA or snapshots.
 */
function pinOldDefaults(raw: Record<string, unknown>): Record<string, unknown> {
  const c: Record<string, unknown> = { ...raw };
  c['optimizer'] ??= { name: 'sgd' };
  c['schedule'] ??= { kind: 'constant' };
  c['loss'] ??= { name: 'batch-iou' };
  c['inference'] ??= { tta: false, snapshots: 1 };
  const a = isRecord(c['augment']) ? { ...c['augment'] } : {};
  if (!('shift' in a) && !('scale' in a) && !('brightness' in a) && !('contrast' in a)) {
    // A jitter that is no number is passed on, so the schema refuses it (as it always did), not read as 0.
    const j = 'jitter' in a ? a['jitter'] : 0;
    Object.assign(a, { shift: 0, scale: 0, brightness: j, contrast: j });
  }
  c['augment'] = a;
  return c;
}

/**
 * Brings a stored configuration up to the current schema. Rows were read for a while by a looser
 * schema than the one new runs are checked with, so an old row may:
 * - lack settings added or made optional later (`backend`, the schedule's or optimizer's tuning
 *   fields, the Lovász weight, the test fraction): left out here, the schema fills their defaults;
 * - lack settings whose default changed since (optimizer, schedule, loss, augmentation, inference):
 *   the defaults of the version that trained them are pinned (see pinOldDefaults);
 * - carry keys the schema no longer knows (the loose reader ignored them): dropped;
 * - name a step schedule with `every` 0 (the schedule always treated it as 1): 1;
 * - carry a Lovász weight with a loss other than bce-lovasz (it had no effect there): dropped;
 * - list prediction epochs counted from 0 (the trainer counts them from 1, so 0 never matched): dropped.
 * Anything else the schema refuses stays refused, with the schema's message.
 */
export function migrateStoredConfig(raw: unknown): unknown {
  if (!isRecord(raw)) return raw;
  const c = knownKeys(pinOldDefaults(raw), RUN_CONFIG_OBJECT);
  const member = <S extends { shape: Record<string, unknown> }>(v: unknown, options: readonly S[], tag: string): unknown => {
    if (!isRecord(v)) return v;
    const schema = options.find((o) => (o.shape[tag] as { value?: unknown } | undefined)?.value === v[tag]);
    return schema ? knownKeys(v, schema) : v;
  };
  if ('optimizer' in c) c['optimizer'] = member(c['optimizer'], RUN_CONFIG_OBJECT.shape.optimizer.unwrap().options, 'name');
  if ('schedule' in c) {
    const s = member(c['schedule'], RUN_CONFIG_OBJECT.shape.schedule.unwrap().options, 'kind');
    c['schedule'] = isRecord(s) && s['kind'] === 'step' && s['every'] === 0 ? { ...s, every: 1 } : s;
  }
  for (const key of ['loss', 'augment', 'earlyStop', 'inference', 'initFrom'] as const) {
    const v = c[key];
    const schema = RUN_CONFIG_OBJECT.shape[key].unwrap();
    if (isRecord(v)) c[key] = knownKeys(v, schema);
  }
  // A Lovász weight stored with a loss other than bce-lovasz (accepted for a while) never acted on it.
  const loss = c['loss'];
  if (isRecord(loss) && loss['name'] !== 'bce-lovasz' && 'lovaszWeight' in loss) {
    const { lovaszWeight: _unused, ...rest } = loss;
    c['loss'] = rest;
  }
  const pe = c['predictEpochs'];
  if (Array.isArray(pe)) c['predictEpochs'] = pe.filter((e) => !(typeof e === 'number' && e < 1));
  return c;
}

/**
 * A run's configuration as the store writes and reads it: the one run configuration schema
 * (shared/runs/request.ts), after {@link migrateStoredConfig} for rows written by older versions.
 */
export const runConfigSchema: z.ZodType<RunConfig> = z.preprocess(migrateStoredConfig, RUN_CONFIG_SCHEMA);

/** A run's dataset description. */
export const runDatasetSchema: z.ZodType<RunDataset> = z.object({
  name: z.string(),
  source: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('folder'), path: z.string(), subset: int.optional() }),
    z.object({ kind: z.literal('demo'), seed: num, count: int }),
  ]),
  fingerprint: z.string(),
  synthetic: z.boolean(),
  count: int,
});

/** The backend that ran (defined once, in shared/runs/backend.ts). */
export { runBackendSchema };

/** Software versions. */
export const runVersionsSchema: z.ZodType<RunVersions> = z.object({
  strata: z.string(),
  tfjs: z.string(),
  node: z.string(),
  electron: z.string().optional(),
});

/** The machine. */
export const runHostSchema: z.ZodType<RunHost> = z.object({
  hostname: z.string(),
  platform: z.string(),
  arch: z.string(),
  cpus: int,
});

/** The split's sample ids; a run stored before test sets existed has none. */
export const runSplitSchema: z.ZodType<RunSplit, unknown> = z.object({ train: z.array(z.string()), val: z.array(z.string()), test: z.array(z.string()).default([]) });

/**
 * The outline of an architecture: its format tag, name and node/edge lists. The store keeps a
 * design as it was trained; checking the graph itself is the architecture module's work.
 */
export const architectureOutline: z.ZodType<Architecture> = z.custom<Architecture>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    'format' in v &&
    v.format === ARCH_FORMAT &&
    'name' in v &&
    typeof v.name === 'string' &&
    'nodes' in v &&
    Array.isArray(v.nodes) &&
    'edges' in v &&
    Array.isArray(v.edges),
  { message: `not a ${ARCH_FORMAT} architecture (format, name, nodes and edges expected)` },
);

/** The contents of a run folder's run.json: the large, fixed parts of a run. */
export const runFileSchema = z.object({
  format: z.literal('strata-run'),
  version: z.literal(1),
  id: z.string(),
  arch: architectureOutline,
  split: runSplitSchema,
});

/** Parses JSON text from `where` with `schema`; any failure is a {@link RunStoreCorruptError} naming `where`. */
export function parseJson<T>(schema: z.ZodType<T>, text: string, where: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new RunStoreCorruptError(where, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const r = schema.safeParse(value);
  if (!r.success) throw new RunStoreCorruptError(where, `unexpected content: ${z.prettifyError(r.error)}`);
  return r.data;
}
