/**
 * The training setup form: every setting of a run, repeats over seeds, and a sweep of one setting
 * over a list of values. The form is text as typed; checking it builds the run configuration and
 * validates it with the same schema the lab uses (`parseRunConfig`), so a bad value reads the same
 * here as in the lab's refusal. A checked form expands to the list of runs to queue.
 */
import type { ChannelInput } from '../../shared/api/channels';
import { DEMO_DATASET_ID } from '../../shared/api/types';
import { BN_PLACEMENTS, INITIALIZERS, type BnPlacement, type Initializer } from '../../shared/arch/types';
import { LOSS_NAMES, type BackendRequest, type LossName, type RunConfig } from '../../shared/runs/types';
import { defaultRunConfig, parseRunConfig } from '../../shared/training/config';
import type { ScheduleConfig } from '../../shared/training/schedule';
import { wholeNumber } from './formNumbers';

/** Which design to train. */
export type DesignChoice = { kind: 'preset'; name: string } | { kind: 'saved'; id: string };

/** Settings a sweep can vary. */
export const SWEEP_FIELDS = ['init', 'bnPlacement', 'loss', 'lr', 'batch', 'optimizer', 'momentum'] as const;
/** A setting a sweep varies. */
export type SweepField = (typeof SWEEP_FIELDS)[number];

/** Sweep field titles. */
export const SWEEP_TITLES: Readonly<Record<SweepField, string>> = {
  init: 'initializer',
  bnPlacement: 'BN placement',
  loss: 'loss',
  lr: 'learning rate',
  batch: 'batch size',
  optimizer: 'optimizer',
  momentum: 'momentum',
};

/** Schedule kinds. */
export const SCHEDULE_KINDS = ['constant', 'step', 'cosine', 'plateau'] as const;

/** The form as typed. */
export interface SetupForm {
  design: DesignChoice;
  datasetId: string;
  demoCount: string;
  name: string;
  loss: LossName;
  eps: string;
  optimizer: 'sgd' | 'adam';
  lr: string;
  momentum: string;
  nesterov: boolean;
  beta1: string;
  beta2: string;
  schedule: (typeof SCHEDULE_KINDS)[number];
  stepEvery: string;
  stepFactor: string;
  minLr: string;
  warmupEpochs: string;
  patience: string;
  plateauFactor: string;
  minDelta: string;
  init: Initializer;
  bnPlacement: BnPlacement;
  batch: string;
  epochs: string;
  seed: string;
  valFraction: string;
  hflip: boolean;
  vflip: boolean;
  jitter: string;
  backend: BackendRequest;
  /** Runs per configuration, seeds `seed`, `seed + 1`, ... */
  repeats: string;
  /** The sweep, or null for none. */
  sweepField: SweepField | null;
  /** Comma-separated values of the sweep. */
  sweepValues: string;
}

/** Fields of the form a message can be about. */
export type SetupField = keyof SetupForm;

/** One run to queue: the request, and how it differs from the form (for the list shown before queueing). */
export interface PlannedRun {
  request: ChannelInput<'startRun'>;
  label: string;
}

/** A checked form. */
export type SetupCheck = { ok: true; config: RunConfig; runs: PlannedRun[] } | { ok: false; errors: Partial<Record<SetupField, string>> };

/** Most runs one submission may queue: a sweep is an experiment, not a grid search. */
export const MAX_PLANNED_RUNS = 64;

/** A fresh form: the lab's defaults, the tiny preset on a small demo set. */
export function emptySetupForm(design: DesignChoice = { kind: 'preset', name: 'tiny' }): SetupForm {
  const d = defaultRunConfig();
  return {
    design,
    datasetId: DEMO_DATASET_ID,
    demoCount: '64',
    name: '',
    loss: d.loss.name,
    eps: '0.62',
    optimizer: d.optimizer.name,
    lr: String(d.optimizer.lr),
    momentum: d.optimizer.name === 'sgd' ? String(d.optimizer.momentum) : '0.9',
    nesterov: false,
    beta1: '0.9',
    beta2: '0.999',
    schedule: 'constant',
    stepEvery: '10',
    stepFactor: '0.5',
    minLr: '0',
    warmupEpochs: '0',
    patience: '5',
    plateauFactor: '0.5',
    minDelta: '0.001',
    init: d.init,
    bnPlacement: d.bnPlacement,
    batch: String(d.batch),
    epochs: String(d.epochs),
    seed: String(d.seed),
    valFraction: String(d.valFraction),
    hflip: d.augment.hflip,
    vflip: d.augment.vflip,
    jitter: String(d.augment.jitter),
    backend: d.backend,
    repeats: '1',
    sweepField: null,
    sweepValues: '',
  };
}

