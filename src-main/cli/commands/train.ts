import { readFile } from 'node:fs/promises';
import { DEFAULT_PRESET } from '../../../shared/arch/presets';
import { saltWeightProblem } from '../../../shared/arch/saltHead';
import type { RunRecord } from '../../../shared/runs/types';
import { defaultRunConfig, EPS_LOSSES, OPTIMIZER_NAMES, parseIdList, runRequestSchema, type RunRequest } from '../../../shared/runs/request';
import { LOSS_NAMES } from '../../../shared/runs/types';
import type { DataSource } from '../../../shared/training/protocol';
import type { Dataset } from '../../data/dataset';
import { loadDataSource } from '../../data/load';
import { dataSourceOf, DataOptionError } from '../../lab/datasets';
import { LabError } from '../../lab/errors';
import { planRun, type RunPlan } from '../../lab/plan';
import { runOnce } from '../../lab/runRunner';
import { RunClaimedError } from '../../runs/errors';
import { RunStore } from '../../runs/store';
import { CliError, parseCommandArgs, printJson, requiredArg } from '../args';
import { loadArch } from '../loadArch';
import { ProgressPrinter } from '../progress';
import { runsDirArg } from '../runsDir';

const OPTIONS = {
  arch: { type: 'string' },
  data: { type: 'string' },
  subset: { type: 'string' },
  'demo-count': { type: 'string' },
  name: { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  optimizer: { type: 'string' },
  lr: { type: 'string' },
  momentum: { type: 'string' },
  schedule: { type: 'string' },
  loss: { type: 'string' },
  eps: { type: 'string' },
  init: { type: 'string' },
  bn: { type: 'string' },
  seed: { type: 'string' },
  val: { type: 'string' },
  'val-ids': { type: 'string' },
  'no-hflip': { type: 'boolean' },
  vflip: { type: 'boolean' },
  shift: { type: 'string' },
  scale: { type: 'string' },
  brightness: { type: 'string' },
  contrast: { type: 'string' },
  'lovasz-weight': { type: 'string' },
  'salt-head-weight': { type: 'string' },
  'init-from': { type: 'string' },
  test: { type: 'string' },
  'test-ids': { type: 'string' },
  'no-tta': { type: 'boolean' },
  snapshots: { type: 'string' },
  threshold: { type: 'string' },
  'min-area': { type: 'string' },
  backend: { type: 'string' },
  'runs-dir': { type: 'string' },
  'max-minutes': { type: 'string' },
  'early-stop': { type: 'string' },
  json: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];

/** Which flag sets each field of the request, so a schema message names the flag the user typed. */
const FLAG_OF_PATH: Readonly<Record<string, string>> = {
  name: 'name',
  demoCount: 'demo-count',
  subset: 'subset',
  valIds: 'val-ids',
  testIds: 'test-ids',
  'config.epochs': 'epochs',
  'config.batch': 'batch',
  'config.optimizer': 'optimizer',
  'config.optimizer.name': 'optimizer',
  'config.optimizer.lr': 'lr',
  'config.optimizer.momentum': 'momentum',
  'config.schedule': 'schedule',
  'config.schedule.kind': 'schedule',
  'config.loss.name': 'loss',
  'config.loss.eps': 'eps',
  'config.loss.lovaszWeight': 'lovasz-weight',
  'config.saltHeadWeight': 'salt-head-weight',
  'config.augment.shift': 'shift',
  'config.augment.scale': 'scale',
  'config.augment.brightness': 'brightness',
  'config.augment.contrast': 'contrast',
  'config.initFrom': 'init-from',
  'config.initFrom.runId': 'init-from',
  'config.initFrom.checkpoint': 'init-from',
  'config.testFraction': 'test',
  'config.inference.snapshots': 'snapshots',
  'config.inference.threshold': 'threshold',
  'config.inference.minArea': 'min-area',
  'config.init': 'init',
  'config.bnPlacement': 'bn',
  'config.seed': 'seed',
  'config.valFraction': 'val',
  'config.backend': 'backend',
  'config.maxMinutes': 'max-minutes',
  'config.earlyStop.patience': 'early-stop',
};

/** `strata train`: creates a run, trains it in a trainer process, and reports how it ended. */
export async function trainCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('train', argv, OPTIONS);
  if (positionals.length) throw new CliError(`train: unexpected argument '${positionals[0]}'`);
  refuseIgnoredFlags(v);
  const arch = await loadArch(v.arch ?? DEFAULT_PRESET);
  const saltProblem = v['salt-head-weight'] === undefined ? null : saltWeightProblem(arch);
  if (saltProblem !== null) throw new CliError(`--salt-head-weight: ${saltProblem}`);
  const data = requiredArg('train', 'data', v.data);
  const request = parseRequest(await requestOf(v));
  const source = sourceOf(data, request);
  const runsDir = runsDirArg(v['runs-dir']);
  // Opened before planning: a warm start's source run is looked up in the store the new run goes into.
  const store = RunStore.open(runsDir);
  let plan: RunPlan;
  let run: RunRecord;
  try {
    plan = await planRun(request, { arch, source, load: loadDataset, runs: store });
    run = store.createRun(plan.init);
  } catch (err) {
    if (err instanceof LabError) throw new CliError(err.message);
    throw err;
  } finally {
    store.close();
  }
  const { split, dataset } = plan;
  for (const w of plan.warnings) process.stderr.write(`warning: ${w}\n`);
  const counts = `${split.train.length} training, ${split.val.length} validation and ${split.test.length} test images`;
  process.stderr.write(`run ${run.id}: ${counts}${dataset.info.synthetic ? ' (synthetic demo data)' : ''}\n`);
  const printer = new ProgressPrinter();
  let result: Awaited<ReturnType<typeof runOnce>>;
  try {
    result = await runOnce({ runsDir, runId: run.id }, (m) => printer.handle(m));
  } catch (err) {
    // Another live process claimed the new run before its trainer did: exit 2 naming it, as `runs resume` does.
    if (err instanceof RunClaimedError) throw new CliError(err.message);
    throw err;
  }
  if (v.json) printJson(result);
  else process.stdout.write(`${formatResult(result)}\n`);
  return result.status === 'done' || result.status === 'stopped' ? 0 : 1;
}

