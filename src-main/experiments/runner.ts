/**
 * Runs an experiment's planned runs one after another in this process, each in its own trainer
 * (lab/runRunner.ts runOnce, as `strata train` does). Every run is planned and queued in the store
 * before the first trains, so a bad plan queues nothing and an experiment stopped halfway shows its
 * runs still to come. Running again skips what is complete, resumes a stopped, interrupted or failed
 * run from its last checkpoint (a run without one starts over), and trains what is still queued.
 * The file itself is kept with the runs (copy.ts) when they are queued, for reports and the lab.
 */
import type { ExperimentPlan, ExperimentProblem, PlannedRun } from '../../shared/experiments';
import { configDrift, driftMessage } from '../../shared/experiments/drift';
import { diverged } from '../../shared/runs/divergence';
import type { RunBest, RunStatus, RunSummary } from '../../shared/runs/types';
import type { DataSource, TrainerMessage } from '../../shared/training/protocol';
import type { Dataset } from '../data/dataset';
import { loadDataSource } from '../data/load';
import { LabError } from '../lab/errors';
import { planRun, type RunPlan } from '../lab/plan';
import { runOnce } from '../lab/runRunner';
import { RunClaimedError } from '../runs/errors';
import { thisProcessOwner } from '../runs/liveness';
import { RunStore } from '../runs/store';
import { ExperimentCopyConflict, keepExperimentCopy, type CopyWrite } from './copy';
import { ExperimentFileError, type LoadedExperiment } from './load';
import { conflictMessage, fingerprintConflicts, groupSummaries, isComplete, runsOfVersion, type GroupConflict } from './runs';

/** Runs of this experiment version were planned from another file: nothing is run. */
export class ExperimentConflictError extends Error {
  override readonly name = 'ExperimentConflictError';
  constructor(
    message: string,
    readonly conflicts: readonly GroupConflict[],
  ) {
    super(message);
  }
}

/** A run of the experiment is being trained by another live process, or another runner runs the version: nothing is run. */
export class ExperimentBusyError extends Error {
  override readonly name = 'ExperimentBusyError';
}

/** What the runner does with a planned run: create and train it, continue it, train it again from the start, or skip it. */
export type RunAction = 'new' | 'resume' | 'restart' | 'skip';

/** One planned run, as the runner found and left it. */
export interface RunStep {
  /** 1-based position in the plan. */
  n: number;
  group: string;
  seed: number;
  /** The run; null for a new run of a dry run. */
  runId: string | null;
  action: RunAction;
  /** Its status afterwards (before, for a dry run); null for a new run of a dry run. */
  status: RunStatus | null;
  reason: string | null;
  epochsDone: number;
  best: RunBest | null;
  /** Whether it has nothing left to train afterwards. */
  complete: boolean;
  /** Whether it diverged (failed with a non-finite loss): complete, counted as that outcome, never trained again. */
  diverged: boolean;
}

/** How a session of the runner went. */
export interface ExperimentRunResult {
  experiment: { name: string; version: number; file: string };
  runsDir: string;
  dryRun: boolean;
  /** Every planned run, in plan order; those after a stop keep the state they had. */
  runs: RunStep[];
  /** Planned runs with nothing left to train. */
  complete: number;
  total: number;
  /** Whether a stop (a signal, `stop`) ended the session before the plan's end. */
  stopped: boolean;
  /** The copy of the file kept with the runs (copy.ts), and what was done to it (a dry run: what would be). */
  copy: CopyWrite;
}

/** How the runner reports and is stopped. */
export interface ExperimentRunOptions {
  runsDir: string;
  /** Check and print the plan, with what would be done to each run; create and train nothing. */
  dryRun?: boolean;
  /** Progress lines (`run 3/12 group he_normal seed 2: ...`). */
  log?: (line: string) => void;
  /** Each trainer message of the run being trained. */
  onMessage?: (m: TrainerMessage) => void;
  /** Loads a data source (default: loadDataSource); called once per source. */
  load?: (source: DataSource) => Promise<Dataset>;
  /** Aborting it stops the run in training after its current batch (checkpoints kept) and starts no other. */
  stop?: AbortSignal;
  /**
   * Signals of this process that do the same (the CLI: SIGINT and SIGTERM); the same signal during a
   * run's training a second time kills its trainer (the run is then interrupted, and resumes next time).
   */
  signals?: readonly NodeJS.Signals[];
}

/** `run 3/12 group he_normal seed 2`. */
export function runLabel(n: number, total: number, group: string, seed: number): string {
  return `run ${n}/${total} group ${group} seed ${seed}`;
}

