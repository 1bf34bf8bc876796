/**
 * The training setup form: every setting of a run, repeats over seeds, and a sweep of one setting
 * over a list of values. The form is text as typed; checking it builds the run request and parses it
 * with the `startRun` channel's own schema (shared/runs/request.ts), so a bad value gets the lab's
 * message, shown next to its field (mapped from the issue's path), and a setting left empty takes the
 * lab's default. A checked form expands to the list of runs to queue.
 */
import type { ChannelInput } from '../../shared/api/channels';
import { startRunSchema } from '../../shared/api/schemas';
import { DEMO_DATASET_ID } from '../../shared/api/types';
import { DEFAULT_PRESET } from '../../shared/arch/presets';
import { BN_PLACEMENTS, INITIALIZERS, type BnPlacement, type Initializer } from '../../shared/arch/types';
import {
  DEFAULT_EPOCHS,
  defaultOptimizer,
  defaultRunConfig,
  defaultSchedule,
  issuesByField,
  LOSS_NAMES,
  MAX_SEED,
  OPTIMIZER_NAMES,
  parseIdList,
  PER_IMAGE_IOU_EPS,
  RUN_CONFIG_OBJECT,
  runNameSchema,
  SCHEDULE_KINDS,
  type BackendRequest,
  type DesignRef,
  type LossName,
  type OptimizerSettings,
  type RunConfig,
  type ScheduleKind,
} from '../../shared/runs/request';
import type { RunSummary } from '../../shared/runs/types';
import { wholeNumber } from './formNumbers';
import { augmentText, inferenceText } from './runSettings';
import { FORM_DEMO_COUNT, FORM_MESSAGE, formMessage, typedNumber, type FormMessageKey } from './runForms';

/** Which design to train. */
export type DesignChoice = DesignRef;

/** Settings a sweep can vary. */
export const SWEEP_FIELDS = ['init', 'bnPlacement', 'loss', 'lovaszWeight', 'lr', 'batch', 'optimizer', 'momentum', 'shift', 'scale', 'brightness', 'contrast'] as const;
/** A setting a sweep varies. */
export type SweepField = (typeof SWEEP_FIELDS)[number];

/** Sweep field titles. */
export const SWEEP_TITLES: Readonly<Record<SweepField, string>> = {
  init: 'initializer',
  bnPlacement: 'BN placement',
  loss: 'loss',
  lovaszWeight: 'Lovász weight',
  lr: 'learning rate',
  batch: 'batch size',
  optimizer: 'optimizer',
  momentum: 'momentum',
  shift: 'shift',
  scale: 'scale',
  brightness: 'brightness',
  contrast: 'contrast',
};

/** Schedule kinds and optimizer names (read off the schema). */
export { OPTIMIZER_NAMES, SCHEDULE_KINDS };

/** Optimizer titles, as the form lists them. */
export const OPTIMIZER_TITLES: Readonly<Record<OptimizerSettings['name'], string>> = { sgd: 'SGD', adam: 'Adam' };

/** The form as typed. */
export interface SetupForm {
  design: DesignChoice;
  datasetId: string;
  demoCount: string;
  name: string;
  loss: LossName;
  eps: string;
  /** bce-lovasz only: the Lovász hinge's weight against BCE. */
  lovaszWeight: string;
  /** A design with a salt head only: its loss weight for this run; empty: the design's own. */
  saltHeadWeight: string;
  optimizer: OptimizerSettings['name'];
  /** Empty: the optimizer's default (see {@link defaultLr}). */
  lr: string;
  momentum: string;
  nesterov: boolean;
  beta1: string;
  beta2: string;
  schedule: ScheduleKind;
  /** Empty: a third of the run. */
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
  /** Empty: DEFAULT_EPOCHS, or with a time budget as many as it allows. */
  epochs: string;
  /** Time budget in minutes; empty: none. */
  maxMinutes: string;
  seed: string;
  valFraction: string;
  /** A fixed validation set, one id per line (blank lines and `#` comments ignored); empty: `valFraction`. */
  valIds: string;
  /** Share held out as a test set no choice of the run sees; 0: none. */
  testFraction: string;
  /** A fixed test set, one id per line as `valIds`; empty: `testFraction`. */
  testIds: string;
  /** The run whose weights this one starts from; empty: a fresh initialisation. */
  initFromRun: string;
  initFromCheckpoint: InitCheckpoint;
  hflip: boolean;
  vflip: boolean;
  shift: string;
  scale: string;
  brightness: string;
  contrast: string;
  /** Horizontal-flip test-time augmentation. */
  tta: boolean;
  /** Snapshot ensemble size (last k epochs). */
  snapshots: string;
  /** Fixed threshold; empty: tuned on the validation set. */
  threshold: string;
  /** Fixed minimum salt area in pixels; empty: tuned with the threshold on the validation set. */
  minArea: string;
  backend: BackendRequest;
  /** Runs per configuration, seeds `seed`, `seed + 1`, ... */
  repeats: string;
  /** The sweep, or null for none. */
  sweepField: SweepField | null;
  /** Comma-separated values of the sweep. */
  sweepValues: string;
}

