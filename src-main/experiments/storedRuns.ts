/**
 * An experiment's stored runs as a report and the lab's experiment view read them: full records with
 * their epochs and events, in the plan's order of groups and seeds. The plan is the experiment
 * file's when it is given, else the copy of the file stored with the runs (copy.ts), else the runs'
 * tags alone (runs queued before the copy was kept: no claim, no planned runs not made yet).
 */
import type { ExperimentPlan } from '../../shared/experiments';
import type { ResultGroupInput, ResultRun } from '../../shared/experiments/results';
import type { ExperimentRunsInfo, PlanSource } from '../../shared/experiments/view';
import type { RunStore } from '../runs/store';
import { readExperimentCopy } from './copy';
import type { LoadedExperiment } from './load';
import { experimentRuns, storedVersions } from './runs';

/** No report can be made: no runs of what was asked for (no such experiment or version), or runs of one group planned from different files. */
export class ReportError extends Error {
  override readonly name = 'ReportError';
  constructor(
    message: string,
    readonly reason: 'no-runs' | 'mixed-plans' = 'no-runs',
  ) {
    super(message);
  }
}

/** An experiment's runs as the report reads them: what is known of them (shared/experiments/view.ts) and each group's runs. */
export interface ReportRuns extends ExperimentRunsInfo {
  groups: ResultGroupInput[];
}

function resultRun(store: RunStore, id: string, complete: boolean): ResultRun {
  return { record: store.get(id), epochs: store.epochMetrics(id), events: store.events(id), complete };
}

function runsOfPlanned(store: RunStore, plan: ExperimentPlan, source: Exclude<PlanSource, { kind: 'tags' }>, versions: number[]): ReportRuns {
  const e = plan.experiment;
  const groups: ResultGroupInput[] = [];
  const missing: { group: string; seed: number }[] = [];
  for (const g of experimentRuns(store, plan)) {
    const runs: ResultRun[] = [];
    for (const s of g.runs) {
      if (s.run) runs.push(resultRun(store, s.run.id, s.complete));
      else missing.push({ group: g.group.key, seed: s.seed });
    }
    groups.push({ key: g.group.key, runs });
  }
  return { name: e.name, version: e.version, versions, experiment: e, source, groups, missing };
}

/**
 * The runs of the experiment planned by `loaded` (its name and version), in the plan's order of
 * groups and seeds; runs of another fingerprint are not the plan's and are left out.
 */
export function runsOfPlan(store: RunStore, loaded: LoadedExperiment): ReportRuns {
  const e = loaded.plan.experiment;
  const versions = storedVersions(store, e.name).map((v) => v.version);
  const runs = runsOfPlanned(store, loaded.plan, { kind: 'file', file: loaded.file }, versions);
  if (runs.groups.every((g) => g.runs.length === 0)) {
    throw new ReportError(`experiment ${e.name} version ${e.version} has no runs in this store${versions.length ? ` (it has runs of version ${versions.join(', ')})` : ''}; run it with strata experiment run ${loaded.file}`);
  }
  return runs;
}

/**
 * The runs of experiment `name`: version `version`, or the newest with runs. Through the copy of
 * the file stored with them when there is one, else found by their tags.
 */
export function runsOfName(store: RunStore, name: string, version?: number): ReportRuns {
  const stored = storedVersions(store, name);
  if (stored.length === 0) throw new ReportError(`no runs of experiment ${name} in this store`);
  const versions = stored.map((v) => v.version);
  const chosen = version === undefined ? stored[0] : stored.find((v) => v.version === version);
  if (!chosen) throw new ReportError(`experiment ${name} has no runs of version ${version} in this store (it has version ${versions.join(', ')})`);
  const copy = readExperimentCopy(store.root, name, chosen.version);
  if (copy.state === 'ok') {
    const c = copy.copy;
    return runsOfPlanned(store, c.plan, { kind: 'copy', path: c.path, file: c.file, storedAt: c.storedAt }, versions);
  }
  const groups = chosen.groups.map((g) => {
    if (g.fingerprints.length > 1) throw new ReportError(`experiment ${name} version ${chosen.version}: group ${g.key} has runs planned from different files (${g.fingerprints.length} fingerprints); give the experiment file to report the runs of its plan`, 'mixed-plans');
    return { key: g.key, runs: g.runs.map((r) => resultRun(store, r.run.id, r.complete)) };
  });
  return { name, version: chosen.version, versions, experiment: null, source: { kind: 'tags', problem: copy.state === 'bad' ? copy.problem : null }, groups, missing: [] };
}
