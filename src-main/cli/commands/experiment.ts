import { EXPERIMENT_NAME_PATTERN, isOpenEnded } from '../../../shared/runs/request';
import { diverged } from '../../../shared/runs/divergence';
import type { RunSummary } from '../../../shared/runs/types';
import { MIN_SEEDS_FOR_VERDICT } from '../../../shared/experiments/schema';
import type { ExperimentPlan } from '../../../shared/experiments';
import { configDrift, driftMessage, type GroupDrift } from '../../../shared/experiments/drift';
import { readExperimentCopy } from '../../experiments/copy';
import { ExperimentFileError, isFileArg, loadExperiment, type LoadedExperiment } from '../../experiments/load';
import { ExperimentBusyError, ExperimentConflictError, runExperiment } from '../../experiments/runner';
import { conflictMessage, fingerprintConflicts, groupSummaries, runsOfVersion, storedVersions } from '../../experiments/runs';
import { RunClaimedError } from '../../runs/errors';
import { RunStore } from '../../runs/store';
import { CliError, parseCommandArgs, printJson } from '../args';
import { ProgressPrinter } from '../progress';
import { runsDirArg } from '../runsDir';
import { experimentSummaryCommand } from './experimentSummary';
import { experimentReportCommand } from './experimentReport';
import { loadDataset } from './train';

const OPTIONS = {
  'runs-dir': { type: 'string' },
  json: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
} as const;

/**
 * `experiment run FILE`, `experiment status FILE|NAME`, `experiment report NAME|FILE` and
 * `experiment summary DIR`. The
 * subcommand comes first and each parses its own options.
 */
export async function experimentCommand(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  switch (action) {
    case 'report':
      // `report` has options of its own (--out, --version): experimentReport.ts parses them.
      return experimentReportCommand(rest);
    case 'summary':
      return experimentSummaryCommand(rest);
    case 'run': {
      const { values: v, target } = parseTarget('experiment run', rest, 'an experiment file is required');
      return run(target, runsDirArg(v['runs-dir']), Boolean(v.json), Boolean(v['dry-run']));
    }
    case 'status': {
      const { values: v, target } = parseTarget('experiment status', rest, 'an experiment file or name is required');
      if (v['dry-run']) throw new CliError('experiment status: --dry-run applies to experiment run only');
      return status(target, runsDirArg(v['runs-dir']), Boolean(v.json));
    }
    default:
      throw new CliError(`experiment: expected run FILE, status FILE|NAME, report NAME|FILE or summary DIR${action ? `, not '${action}'` : ''}`);
  }
}

/** A subcommand's options and its one positional argument. */
function parseTarget(command: string, argv: string[], missing: string) {
  const { values, positionals } = parseCommandArgs(command, argv, OPTIONS);
  const [target, extra] = positionals;
  if (extra !== undefined) throw new CliError(`${command}: unexpected argument '${extra}'`);
  if (!target) throw new CliError(`${command}: ${missing}`);
  return { values, target };
}

async function load(file: string): Promise<LoadedExperiment> {
  try {
    return await loadExperiment(file);
  } catch (err) {
    if (err instanceof ExperimentFileError) throw new CliError(err.message);
    throw err;
  }
}