/**
 * The data source `--data` names with the request's data options, resolved as the lab resolves a
 * dataset (dataSourceOf): an option the data does not take is refused by its flag, never ignored.
 */
function sourceOf(data: string, request: RunRequest): DataSource {
  try {
    return dataSourceOf(data === 'demo' ? { kind: 'demo' } : { kind: 'folder', path: data }, request);
  } catch (err) {
    if (!(err instanceof DataOptionError)) throw err;
    throw new CliError(
      err.field === 'subset'
        ? '--subset: applies to a folder; use --demo-count for the demo set'
        : '--demo-count: applies to the demo set (--data demo) only; use --subset to train on part of a folder',
    );
  }
}

/** A number flag as typed; text that is no number becomes NaN, which the schema refuses with the field's message. */
function num(raw: string): number {
  return raw.trim() === '' ? Number.NaN : Number(raw);
}

/** The losses that read `--eps`, defined with the run request (shared/runs/request.ts). */
export { EPS_LOSSES };

/**
 * Refuses flags that would do nothing with the others given, naming the flag: a momentum without SGD,
 * an eps for a loss without one, a test or validation fraction beside a fixed id list of that side.
 */
function refuseIgnoredFlags(v: Values): void {
  const defaults = defaultRunConfig();
  const optimizer = v.optimizer ?? defaults.optimizer.name;
  // An unknown optimizer or loss is left to the schema, which names the ones there are.
  if (v.momentum !== undefined && optimizer !== 'sgd' && (OPTIMIZER_NAMES as readonly string[]).includes(optimizer)) {
    throw new CliError(`--momentum: applies to --optimizer sgd only (the optimizer is ${optimizer}${v.optimizer === undefined ? ', the default' : ''})`);
  }
  const loss = v.loss ?? defaults.loss.name;
  if (v.eps !== undefined && !EPS_LOSSES.includes(loss) && (LOSS_NAMES as readonly string[]).includes(loss)) {
    throw new CliError(`--eps: applies to --loss ${EPS_LOSSES.join(' or ')} only (the IoU smoothing); the ${loss} loss${v.loss === undefined ? ' (the default)' : ''} has no eps`);
  }
  if (v.test !== undefined && v['test-ids'] !== undefined) {
    throw new CliError('--test: a test fraction does not apply with --test-ids, whose ids are the whole test set; give one of the two');
  }
  if (v.val !== undefined && v['val-ids'] !== undefined) {
    throw new CliError('--val: a validation fraction does not apply with --val-ids, whose ids are the whole validation set; give one of the two');
  }
}

/**
 * The run request the flags describe, before it is checked: only what was given; everything left
 * out takes the schema's default (shared/runs/request.ts), the same default the lab uses. `--lr` alone
 * sets the default optimizer's rate; flags that would be ignored were refused (refuseIgnoredFlags).
 */