/** A number as typed, or NaN (which the schema then refuses with the field's own message). */
function num(raw: string): number {
  const t = raw.trim();
  return t === '' ? Number.NaN : Number(t);
}

function scheduleOf(f: SetupForm): ScheduleConfig {
  switch (f.schedule) {
    case 'constant':
      return { kind: 'constant' };
    case 'step':
      return { kind: 'step', every: num(f.stepEvery), factor: num(f.stepFactor) };
    case 'cosine':
      return { kind: 'cosine', minLr: num(f.minLr), warmupEpochs: num(f.warmupEpochs) };
    case 'plateau':
      return { kind: 'plateau', patience: num(f.patience), factor: num(f.plateauFactor), minLr: num(f.minLr), minDelta: num(f.minDelta) };
  }
}

/** The configuration the form describes, before validation. */
export function configOf(f: SetupForm): unknown {
  return {
    epochs: num(f.epochs),
    batch: num(f.batch),
    optimizer:
      f.optimizer === 'sgd'
        ? { name: 'sgd', lr: num(f.lr), momentum: num(f.momentum), ...(f.nesterov ? { nesterov: true } : {}) }
        : { name: 'adam', lr: num(f.lr), beta1: num(f.beta1), beta2: num(f.beta2) },
    schedule: scheduleOf(f),
    loss: f.loss === 'per-image-iou' ? { name: f.loss, eps: num(f.eps) } : { name: f.loss },
    init: f.init,
    bnPlacement: f.bnPlacement,
    seed: num(f.seed),
    valFraction: num(f.valFraction),
    augment: { hflip: f.hflip, vflip: f.vflip, jitter: num(f.jitter) },
    backend: f.backend,
  };
}

/** The form field a schema message is about, from its path (`optimizer.lr: ...`). */
function fieldOfPath(path: string): SetupField {
  const map: Record<string, SetupField> = {
    epochs: 'epochs',
    batch: 'batch',
    'optimizer.lr': 'lr',
    'optimizer.momentum': 'momentum',
    'optimizer.beta1': 'beta1',
    'optimizer.beta2': 'beta2',
    'schedule.every': 'stepEvery',
    'schedule.factor': 'stepFactor',
    'schedule.minLr': 'minLr',
    'schedule.warmupEpochs': 'warmupEpochs',
    'schedule.patience': 'patience',
    'schedule.minDelta': 'minDelta',
    'loss.eps': 'eps',
    seed: 'seed',
    valFraction: 'valFraction',
    'augment.jitter': 'jitter',
  };
  return map[path] ?? 'name';
}