function stepOf(n: number, p: PlannedRun, action: RunAction, run: RunSummary | null, complete: boolean): RunStep {
  return {
    n,
    group: p.group,
    seed: p.seed,
    runId: run?.id ?? null,
    action,
    status: run?.status ?? null,
    reason: run?.statusReason ?? null,
    epochsDone: run?.epochsDone ?? 0,
    best: run?.best ?? null,
    complete,
    diverged: run !== null && diverged(run),
  };
}

/** What to do with an existing run that is not complete. */
function actionFor(run: RunSummary): RunAction {
  if (run.lastCheckpoint) return 'resume';
  return run.status === 'queued' ? 'new' : 'restart';
}

function describe(action: RunAction, run: RunSummary): string {
  switch (action) {
    case 'skip':
      if (diverged(run)) return `run ${run.id} diverged (${run.statusReason ?? 'a non-finite loss'}); that is its outcome, counted as such and not trained again; skipped`;
      return `run ${run.id} is ${run.status}${run.best ? ` (best validation score ${run.best.score.toFixed(4)} at epoch ${run.best.epoch + 1})` : ''}; skipped`;
    case 'resume':
      return `resuming run ${run.id} from its checkpoint of epoch ${(run.lastCheckpoint?.epoch ?? 0) + 1} (it was ${run.status}${run.statusReason ? `: ${run.statusReason}` : ''})`;
    case 'restart':
      return `training run ${run.id} from the start (it was ${run.status} before its first checkpoint${run.statusReason ? `: ${run.statusReason}` : ''})`;
    case 'new':
      return `training run ${run.id}`;
  }
}

/** Plans the runs the store does not have yet (no run is created here). Refusals are collected, one per run. */
async function planMissing(loaded: LoadedExperiment, missing: readonly PlannedRun[], store: RunStore, load: (s: DataSource) => Promise<Dataset>, log: (line: string) => void): Promise<Map<number, RunPlan>> {
  const cache = new Map<string, Promise<Dataset>>();
  const cachedLoad = (s: DataSource) => {
    const key = JSON.stringify(s);
    let p = cache.get(key);
    if (!p) cache.set(key, (p = load(s)));
    return p;
  };
  const plans = new Map<number, RunPlan>();
  const problems: ExperimentProblem[] = [];
  const warned = new Set<string>();
  // The file's test ids that are in the data: a folder's test id list serves every subset of the folder.
  let testIds: string[] | undefined;
  const listed = missing[0]?.request.testIds;
  if (listed) {
    const ds = await cachedLoad(loaded.source);
    const have = new Set(ds.ids);
    testIds = listed.filter((id) => have.has(id));
    if (testIds.length === 0) {
      throw new ExperimentFileError(loaded.file, [{ path: 'data.testIds', message: `none of its ${listed.length} test ids is in ${ds.info.name}; the runs would have no test images` }]);
    }
    log(`test set: ${testIds.length} of the ${listed.length} ids of data.testIds are in ${ds.info.name}; each run holds them out and scores them once, at its end`);
  }
  for (const p of missing) {
    try {
      const request = testIds === undefined ? p.request : { ...p.request, testIds };
      const rp = await planRun(request, { arch: p.arch, source: loaded.source, load: cachedLoad, runs: store });
      plans.set(p.index, rp);
      // The planner's warnings (a warm start whose weights saw this run's validation images...), each once per group.
      for (const w of rp.warnings) {
        if (warned.has(`${p.group}\u0000${w}`)) continue;
        warned.add(`${p.group}\u0000${w}`);
        log(`warning: group ${p.group} (seed ${p.seed} and any later seeds): ${w}`);
      }
    } catch (err) {
      if (!(err instanceof LabError)) throw err;
      const where = `groups.${p.group} seed ${p.seed}`;
      // The same refusal for every seed of a group (a design that does not fit the data) is listed once.
      if (!problems.some((x) => x.path.startsWith(`groups.${p.group} `) && x.message === err.message)) problems.push({ path: where, message: err.message });
    }
  }
  if (problems.length > 0) throw new ExperimentFileError(loaded.file, problems);
  return plans;
}

/**
 * Runs experiment `loaded`'s plan on the store at `opts.runsDir`. Refuses, before anything is made
 * or trained: runs of the same name and version planned with another fingerprint for a group, or made
 * with other fully resolved settings than the group's plan (a default that changed since), or a
 * copy of the file stored with them that plans a group differently ({@link ExperimentConflictError}), a run of it that another live process trains
 * ({@link ExperimentBusyError}), and runs the planner refuses (ExperimentFileError, e.g. a design
 * that does not fit the data).
 */