async function requestOf(v: Values): Promise<Record<string, unknown>> {
  const optimizer = v.optimizer ?? (v.lr !== undefined || v.momentum !== undefined ? defaultRunConfig().optimizer.name : undefined);
  const loss = v.loss ?? (v.eps !== undefined ? defaultRunConfig().loss.name : undefined);
  const augment: Record<string, unknown> = {
    ...(v['no-hflip'] ? { hflip: false } : {}),
    ...(v.vflip ? { vflip: true } : {}),
    ...(v.shift === undefined ? {} : { shift: num(v.shift) }),
    ...(v.scale === undefined ? {} : { scale: num(v.scale) }),
    ...(v.brightness === undefined ? {} : { brightness: num(v.brightness) }),
    ...(v.contrast === undefined ? {} : { contrast: num(v.contrast) }),
  };
  const inference: Record<string, unknown> = {
    ...(v['no-tta'] ? { tta: false } : {}),
    ...(v.snapshots === undefined ? {} : { snapshots: num(v.snapshots) }),
    ...(v.threshold === undefined ? {} : { threshold: num(v.threshold) }),
    ...(v['min-area'] === undefined ? {} : { minArea: num(v['min-area']) }),
  };
  // Untyped on purpose: flag values are text until the schema has checked them.
  const config: Record<string, unknown> = {
    ...(v.epochs === undefined ? {} : { epochs: num(v.epochs) }),
    ...(v.batch === undefined ? {} : { batch: num(v.batch) }),
    ...(optimizer === undefined
      ? {}
      : {
          // Momentum is SGD's: with another optimizer the flag was refused.
          optimizer: {
            name: optimizer,
            ...(v.lr === undefined ? {} : { lr: num(v.lr) }),
            ...(v.momentum === undefined ? {} : { momentum: num(v.momentum) }),
          },
        }),
    ...(v.schedule === undefined ? {} : { schedule: { kind: v.schedule } }),
    ...(loss === undefined && v['lovasz-weight'] === undefined
      ? {}
      : { loss: { name: loss ?? defaultRunConfig().loss.name, ...(v.eps === undefined ? {} : { eps: num(v.eps) }), ...(v['lovasz-weight'] === undefined ? {} : { lovaszWeight: num(v['lovasz-weight']) }) } }),
    ...(v['salt-head-weight'] === undefined ? {} : { saltHeadWeight: num(v['salt-head-weight']) }),
    ...(v.init === undefined ? {} : { init: v.init }),
    ...(v.bn === undefined ? {} : { bnPlacement: v.bn }),
    ...(v.seed === undefined ? {} : { seed: num(v.seed) }),
    ...(v.val === undefined ? {} : { valFraction: num(v.val) }),
    ...(Object.keys(augment).length ? { augment } : {}),
    ...(Object.keys(inference).length ? { inference } : {}),
    ...(v['init-from'] === undefined ? {} : { initFrom: initFromArg(v['init-from']) }),
    ...(v.test === undefined ? {} : { testFraction: num(v.test) }),
    ...(v.backend === undefined ? {} : { backend: v.backend }),
    ...(v['max-minutes'] === undefined ? {} : { maxMinutes: num(v['max-minutes']) }),
    ...(v['early-stop'] === undefined ? {} : { earlyStop: { patience: num(v['early-stop']) } }),
  };
  return {
    ...(v.name === undefined ? {} : { name: v.name }),
    ...(v['demo-count'] === undefined ? {} : { demoCount: num(v['demo-count']) }),
    ...(v.subset === undefined ? {} : { subset: num(v.subset) }),
    ...(v['val-ids'] === undefined ? {} : { valIds: await readIdList('val-ids', v['val-ids']) }),
    ...(v['test-ids'] === undefined ? {} : { testIds: await readIdList('test-ids', v['test-ids']) }),
    config,
  };
}

/** Checks the request with the one run request schema; each problem is named by its flag. */
function parseRequest(input: unknown): RunRequest {
  const r = runRequestSchema.safeParse(input);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    const path = i.path.map(String);
    // A list entry (a validation id) is reported on the list's flag.
    const flag = FLAG_OF_PATH[path.join('.')] ?? FLAG_OF_PATH[path.filter((p) => !/^\d+$/.test(p)).join('.')];
    return flag ? `--${flag}: ${i.message}` : `${path.join('.') || '(request)'}: ${i.message}`;
  });
  throw new CliError(`train: invalid settings:\n  ${lines.join('\n  ')}`);
}

/** Loads the data, reporting its problems on stderr; a folder with nothing usable is a CliError. */
export async function loadDataset(source: DataSource): Promise<Dataset> {
  let ds: Dataset;
  try {
    ds = await loadDataSource(source);
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
  const problems = ds.info.problems;
  if (problems.length) {
    process.stderr.write(`${ds.info.name}: ${problems.length} problem(s); the other ${ds.info.count} samples imported:\n`);
    for (const p of problems.slice(0, 20)) process.stderr.write(`  ${p.message}\n`);
    if (problems.length > 20) process.stderr.write(`  ... and ${problems.length - 20} more\n`);
  }
  return ds;
}

/** A named validation or test set: one id per line (blank lines and `#` comments ignored). */
async function readIdList(flag: 'val-ids' | 'test-ids', file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`--${flag}: cannot read '${file}' (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const ids = parseIdList(text);
  if (ids.length === 0) throw new CliError(`--${flag}: '${file}' names no ids`);
  return ids;
}

/** `--init-from RUN[:best|last]`: the run and which of its checkpoints; the schema checks both parts. */
function initFromArg(raw: string): { runId: string; checkpoint?: string } {
  const at = raw.lastIndexOf(':');
  return at < 0 ? { runId: raw } : { runId: raw.slice(0, at), checkpoint: raw.slice(at + 1) };
}

function formatResult(r: Awaited<ReturnType<typeof runOnce>>): string {
  const best = r.best ? `best validation score ${r.best.score.toFixed(4)} at epoch ${r.best.epoch + 1}` : 'no completed epoch';
  return `run ${r.runId}: ${r.status}${r.reason ? ` (${r.reason})` : ''}; ${r.epochsDone} epoch(s), ${best}, ${(r.durationMs / 1000).toFixed(1)} s of training`;
}