async function run(file: string, runsDir: string, json: boolean, dryRun: boolean): Promise<number> {
  const loaded = await load(file);
  const e = loaded.plan.experiment;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`experiment ${e.name} v${e.version}: ${loaded.plan.groups.length} group${loaded.plan.groups.length === 1 ? '' : 's'} x ${e.seeds.length} seed${e.seeds.length === 1 ? '' : 's'} = ${loaded.plan.runs.length} runs; ${scale(loaded)}`);
  if (e.seeds.length < MIN_SEEDS_FOR_VERDICT) log(`note: ${e.seeds.length} seed${e.seeds.length === 1 ? '' : 's'}: a comparison needs ${MIN_SEEDS_FOR_VERDICT} seeds per group for a verdict`);
  const printer = new ProgressPrinter();
  let result: Awaited<ReturnType<typeof runExperiment>>;
  try {
    result = await runExperiment(loaded, {
      runsDir,
      dryRun,
      // On a terminal the progress bar is redrawn in place: a line of the runner's clears it first.
      log: (line) => log(`${process.stderr.isTTY ? '\r\x1b[K' : ''}${line}`),
      onMessage: (m) => printer.handle(m),
      load: loadDataset,
      signals: ['SIGINT', 'SIGTERM'],
    });
  } catch (err) {
    if (err instanceof ExperimentFileError || err instanceof ExperimentConflictError || err instanceof ExperimentBusyError || err instanceof RunClaimedError) throw new CliError(err.message);
    throw err;
  }
  if (json) printJson(result);
  else if (dryRun) process.stdout.write(`dry run: ${result.runs.filter((r) => r.action === 'new').length} new, ${result.runs.filter((r) => r.action === 'resume' || r.action === 'restart').length} to continue, ${result.complete} complete, of ${result.total}; nothing was created or trained\n`);
  else process.stdout.write(`experiment ${e.name} v${e.version}: ${result.complete} of ${result.total} runs complete${result.stopped ? ' (stopped; run it again to resume)' : ''}\n`);
  if (dryRun) return 0;
  return result.complete === result.total ? 0 : 1;
}

/** The budget and data of an experiment, in one line. */
function scale(l: LoadedExperiment): string {
  const { budget, data } = l.plan.experiment;
  const b = [budget.epochs === undefined ? null : `${budget.epochs} epoch${budget.epochs === 1 ? '' : 's'}`, budget.maxMinutes === undefined ? null : `${budget.maxMinutes} min`].filter((x) => x !== null).join(' or ');
  const d = l.source.kind === 'demo' ? `the demo set (${l.source.count}, synthetic)` : `${l.source.path}${data.subset === undefined ? '' : ` (first ${data.subset})`}`;
  return `each run ${b} on ${d}`;
}

/** `done 0.7123 (10/10)`, `diverged 0.4100 (3/10)`, `queued`. */
function cell(r: RunSummary | null): string {
  if (!r) return '-';
  const epochs = isOpenEnded(r.config.epochs) ? `${r.epochsDone}` : `${r.epochsDone}/${r.config.epochs}`;
  if (r.status === 'queued') return 'queued';
  return `${diverged(r) ? 'diverged' : r.status} ${r.best ? r.best.score.toFixed(4) : '-'} (${epochs})`;
}

function runJson(r: RunSummary | null, complete: boolean) {
  return r
    ? { runId: r.id, status: r.status, reason: r.statusReason, epochsDone: r.epochsDone, epochs: r.config.epochs, best: r.best, postprocessedValScore: r.postprocess?.valScore ?? null, complete, diverged: diverged(r) }
    : { runId: null, status: null, complete: false, diverged: false };
}