/** Which checkpoint of another run a warm start takes. */
export type InitCheckpoint = 'best' | 'last';

/** A run the form can start from: one of the lab's runs with a saved checkpoint. */
export interface InitFromChoice {
  id: string;
  /** What the picker shows: name, design and best score. */
  label: string;
  /** Which of its checkpoints exist. */
  best: boolean;
  last: boolean;
}

/**
 * The runs a new run can start from: those with a saved checkpoint (a best one once an epoch scored,
 * a last one after every epoch), newest first as listed.
 */
export function initFromChoices(runs: readonly RunSummary[]): InitFromChoice[] {
  return runs
    .filter((r) => r.best !== null || r.lastCheckpoint !== null)
    .map((r) => ({
      id: r.id,
      label: `${r.name} · ${r.archName}${r.best && Number.isFinite(r.best.score) ? ` · best ${r.best.score.toFixed(3)} (epoch ${r.best.epoch + 1})` : ''}`,
      best: r.best !== null,
      last: r.lastCheckpoint !== null,
    }));
}

/** Fields of the form a message can be about. */
export type SetupField = keyof SetupForm;

/** One run to queue: the request, and how it differs from the form (for the list shown before queueing). */
export interface PlannedRun {
  request: ChannelInput<'startRun'>;
  label: string;
}

/** The form's messages: one per wrong field, and one about the form as a whole (see FORM_MESSAGE). */
export type SetupErrors = Partial<Record<SetupField | FormMessageKey, string>>;

/** A checked form. */
export type SetupCheck = { ok: true; config: RunConfig; runs: PlannedRun[] } | { ok: false; errors: SetupErrors };

/** Most runs one submission may queue: a sweep is an experiment, not a grid search. */
export const MAX_PLANNED_RUNS = 64;

/**
 * The design a fresh form starts with: DEFAULT_PRESET, what `strata train` uses without `--arch`
 * (one set of defaults), when the lab lists it; else the first preset listed.
 */
export function defaultDesignChoice(presets: readonly { name: string }[]): DesignChoice {
  return { kind: 'preset', name: presets.some((p) => p.name === DEFAULT_PRESET) ? DEFAULT_PRESET : (presets[0]?.name ?? DEFAULT_PRESET) };
}

/** A fresh form: the lab's defaults (the schema's and DEFAULT_PRESET, as `strata train` has them) on a small demo set (see FORM_DEMO_COUNT). */
export function emptySetupForm(design: DesignChoice = { kind: 'preset', name: DEFAULT_PRESET }): SetupForm {
  const d = defaultRunConfig();
  const sgd = defaultOptimizer('sgd');
  const adam = defaultOptimizer('adam');
  const step = defaultSchedule('step', d.epochs);
  const cosine = defaultSchedule('cosine', d.epochs);
  const plateau = defaultSchedule('plateau', d.epochs);
  return {
    design,
    datasetId: DEMO_DATASET_ID,
    demoCount: String(FORM_DEMO_COUNT),
    name: '',
    loss: d.loss.name,
    eps: String(PER_IMAGE_IOU_EPS),
    lovaszWeight: String(d.loss.lovaszWeight),
    saltHeadWeight: '',
    optimizer: d.optimizer.name,
    lr: '',
    momentum: String(sgd.momentum),
    nesterov: false,
    beta1: String(adam.beta1),
    beta2: String(adam.beta2),
    schedule: d.schedule.kind,
    stepEvery: '',
    stepFactor: String(step.factor),
    minLr: String(cosine.minLr),
    warmupEpochs: String(cosine.warmupEpochs),
    patience: String(plateau.patience),
    plateauFactor: String(plateau.factor),
    minDelta: String(plateau.minDelta),
    init: d.init,
    bnPlacement: d.bnPlacement,
    batch: String(d.batch),
    epochs: String(d.epochs),
    maxMinutes: '',
    seed: String(d.seed),
    valFraction: String(d.valFraction),
    valIds: '',
    testFraction: String(d.testFraction),
    testIds: '',
    initFromRun: '',
    initFromCheckpoint: 'best',
    hflip: d.augment.hflip,
    vflip: d.augment.vflip,
    shift: String(d.augment.shift),
    scale: String(d.augment.scale),
    brightness: String(d.augment.brightness),
    contrast: String(d.augment.contrast),
    tta: d.inference.tta,
    snapshots: String(d.inference.snapshots),
    threshold: '',
    minArea: '',
    backend: d.backend,
    repeats: '1',
    sweepField: null,
    sweepValues: '',
  };
}