export async function runExperiment(loaded: LoadedExperiment, opts: ExperimentRunOptions): Promise<ExperimentRunResult> {
  const { plan } = loaded;
  const e = plan.experiment;
  const log = opts.log ?? (() => {});
  const total = plan.runs.length;
  const local = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!local.signal.aborted) log(`${signal}: no further run starts; run the same command again to resume`);
    local.abort(signal);
  };
  const signals = opts.signals ?? [];
  for (const s of signals) process.on(s, onSignal);
  const stopped = () => local.signal.aborted || opts.stop?.aborted === true;
  const store = RunStore.open(opts.runsDir);
  let release = () => {};
  try {
    // One runner per experiment version at a time: two started together would both find every run
    // missing and both queue the whole plan. A dry run makes nothing and needs no hold.
    if (!opts.dryRun) {
      const hold = store.hold(experimentHoldKey(e.name, e.version), thisProcessOwner(), `running experiment ${e.name} v${e.version} (strata experiment run)`);
      if (!hold.ok) throw new ExperimentBusyError(`experiment ${e.name} v${e.version} is already being run: ${hold.message}; wait for it to end or stop it first`);
      release = hold.release;
    }
    checkStored(plan, store);
    // Checked before anything is loaded or made; written once every run could be planned.
    let copy = keepCopy(loaded, store, false);
    const cells = new Map<number, RunSummary | null>();
    const table = groupSummaries(store, plan);
    for (const p of plan.runs) {
      const g = table.find((t) => t.group.key === p.group);
      cells.set(p.index, g?.runs.find((r) => r.seed === p.seed)?.run ?? null);
    }
    const missing = plan.runs.filter((p) => cells.get(p.index) === null);
    const plans = await planMissing(loaded, missing, store, opts.load ?? loadDataSource, log);
    checkDataset(plan, store, plans);

    const steps: RunStep[] = [];
    if (opts.dryRun) {
      for (const p of plan.runs) {
        const run = cells.get(p.index) ?? null;
        const complete = run !== null && isComplete(store, run);
        const action: RunAction = run === null ? 'new' : complete ? 'skip' : actionFor(run);
        steps.push(stepOf(p.index + 1, p, action, run, complete));
        const rp = plans.get(p.index);
        const what = run === null ? `new run (${rp ? `${rp.split.train.length} training, ${rp.split.val.length} validation${rp.split.test.length ? `, ${rp.split.test.length} test` : ''} images` : 'planned'})` : describe(action, run);
        log(`${runLabel(p.index + 1, total, p.group, p.seed)}: ${what}`);
      }
      return result(loaded, opts, steps, false, copy);
    }
    copy = keepCopy(loaded, store, true);
    if (copy.action !== 'unchanged') log(`experiment ${e.name} v${e.version}: kept a copy of the file at ${copy.path}${copy.action === 'replaced' ? ` (the earlier copy is at ${copy.previous})` : ''}`);
    // Queued all at once, in plan order: nothing is created unless every run could be planned.
    for (const p of missing) {
      const rp = plans.get(p.index);
      if (rp) cells.set(p.index, store.summary(store.createRun(rp.init).id));
    }
    if (missing.length > 0) log(`experiment ${e.name} v${e.version}: queued ${missing.length} new run${missing.length === 1 ? '' : 's'} of ${total}`);

    let stoppedAt: number | null = null;
    for (const p of plan.runs) {
      const n = p.index + 1;
      const label = runLabel(n, total, p.group, p.seed);
      const id = cells.get(p.index)?.id;
      if (!id) throw new Error(`${label}: no run was made for it`);
      const before = store.summary(id);
      if (isComplete(store, before)) {
        log(`${label}: ${describe('skip', before)}`);
        steps.push(stepOf(n, p, 'skip', before, true));
        continue;
      }
      const action = actionFor(before);
      if (stopped()) {
        stoppedAt ??= n;
        steps.push(stepOf(n, p, action, before, false));
        continue;
      }
      log(`${label}: ${describe(action, before)}`);
      try {
        await runOnce({ runsDir: opts.runsDir, runId: id }, opts.onMessage ?? (() => {}), { signals, log, ...(opts.stop ? { stop: opts.stop } : {}) });
      } catch (err) {
        if (!(err instanceof RunClaimedError)) throw err;
        // Another process took this run since the session began (strata runs resume, the lab): it is
        // theirs; this session leaves it untouched and goes on with the rest of the plan.
        log(`${label}: skipped: ${err.message}; run the same command again once it has ended`);
        const now = store.summary(id);
        steps.push(stepOf(n, p, 'skip', now, isComplete(store, now)));
        continue;
      }
      const after = store.summary(id);
      const complete = isComplete(store, after);
      steps.push(stepOf(n, p, action, after, complete));
      const best = after.best ? `; best validation score ${after.best.score.toFixed(4)} at epoch ${after.best.epoch + 1}` : '';
      const outcome = diverged(after) ? '; it diverged: counted as that outcome, not trained again' : '';
      log(`${label}: ${after.status}${after.statusReason ? ` (${after.statusReason})` : ''}, ${after.epochsDone} epoch${after.epochsDone === 1 ? '' : 's'}${best}${outcome}`);
      if (!complete && stopped()) stoppedAt ??= n;
    }
    const r = result(loaded, opts, steps, stoppedAt !== null, copy);
    if (stoppedAt !== null) log(`experiment ${e.name} v${e.version}: stopped at run ${stoppedAt}/${total}, ${r.complete} of ${total} complete; run the same command again to resume`);
    else log(`experiment ${e.name} v${e.version}: ${r.complete} of ${total} runs complete`);
    return r;
  } finally {
    for (const s of signals) process.off(s, onSignal);
    release();
    store.close();
  }
}