/** Splits "a, b; c" into trimmed non-empty values. */
export function splitValues(raw: string): string[] {
  return raw
    .split(/[,;\s]+/)
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

/** The values a sweep over `field` takes when none are typed: every choice of an enum, else none. */
export function defaultSweepValues(field: SweepField): string[] {
  switch (field) {
    case 'init':
      return [...INITIALIZERS];
    case 'bnPlacement':
      return [...BN_PLACEMENTS];
    case 'loss':
      return [...LOSS_NAMES];
    case 'optimizer':
      return ['sgd', 'adam'];
    default:
      return [];
  }
}

/** The form with the swept field set to `value` (as typed). */
function withSweep(f: SetupForm, field: SweepField, value: string): SetupForm | string {
  switch (field) {
    case 'init':
      return (INITIALIZERS as readonly string[]).includes(value) ? { ...f, init: value as Initializer } : `unknown initializer "${value}"`;
    case 'bnPlacement':
      return (BN_PLACEMENTS as readonly string[]).includes(value) ? { ...f, bnPlacement: value as BnPlacement } : `unknown BN placement "${value}"`;
    case 'loss':
      return (LOSS_NAMES as readonly string[]).includes(value) ? { ...f, loss: value as LossName } : `unknown loss "${value}"`;
    case 'optimizer':
      return value === 'sgd' || value === 'adam' ? { ...f, optimizer: value } : `unknown optimizer "${value}"`;
    case 'lr':
      return { ...f, lr: value };
    case 'batch':
      return { ...f, batch: value };
    case 'momentum':
      return { ...f, momentum: value };
  }
}

function checkConfig(f: SetupForm): { ok: true; config: RunConfig } | { ok: false; errors: Partial<Record<SetupField, string>> } {
  const r = parseRunConfig(configOf(f));
  if (r.ok) return r;
  const errors: Partial<Record<SetupField, string>> = {};
  for (const message of r.errors) {
    const colon = message.indexOf(': ');
    const field = colon > 0 ? fieldOfPath(message.slice(0, colon)) : 'name';
    errors[field] ??= colon > 0 ? message.slice(colon + 2) : message;
  }
  return { ok: false, errors };
}

/**
 * Checks the form and lists the runs it queues: each sweep value (or just the form) times each
 * seed. Every run's configuration is validated, so a bad sweep value is refused by name.
 */
export function checkSetupForm(f: SetupForm): SetupCheck {
  const errors: Partial<Record<SetupField, string>> = {};
  if (f.design.kind === 'preset' ? f.design.name.trim() === '' : f.design.id.trim() === '') errors.design = 'Pick a design';
  if (f.datasetId.trim() === '') errors.datasetId = 'Pick a dataset';
  const demo = f.datasetId === DEMO_DATASET_ID;
  const demoCount = demo ? wholeNumber(f.demoCount, 'Demo samples', 8, 20_000) : null;
  if (typeof demoCount === 'string') errors.demoCount = demoCount;
  const repeats = wholeNumber(f.repeats, 'Repeats', 1, MAX_PLANNED_RUNS);
  if (typeof repeats === 'string') errors.repeats = repeats;
  if (f.name.trim().length > 150) errors.name = 'A name is at most 150 characters';
  const base = checkConfig(f);
  if (!base.ok) Object.assign(errors, base.errors);

  let variants: { form: SetupForm; tag: string }[] = [{ form: f, tag: '' }];
  if (f.sweepField !== null) {
    const field = f.sweepField;
    const typed = splitValues(f.sweepValues);
    const values = typed.length ? typed : defaultSweepValues(field);
    if (values.length < 2) errors.sweepValues = `List at least two values of ${SWEEP_TITLES[field]} to sweep`;
    variants = [];
    for (const v of values) {
      const next = withSweep(f, field, v);
      if (typeof next === 'string') {
        errors.sweepValues ??= next;
        continue;
      }
      const c = checkConfig(next);
      if (!c.ok) errors.sweepValues ??= `${SWEEP_TITLES[field]} ${v}: ${Object.values(c.errors)[0] ?? 'invalid'}`;
      variants.push({ form: next, tag: `${SWEEP_TITLES[field]} ${v}` });
    }
  }
  if (typeof repeats === 'number' && variants.length * repeats > MAX_PLANNED_RUNS) {
    errors.repeats = `That is ${variants.length * repeats} runs; at most ${MAX_PLANNED_RUNS} at once`;
  }
  if (Object.keys(errors).length > 0 || !base.ok || typeof repeats !== 'number' || typeof demoCount === 'string') return { ok: false, errors };

  const runs: PlannedRun[] = [];
  for (const v of variants) {
    const c = checkConfig(v.form);
    if (!c.ok) continue;
    for (let k = 0; k < repeats; k++) {
      const seed = c.config.seed + k;
      const tags = [v.tag, repeats > 1 || f.sweepField !== null ? `seed ${seed}` : ''].filter(Boolean);
      const name = f.name.trim();
      const runName = name === '' ? undefined : [name, ...tags].join(' · ');
      runs.push({
        request: {
          design: f.design,
          datasetId: f.datasetId,
          ...(demoCount === null ? {} : { demoCount }),
          ...(runName === undefined ? {} : { name: runName }),
          config: { ...c.config, seed },
        },
        label: tags.join(' · ') || 'one run',
      });
    }
  }
  return { ok: true, config: base.config, runs };
}

/** The request for the epoch-time warm-up of the form's first planned run. */
export function estimateRequest(check: Extract<SetupCheck, { ok: true }>): ChannelInput<'estimateEpoch'> | null {
  const first = check.runs[0];
  if (!first) return null;
  const { name: _name, ...rest } = first.request;
  return { ...rest, steps: 2 };
}