/** The learning rate an optimizer takes when the field is left empty (SGD 0.01, Adam 0.001). */
export function defaultLr(optimizer: OptimizerSettings['name']): number {
  return defaultOptimizer(optimizer).lr;
}

/** The step schedule's period when the field is left empty: a third of the run (as typed in `epochs`). */
export function defaultStepEveryText(f: SetupForm): string {
  const typed = f.epochs.trim();
  const epochs = typed === '' && f.maxMinutes.trim() === '' ? DEFAULT_EPOCHS : Number(typed);
  return typed !== '' || f.maxMinutes.trim() === '' ? (Number.isInteger(epochs) && epochs >= 1 ? String(defaultSchedule('step', epochs).every) : 'a third of the run') : 'needs epochs';
}

/** What an empty epochs field means: DEFAULT_EPOCHS, or with a time budget the whole budget. */
export function defaultEpochsText(f: SetupForm): string {
  return f.maxMinutes.trim() === '' ? String(DEFAULT_EPOCHS) : 'the whole budget';
}

/** A field that may be left empty for its default: absent when empty. */
function optionalNum<K extends string>(key: K, raw: string): Partial<Record<K, number>> {
  return raw.trim() === '' ? {} : ({ [key]: typedNumber(raw) } as Record<K, number>);
}

function lossOf(f: SetupForm): unknown {
  if (f.loss === 'per-image-iou') return { name: f.loss, eps: typedNumber(f.eps) };
  if (f.loss === 'bce-lovasz') return { name: f.loss, lovaszWeight: typedNumber(f.lovaszWeight) };
  return { name: f.loss };
}

function scheduleOf(f: SetupForm): unknown {
  switch (f.schedule) {
    case 'constant':
      return { kind: 'constant' };
    case 'step':
      return { kind: 'step', ...optionalNum('every', f.stepEvery), factor: typedNumber(f.stepFactor) };
    case 'cosine':
      return { kind: 'cosine', minLr: typedNumber(f.minLr), warmupEpochs: typedNumber(f.warmupEpochs) };
    case 'plateau':
      return { kind: 'plateau', patience: typedNumber(f.patience), factor: typedNumber(f.plateauFactor), minLr: typedNumber(f.minLr), minDelta: typedNumber(f.minDelta) };
  }
}

function augmentOf(f: SetupForm): unknown {
  return { hflip: f.hflip, vflip: f.vflip, shift: typedNumber(f.shift), scale: typedNumber(f.scale), brightness: typedNumber(f.brightness), contrast: typedNumber(f.contrast) };
}

function inferenceOf(f: SetupForm): unknown {
  return { tta: f.tta, snapshots: typedNumber(f.snapshots), ...optionalNum('threshold', f.threshold), ...optionalNum('minArea', f.minArea) };
}

/**
 * One line each for the form's collapsible sections, as the run details word them
 * (workflows/runSettings.ts), or null while a value of the section is not valid.
 */
export function sectionSummaries(f: SetupForm): { augment: string | null; inference: string | null } {
  const a = RUN_CONFIG_OBJECT.shape.augment.safeParse(augmentOf(f));
  const i = RUN_CONFIG_OBJECT.shape.inference.safeParse(inferenceOf(f));
  return { augment: a.success ? augmentText(a.data) : null, inference: i.success ? inferenceText(i.data) : null };
}

/** The configuration the form describes, before validation: what the schema parses. */
export function configOf(f: SetupForm): unknown {
  return {
    ...optionalNum('epochs', f.epochs),
    ...optionalNum('maxMinutes', f.maxMinutes),
    batch: typedNumber(f.batch),
    optimizer:
      f.optimizer === 'sgd'
        ? { name: 'sgd', ...optionalNum('lr', f.lr), momentum: typedNumber(f.momentum), ...(f.nesterov ? { nesterov: true } : {}) }
        : { name: 'adam', ...optionalNum('lr', f.lr), beta1: typedNumber(f.beta1), beta2: typedNumber(f.beta2) },
    schedule: scheduleOf(f),
    loss: lossOf(f),
    ...optionalNum('saltHeadWeight', f.saltHeadWeight),
    init: f.init,
    bnPlacement: f.bnPlacement,
    seed: typedNumber(f.seed),
    valFraction: typedNumber(f.valFraction),
    testFraction: typedNumber(f.testFraction),
    augment: augmentOf(f),
    ...(f.initFromRun === '' ? {} : { initFrom: { runId: f.initFromRun, checkpoint: f.initFromCheckpoint } }),
    inference: inferenceOf(f),
    backend: f.backend,
  };
}