/** The key of the hold a runner session takes on experiment `name` version `version` (RunStore.hold). */
export function experimentHoldKey(name: string, version: number): string {
  return `experiment:${name}:v${version}`;
}

/**
 * Refuses new runs planned on another dataset than the version's stored runs trained on: the data
 * folder is not in the groups' fingerprints (the data may move), so the file may point at other data
 * under the same version, and a group would mix datasets.
 */
function checkDataset(plan: ExperimentPlan, store: RunStore, plans: ReadonlyMap<number, RunPlan>): void {
  const e = plan.experiment;
  const planned = [...plans.values()][0]?.init.dataset;
  if (!planned) return;
  const other = runsOfVersion(store, e.name, e.version).find((r) => r.dataset.fingerprint !== planned.fingerprint);
  if (!other) return;
  const where = (d: RunSummary['dataset']) => `${d.source.kind === 'folder' ? d.source.path : 'the demo set'} (${d.name}, ${d.count} images, fingerprint ${d.fingerprint.slice(0, 12)})`;
  throw new ExperimentConflictError(
    `experiment ${e.name} version ${e.version}: its runs so far (run ${other.id}, group ${other.experiment?.group ?? '?'}) trained on ${where(other.dataset)}, but the file's data is ${where(planned)}. ` +
      `Runs of one version must train on one dataset: bump "version" (to ${e.version + 1}) to run the experiment on the new data, or point data.path back at the old`,
    [],
  );
}

/**
 * Refuses a store whose runs of this version come from another plan, were made with other settings
 * than the plan resolves now (a default changed: configDrift), or that another process trains.
 */
function checkStored(plan: ExperimentPlan, store: RunStore): void {
  const e = plan.experiment;
  const stored = runsOfVersion(store, e.name, e.version);
  const conflicts = fingerprintConflicts(plan, stored);
  if (conflicts.length > 0) throw new ExperimentConflictError(conflictMessage(plan, conflicts), conflicts);
  // The fingerprints leave defaults out: a default that changed since the first runs is found here.
  const drifts = configDrift(plan, stored);
  if (drifts.length > 0) throw new ExperimentConflictError(driftMessage(plan, drifts), drifts.map((d) => ({ group: d.group, reason: 'settings', runIds: d.runIds })));
  for (const r of stored) {
    const owner = store.ownerOf(r.id);
    if (owner && !owner.gone) {
      const tag = r.experiment;
      throw new ExperimentBusyError(`run ${r.id} (group ${tag?.group ?? '?'}, seed ${tag?.seed ?? '?'}) of experiment ${e.name} v${e.version} is being trained by pid ${owner.pid ?? '?'}; wait for it to end or stop it first`);
    }
  }
}

/** The version's stored copy of the file: checked (`write` false) or written; a copy of another plan is refused as a changed experiment. */
function keepCopy(loaded: LoadedExperiment, store: RunStore, write: boolean): CopyWrite {
  try {
    return keepExperimentCopy(store.root, loaded, { write });
  } catch (err) {
    if (err instanceof ExperimentCopyConflict) throw new ExperimentConflictError(err.message, err.conflicts.map((c) => ({ group: c.group, reason: 'changed', runIds: [] })));
    throw err;
  }
}

function result(loaded: LoadedExperiment, opts: ExperimentRunOptions, runs: RunStep[], stopped: boolean, copy: CopyWrite): ExperimentRunResult {
  const e = loaded.plan.experiment;
  return {
    experiment: { name: e.name, version: e.version, file: loaded.file },
    runsDir: opts.runsDir,
    dryRun: opts.dryRun === true,
    runs,
    complete: runs.filter((r) => r.complete).length,
    total: runs.length,
    stopped,
    copy,
  };
}
