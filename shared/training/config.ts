/**
 * The run configuration's runtime schema and defaults. The CLI, the lab API and the training
 * setup form all validate through this one schema, so a setting means the same everywhere and a
 * bad one gets the same message everywhere.
 */
import { z } from 'zod';
import { BN_PLACEMENTS, INITIALIZERS } from '../arch/types';
import { BACKEND_REQUESTS, LOSS_NAMES, type RunConfig } from '../runs/types';

const positive = (what: string) => z.number({ error: `${what} must be a number` }).finite(`${what} must be finite`).positive(`${what} must be above 0`);
const count = (what: string, max: number) =>
  z.number({ error: `${what} must be a number` }).int(`${what} must be a whole number`).min(1, `${what} must be at least 1`).max(max, `${what} must be at most ${max}`);
const unit = (what: string) => z.number({ error: `${what} must be a number` }).finite(`${what} must be finite`).min(0, `${what} must be in [0, 1)`).lt(1, `${what} must be in [0, 1)`);

const optimizerSchema = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('sgd'), lr: positive('learning rate'), momentum: unit('momentum'), nesterov: z.boolean().optional() }),
  z.strictObject({
    name: z.literal('adam'),
    lr: positive('learning rate'),
    beta1: unit('beta1'),
    beta2: unit('beta2'),
    epsilon: positive('epsilon').optional(),
  }),
]);

const scheduleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('constant') }),
  z.strictObject({ kind: z.literal('step'), every: count('step every', 100000), factor: z.number().positive().max(1) }),
  z.strictObject({ kind: z.literal('cosine'), minLr: z.number().min(0).finite(), warmupEpochs: z.number().int().min(0) }),
  z.strictObject({
    kind: z.literal('plateau'),
    patience: count('plateau patience', 100000),
    factor: z.number().positive().lt(1, 'plateau factor must be below 1'),
    minLr: z.number().min(0).finite(),
    minDelta: z.number().min(0).finite(),
  }),
]);

/** The schema of {@link RunConfig}. */
export const RUN_CONFIG_SCHEMA = z.strictObject({
  epochs: count('epochs', 100000),
  batch: count('batch size', 4096),
  optimizer: optimizerSchema,
  schedule: scheduleSchema,
  loss: z.strictObject({ name: z.enum(LOSS_NAMES), eps: positive('IoU smoothing eps').optional() }),
  init: z.enum(INITIALIZERS),
  bnPlacement: z.enum(BN_PLACEMENTS),
  seed: z.number().int('seed must be a whole number').min(0).max(2 ** 31 - 1),
  valFraction: z.number().finite().gt(0, 'validation fraction must be above 0').lt(1, 'validation fraction must be below 1'),
  augment: z.strictObject({ hflip: z.boolean(), vflip: z.boolean(), jitter: z.number().min(0).max(1) }),
  backend: z.enum(BACKEND_REQUESTS),
  maxMinutes: positive('max minutes').optional(),
  earlyStop: z.strictObject({ patience: count('early-stop patience', 100000), minDelta: z.number().min(0).finite() }).optional(),
  predictEpochs: z.array(z.number().int().min(1)).optional(),
});

/** Defaults: the note's set-up where it has one (batch IoU loss, SGD with momentum 0.9, glorot_normal, BN at samplers). */
export function defaultRunConfig(): RunConfig {
  return {
    epochs: 10,
    batch: 16,
    optimizer: { name: 'sgd', lr: 0.01, momentum: 0.9 },
    schedule: { kind: 'constant' },
    loss: { name: 'batch-iou' },
    init: 'glorot_normal',
    bnPlacement: 'samplers',
    seed: 1,
    valFraction: 0.2,
    augment: { hflip: true, vflip: false, jitter: 0 },
    backend: 'auto',
  };
}

/** A config check's result: the config, or one message per bad field, naming the field. */
export type ConfigCheck = { ok: true; config: RunConfig } | { ok: false; errors: string[] };

/** Validates an unknown value as a run configuration. */
export function parseRunConfig(value: unknown): ConfigCheck {
  const r = RUN_CONFIG_SCHEMA.safeParse(value);
  if (r.success) return { ok: true, config: r.data as RunConfig };
  return { ok: false, errors: r.error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`) };
}