/** The request the form describes for one run (the name as given), before validation. */
function requestOf(f: SetupForm, name: string): unknown {
  const valIds = parseIdList(f.valIds);
  const testIds = parseIdList(f.testIds);
  return {
    design: f.design,
    datasetId: f.datasetId,
    ...(f.datasetId === DEMO_DATASET_ID ? { demoCount: typedNumber(f.demoCount) } : {}),
    ...(name === '' ? {} : { name }),
    ...(valIds.length ? { valIds } : {}),
    ...(testIds.length ? { testIds } : {}),
    config: configOf(f),
  };
}

/** Form fields by the path of the request field they set (`config.optimizer.lr` -> `lr`). */
const FIELD_OF_PATH: Readonly<Record<string, SetupField>> = {
  design: 'design',
  datasetId: 'datasetId',
  demoCount: 'demoCount',
  name: 'name',
  valIds: 'valIds',
  testIds: 'testIds',
  'config.epochs': 'epochs',
  'config.maxMinutes': 'maxMinutes',
  'config.batch': 'batch',
  'config.optimizer.lr': 'lr',
  'config.optimizer.momentum': 'momentum',
  'config.optimizer.beta1': 'beta1',
  'config.optimizer.beta2': 'beta2',
  // The cross-field check of a step schedule over a time budget.
  'config.schedule': 'schedule',
  'config.schedule.every': 'stepEvery',
  'config.schedule.minLr': 'minLr',
  'config.schedule.warmupEpochs': 'warmupEpochs',
  'config.schedule.patience': 'patience',
  'config.schedule.minDelta': 'minDelta',
  'config.loss.eps': 'eps',
  'config.loss.lovaszWeight': 'lovaszWeight',
  'config.saltHeadWeight': 'saltHeadWeight',
  'config.seed': 'seed',
  'config.valFraction': 'valFraction',
  'config.testFraction': 'testFraction',
  'config.initFrom.runId': 'initFromRun',
  'config.initFrom.checkpoint': 'initFromCheckpoint',
  'config.inference.tta': 'tta',
  'config.inference.snapshots': 'snapshots',
  'config.inference.threshold': 'threshold',
  'config.inference.minArea': 'minArea',
  'config.augment.shift': 'shift',
  'config.augment.scale': 'scale',
  'config.augment.brightness': 'brightness',
  'config.augment.contrast': 'contrast',
};

/** The form field an issue of the request is about, from its path; list entries count as their list. */
export function fieldOfIssuePath(f: SetupForm, path: readonly PropertyKey[]): SetupField | undefined {
  const key = path.filter((p) => typeof p === 'string').join('.');
  if (key === 'config.schedule.factor') return f.schedule === 'plateau' ? 'plateauFactor' : 'stepFactor';
  if (key.startsWith('design')) return 'design';
  return FIELD_OF_PATH[key];
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
      return [...OPTIMIZER_NAMES];
    default:
      return [];
  }
}

/** The form with the swept field set to `value` (as typed). */
function withSweep(f: SetupForm, field: SweepField, value: string): SetupForm | string {
  switch (field) {
    case 'init':
      if (f.initFromRun !== '') return 'A run that starts from another run\'s weights uses no initializer: start fresh to sweep it';
      return (INITIALIZERS as readonly string[]).includes(value) ? { ...f, init: value as Initializer } : `unknown initializer "${value}"`;
    case 'bnPlacement':
      return (BN_PLACEMENTS as readonly string[]).includes(value) ? { ...f, bnPlacement: value as BnPlacement } : `unknown BN placement "${value}"`;
    case 'loss':
      return (LOSS_NAMES as readonly string[]).includes(value) ? { ...f, loss: value as LossName } : `unknown loss "${value}"`;
    case 'optimizer':
      return (OPTIMIZER_NAMES as readonly string[]).includes(value) ? { ...f, optimizer: value as OptimizerSettings['name'] } : `unknown optimizer "${value}"`;
    case 'lovaszWeight':
      // Only bce-lovasz sends the weight: swept under another loss, every run would be the same.
      return f.loss === 'bce-lovasz' ? { ...f, lovaszWeight: value } : 'The Lovász weight is a setting of the bce-lovasz loss: pick that loss to sweep it';
    case 'lr':
    case 'batch':
    case 'momentum':
    case 'shift':
    case 'scale':
    case 'brightness':
    case 'contrast':
      return { ...f, [field]: value };
  }
}