/** `2 complete`, `3 complete (1 diverged)`, of the runs given. */
function completeText(runs: readonly { run: RunSummary | null; complete: boolean }[]): string {
  const d = runs.filter((r) => r.run !== null && diverged(r.run)).length;
  return `${runs.filter((r) => r.complete).length} complete${d ? ` (${d} diverged)` : ''}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

async function status(target: string, runsDir: string, json: boolean): Promise<number> {
  if (isFileArg(target)) return statusOfFile(await load(target), runsDir, json);
  if (!EXPERIMENT_NAME_PATTERN.test(target)) throw new CliError(`experiment status: '${target}' is neither an experiment file nor an experiment name`);
  const store = RunStore.open(runsDir);
  try {
    const versions = storedVersions(store, target);
    // Each version's settings against the plan of the file's copy kept with its runs, planned with today's defaults.
    const drifts = new Map(versions.map((v) => [v.version, versionDrift(store, target, v.version)]));
    if (json) {
      printJson({
        name: target,
        runsDir,
        versions: versions.map((v) => ({
          version: v.version,
          groups: v.groups.map((g) => ({ key: g.key, fingerprints: g.fingerprints, runs: g.runs.map((r) => ({ seed: r.seed, ...runJson(r.run, r.complete) })), others: g.others.map((r) => r.id) })),
          configDrift: drifts.get(v.version)?.drifts ?? [],
        })),
      });
      return 0;
    }
    if (versions.length === 0) {
      process.stdout.write(`no runs of experiment ${target} in ${runsDir}\n`);
      return 0;
    }
    for (const v of versions) {
      const seeds = [...new Set(v.groups.flatMap((g) => g.runs.map((r) => r.seed)))].sort((a, b) => a - b);
      // One run per group and seed, picked as the runner and the reports pick it (complete first).
      const runs = v.groups.flatMap((g) => g.runs);
      const others = v.groups.reduce((n, g) => n + g.others.length, 0);
      process.stdout.write(`experiment ${target} v${v.version}: ${runs.length} run${runs.length === 1 ? '' : 's'}, ${completeText(runs)}${others ? `; ${others} other run${others === 1 ? '' : 's'} of the same group and seed not counted` : ''}\n`);
      const rows = [['group', ...seeds.map((s) => `seed ${s}`)], ...v.groups.map((g) => [g.key, ...seeds.map((s) => cell(g.runs.find((r) => r.seed === s)?.run ?? null))])];
      process.stdout.write(`${table(rows)}\n`);
      const d = drifts.get(v.version);
      if (d && d.drifts.length > 0) process.stdout.write(`warning: ${driftMessage(d.plan, d.drifts)}\n`);
    }
    return 0;
  } finally {
    store.close();
  }
}

/** Version `version`'s settings drift against its stored copy's plan; null without a usable copy (nothing to compare with). */
function versionDrift(store: RunStore, name: string, version: number): { plan: ExperimentPlan; drifts: GroupDrift[] } | null {
  const copy = readExperimentCopy(store.root, name, version);
  if (copy.state !== 'ok') return null;
  return { plan: copy.copy.plan, drifts: configDrift(copy.copy.plan, runsOfVersion(store, name, version)) };
}

function statusOfFile(loaded: LoadedExperiment, runsDir: string, json: boolean): number {
  const { plan } = loaded;
  const e = plan.experiment;
  const store = RunStore.open(runsDir);
  try {
    const groups = groupSummaries(store, plan);
    const stored = runsOfVersion(store, e.name, e.version);
    const conflicts = fingerprintConflicts(plan, stored);
    // Settings the stored runs resolved otherwise than the file does now (a default changed): `run` refuses them.
    const drifts = configDrift(plan, stored);
    const cells = groups.flatMap((g) => g.runs);
    if (json) {
      printJson({
        experiment: { name: e.name, version: e.version, file: loaded.file },
        runsDir,
        total: cells.length,
        stored: cells.filter((c) => c.run !== null).length,
        complete: cells.filter((c) => c.complete).length,
        groups: groups.map((g) => ({ key: g.group.key, levels: g.group.levels, fingerprint: g.group.fingerprint, runs: g.runs.map((r) => ({ seed: r.seed, ...runJson(r.run, r.complete) })) })),
        conflicts,
        configDrift: drifts,
      });
      return 0;
    }
    const made = cells.filter((c) => c.run !== null).length;
    process.stdout.write(`experiment ${e.name} v${e.version} (${loaded.file}): ${cells.length} planned runs, ${made} made, ${completeText(cells)}; ${scale(loaded)}\n`);
    const rows = [['group', ...e.seeds.map((s) => `seed ${s}`)], ...groups.map((g) => [g.group.key, ...g.runs.map((r) => cell(r.run))])];
    process.stdout.write(`${table(rows)}\n`);
    if (conflicts.length > 0) process.stdout.write(`warning: ${conflictMessage(plan, conflicts)}\n`);
    if (drifts.length > 0) process.stdout.write(`warning: ${driftMessage(plan, drifts)}\n`);
    return 0;
  } finally {
    store.close();
  }
}
