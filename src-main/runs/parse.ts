/**
 * Schemas for everything the store reads back from JSON (index columns, run.json, manifests):
 * such text is checked before it becomes a typed value.
 */
import { z } from 'zod';
import type { Architecture } from '../../shared/arch/types';
import { ARCH_FORMAT, BN_PLACEMENTS, INITIALIZERS } from '../../shared/arch/types';
import type {
  RunBackend,
  RunConfig,
  RunDataset,
  RunHost,
  RunSplit,
  RunVersions,
} from '../../shared/runs/types';
import { BACKEND_REQUESTS, LOSS_NAMES } from '../../shared/runs/types';
import { RunStoreCorruptError } from './errors';

const num = z.number();
const int = z.number().int();

const schedule = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant') }),
  z.object({ kind: z.literal('step'), every: num, factor: num }),
  z.object({ kind: z.literal('cosine'), minLr: num, warmupEpochs: num }),
  z.object({ kind: z.literal('plateau'), patience: num, factor: num, minLr: num, minDelta: num }),
]);

const optimizer = z.discriminatedUnion('name', [
  z.object({ name: z.literal('sgd'), lr: num, momentum: num, nesterov: z.boolean().optional() }),
  z.object({ name: z.literal('adam'), lr: num, beta1: num, beta2: num, epsilon: num.optional() }),
]);

/** A run's configuration. */
export const runConfigSchema: z.ZodType<RunConfig> = z.object({
  epochs: int,
  batch: int,
  optimizer,
  schedule,
  loss: z.object({ name: z.enum(LOSS_NAMES), eps: num.optional() }),
  init: z.enum(INITIALIZERS),
  bnPlacement: z.enum(BN_PLACEMENTS),
  seed: num,
  valFraction: num,
  augment: z.object({ hflip: z.boolean(), vflip: z.boolean(), jitter: num }),
  backend: z.enum(BACKEND_REQUESTS),
  maxMinutes: num.optional(),
  earlyStop: z.object({ patience: int, minDelta: num }).optional(),
  predictEpochs: z.array(int).optional(),
});

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

/** The backend that ran. */
export const runBackendSchema: z.ZodType<RunBackend> = z.object({ name: z.string(), detail: z.string(), threads: int });

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

/** The split's sample ids. */
export const runSplitSchema: z.ZodType<RunSplit> = z.object({ train: z.array(z.string()), val: z.array(z.string()) });

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
