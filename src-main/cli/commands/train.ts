import { readFile } from 'node:fs/promises';
import { INITIALIZERS, BN_PLACEMENTS, type Architecture } from '../../../shared/arch/types';
import { BACKEND_REQUESTS, LOSS_NAMES, type RunConfig, type RunRecord } from '../../../shared/runs/types';
import { defaultRunConfig, parseRunConfig } from '../../../shared/training/config';
import type { DataSource } from '../../../shared/training/protocol';
import { SCHEDULE_KINDS, type ScheduleConfig } from '../../../shared/training/schedule';
import type { Dataset } from '../../data/dataset';
import { loadDataSource } from '../../data/load';
import { splitDataset } from '../../data/split';
import { checkDesignFits, runDatasetOf } from '../../lab/runData';
import { runOnce } from '../../lab/runRunner';
import { RunStore } from '../../runs/store';
import { runVersions } from '../../lab/versions';
import { CliError, choiceArg, numberArg, parseCommandArgs, printJson, requiredArg } from '../args';
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
  backend: { type: 'string' },
  'runs-dir': { type: 'string' },
  'max-minutes': { type: 'string' },
  'early-stop': { type: 'string' },
  json: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];

/** `strata train`: creates a run, trains it in a trainer process, and reports how it ended. */
export async function trainCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('train', argv, OPTIONS);
  if (positionals.length) throw new CliError(`train: unexpected argument '${positionals[0]}'`);
  const arch = await loadArch(requiredArg('train', 'arch', v.arch));
  const config = buildConfig(v);
  const source = dataSource(v);
  const dataset = await loadDataset(source);
  checkFit(arch, dataset);
  const fixedValIds = v['val-ids'] === undefined ? undefined : await readIdList(v['val-ids']);
  let split: ReturnType<typeof splitDataset>;
  try {
    split = splitDataset(dataset, { valFraction: config.valFraction, seed: config.seed, ...(fixedValIds ? { fixedValIds } : {}) });
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
  const runsDir = runsDirArg(v['runs-dir']);
  const store = RunStore.open(runsDir);
  let run: RunRecord;
  try {
    run = store.createRun({
      name: v.name ?? `${arch.name} · ${dataset.info.name}`,
      arch,
      config,
      dataset: runDatasetOf(dataset),
      split: { train: split.train.map((i) => dataset.ids[i] as string), val: split.val.map((i) => dataset.ids[i] as string) },
      versions: runVersions(),
    });
  } finally {
    store.close();
  }
  process.stderr.write(`run ${run.id}: ${split.train.length} training and ${split.val.length} validation images${dataset.info.synthetic ? ' (synthetic demo data)' : ''}\n`);
  const printer = new ProgressPrinter();
  const result = await runOnce({ runsDir, runId: run.id, data: source, resume: false }, (m) => printer.handle(m));
  if (v.json) printJson(result);
  else process.stdout.write(`${formatResult(result)}\n`);
  return result.status === 'done' || result.status === 'stopped' ? 0 : 1;
}

function buildConfig(v: Values): RunConfig {
  const d = defaultRunConfig();
  const optimizerName = choiceArg('optimizer', v.optimizer, 'sgd', ['sgd', 'adam'] as const);
  const lr = numberArg('lr', v.lr, optimizerName === 'adam' ? 0.001 : d.optimizer.lr);
  const scheduleKind = choiceArg('schedule', v.schedule, 'constant', SCHEDULE_KINDS);
  const epochs = numberArg('epochs', v.epochs, d.epochs, { integer: true });
  const earlyPatience = v['early-stop'] === undefined ? undefined : numberArg('early-stop', v['early-stop'], 0, { integer: true, min: 1 });
  const candidate = {
    ...d,
    epochs,
    batch: numberArg('batch', v.batch, d.batch, { integer: true }),
    optimizer:
      optimizerName === 'adam'
        ? { name: 'adam', lr, beta1: 0.9, beta2: 0.999 }
        : { name: 'sgd', lr, momentum: numberArg('momentum', v.momentum, 0.9) },
    schedule: schedule(scheduleKind, lr, epochs),
    loss: { name: choiceArg('loss', v.loss, d.loss.name, LOSS_NAMES), ...(v.eps === undefined ? {} : { eps: numberArg('eps', v.eps, 0.62) }) },
    init: choiceArg('init', v.init, d.init, INITIALIZERS),
    bnPlacement: choiceArg('bn', v.bn, d.bnPlacement, BN_PLACEMENTS),
    seed: numberArg('seed', v.seed, d.seed, { integer: true }),
    valFraction: numberArg('val', v.val, d.valFraction),
    augment: { hflip: !v['no-hflip'], vflip: Boolean(v.vflip), jitter: 0 },
    backend: choiceArg('backend', v.backend, d.backend, BACKEND_REQUESTS),
    ...(v['max-minutes'] === undefined ? {} : { maxMinutes: numberArg('max-minutes', v['max-minutes'], 0) }),
    ...(earlyPatience === undefined ? {} : { earlyStop: { patience: earlyPatience, minDelta: 0.001 } }),
  };
  const checked = parseRunConfig(candidate);
  if (!checked.ok) throw new CliError(`train: invalid settings:\n  ${checked.errors.join('\n  ')}`);
  return checked.config;
}

function schedule(kind: ScheduleConfig['kind'], lr: number, epochs: number): ScheduleConfig {
  switch (kind) {
    case 'constant':
      return { kind };
    case 'step':
      return { kind, every: Math.max(1, Math.floor(epochs / 3)), factor: 0.1 };
    case 'cosine':
      return { kind, minLr: lr / 100, warmupEpochs: 0 };
    case 'plateau':
      return { kind, patience: 3, factor: 0.5, minLr: lr / 1000, minDelta: 0.001 };
  }
}

function dataSource(v: Values): DataSource {
  const data = requiredArg('train', 'data', v.data);
  if (data === 'demo') {
    return { kind: 'demo', count: numberArg('demo-count', v['demo-count'], 400, { integer: true, min: 8, max: 20000 }), seed: 1 };
  }
  return { kind: 'folder', path: data, ...(v.subset === undefined ? {} : { subset: numberArg('subset', v.subset, 0, { integer: true, min: 2 }) }) };
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

/** A named validation set: one id per line (blank lines and `#` comments ignored). */
async function readIdList(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`--val-ids: cannot read '${file}' (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const ids = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (ids.length === 0) throw new CliError(`--val-ids: '${file}' names no ids`);
  return ids;
}

/** The design's input must take the data's images (the same check as the lab's). */
function checkFit(arch: Architecture, ds: Dataset): void {
  try {
    checkDesignFits(arch, ds);
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
}

function formatResult(r: Awaited<ReturnType<typeof runOnce>>): string {
  const best = r.best ? `best validation score ${r.best.score.toFixed(4)} at epoch ${r.best.epoch + 1}` : 'no completed epoch';
  return `run ${r.runId}: ${r.status}${r.reason ? ` (${r.reason})` : ''}; ${r.epochsDone} epoch(s), ${best}, ${(r.durationMs / 1000).toFixed(1)} s of training`;
}