type RequestCheck = { ok: true; request: ChannelInput<'startRun'>; config: RunConfig } | { ok: false; errors: SetupErrors };

/**
 * Parses the request of one run of the form with the `startRun` channel's schema; its messages as the
 * schema words them, by field, those of an issue no field is about under FORM_MESSAGE.
 */
function checkRequest(f: SetupForm, name: string): RequestCheck {
  const r = startRunSchema.safeParse(requestOf(f, name));
  if (r.success) return { ok: true, request: r.data, config: r.data.config };
  return { ok: false, errors: issuesByField<SetupField | FormMessageKey>(r.error.issues, (path) => fieldOfIssuePath(f, path), FORM_MESSAGE) };
}

/**
 * Checks the form and lists the runs it queues: each sweep value (or just the form) times each
 * seed. Every run's configuration is validated, so a bad sweep value is refused by name. With
 * `initFrom` (the runs the form offers to start from, see {@link initFromChoices}), a warm start's run
 * and checkpoint are checked against them.
 */
export function checkSetupForm(f: SetupForm, initFrom?: readonly InitFromChoice[]): SetupCheck {
  const errors: SetupErrors = {};
  if (initFrom && f.initFromRun !== '') {
    const from = initFrom.find((c) => c.id === f.initFromRun);
    if (!from) errors.initFromRun = `Run ${f.initFromRun} is not listed with a checkpoint: pick another, or start fresh`;
    else if (!from[f.initFromCheckpoint]) errors.initFromCheckpoint = `That run has no ${f.initFromCheckpoint} checkpoint yet`;
  }
  if (f.design.kind === 'preset' ? f.design.name.trim() === '' : f.design.id.trim() === '') errors.design = 'Pick a design';
  if (f.datasetId.trim() === '') errors.datasetId = 'Pick a dataset';
  const repeats = wholeNumber(f.repeats, 'Repeats', 1, MAX_PLANNED_RUNS);
  if (typeof repeats === 'string') errors.repeats = repeats;
  const name = f.name.trim();
  const base = checkRequest(f, name);
  if (!base.ok) for (const [k, m] of Object.entries(base.errors) as [SetupField | FormMessageKey, string][]) errors[k] ??= formMessage(m);

  // Each configuration is parsed once; its runs differ only in seed and name.
  let variants: { check: RequestCheck; tag: string }[] = [{ check: base, tag: '' }];
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
      const c = checkRequest(next, name);
      if (!c.ok) errors.sweepValues ??= `${SWEEP_TITLES[field]} ${v}: ${Object.values(c.errors)[0] ?? 'invalid'}`;
      variants.push({ check: c, tag: `${SWEEP_TITLES[field]} ${v}` });
    }
  }
  if (typeof repeats === 'number' && variants.length * repeats > MAX_PLANNED_RUNS) {
    errors.repeats = `That is ${variants.length * repeats} runs; at most ${MAX_PLANNED_RUNS} at once`;
  }
  if (Object.keys(errors).length > 0 || !base.ok || typeof repeats !== 'number') return { ok: false, errors };

  const runs: PlannedRun[] = [];
  for (const v of variants) {
    if (!v.check.ok) continue;
    const { request, config } = v.check;
    for (let k = 0; k < repeats; k++) {
      const seed = config.seed + k;
      if (seed > MAX_SEED) return { ok: false, errors: { seed: `Seed + repeats must stay at most ${MAX_SEED}` } };
      const tags = [v.tag, repeats > 1 || f.sweepField !== null ? `seed ${seed}` : ''].filter(Boolean);
      const runName = name === '' ? '' : [name, ...tags].join(' · ');
      // A name grown past the limit by its tags is refused here, with the schema's message, not by the lab.
      const named = runName === '' ? null : runNameSchema.safeParse(runName);
      if (named && !named.success) return { ok: false, errors: { name: formMessage(named.error.issues[0]?.message ?? 'invalid name') } };
      const { name: _typed, ...rest } = request;
      runs.push({ request: { ...rest, ...(runName === '' ? {} : { name: runName }), config: { ...config, seed } }, label: tags.join(' · ') || 'one run' });
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
