/**
 * An experiment's runs in the run store, found by their experiment tag (RunRecord.experiment) and
 * laid out as the plan's groups x seeds: what `strata experiment status` shows, what the runner
 * skips or resumes, and what a report reads.
 */
import type { ExperimentPlan, PlannedGroup } from '../../shared/experiments';
import { diverged } from '../../shared/runs/divergence';
import type { RunEvent, RunRecord, RunSummary } from '../../shared/runs/types';
import type { RunStore } from '../runs/store';

/** Events that end a run's session by its own budget or early stopping. */
const OWN_STOPS: readonly string[] = ['time-limit', 'early-stop'];
/** Events a later session writes (a resume from a checkpoint, a pause lifted, a dead owner's run taken over). */
const LATER_SESSION: readonly string[] = ['resumed', 'taken-over'];

/** Whether a stopped run's last session was stopped by the run itself (its budget or early stopping), read off its events in order. */
export function stoppedByItself(events: readonly Pick<RunEvent, 'type'>[]): boolean {
  for (let i = events.length - 1; i >= 0; i--) {
    const t = (events[i] as Pick<RunEvent, 'type'>).type;
    if (OWN_STOPS.includes(t)) return true;
    // A session after the stop event: this stop (Ctrl-C, the lab) is that session's, not the run's own.
    if (LATER_SESSION.includes(t)) return false;
  }
  return false;
}

/**
 * Whether a run has nothing left to train: done; stopped by its own budget or early stopping in its
 * last session; or diverged (failed with a non-finite loss, shared/runs/divergence.ts), an outcome
 * of what it trains that training it again from the same checkpoint would repeat.
 */
export function isComplete(store: Pick<RunStore, 'events'>, run: Pick<RunSummary, 'id' | 'status' | 'statusReason'>): boolean {
  if (run.status === 'done') return true;
  if (diverged(run)) return true;
  if (run.status !== 'stopped') return false;
  // A stop the run made itself leaves its event; a stop asked for from outside (Ctrl-C, the lab) does not.
  return stoppedByItself(store.events(run.id));
}

/**
 * The one run that stands for a group and seed when several do (two runners raced, or a run was
 * made again by hand): a complete one first, then the one with most epochs, then the newest. Every
 * view of an experiment's runs (status, the runner, reports, the lab) picks with this.
 */
export function pickRun<R extends Pick<RunSummary, 'id' | 'status' | 'statusReason' | 'epochsDone' | 'createdAt'>>(store: Pick<RunStore, 'events'>, runs: readonly R[]): R | null {
  let best: R | null = null;
  let bestKey: [number, number, number] = [-1, -1, -1];
  for (const r of runs) {
    const key: [number, number, number] = [isComplete(store, r) ? 1 : 0, r.epochsDone, r.createdAt];
    if (key[0] > bestKey[0] || (key[0] === bestKey[0] && (key[1] > bestKey[1] || (key[1] === bestKey[1] && key[2] >= bestKey[2])))) {
      best = r;
      bestKey = key;
    }
  }
  return best;
}

/** The runs of experiment `name` version `version` in the store, oldest first. */
export function runsOfVersion(store: Pick<RunStore, 'experimentRuns'>, name: string, version: number): RunSummary[] {
  return store.experimentRuns(name).filter((r) => r.experiment?.version === version);
}

/** A group whose stored runs were planned from another file than this one. */
export interface GroupConflict {
  group: string;
  /** Why: its fingerprint differs, the file no longer has the group, or its runs' settings differ from the plan's (shared/experiments/drift.ts). */
  reason: 'changed' | 'gone' | 'settings';
  /** The stored runs concerned. */
  runIds: string[];
}

/**
 * The groups of `plan` whose runs in the store (same experiment name and version) were planned with
 * another fingerprint, and the stored groups the plan no longer has. Seeds the file no longer lists
 * are no conflict: their runs are left out of its results.
 */
export function fingerprintConflicts(plan: ExperimentPlan, stored: readonly RunSummary[]): GroupConflict[] {
  const byKey = new Map(plan.groups.map((g) => [g.key, g]));
  const out = new Map<string, GroupConflict>();
  for (const r of stored) {
    const tag = r.experiment;
    if (!tag) continue;
    const g = byKey.get(tag.group);
    const reason = !g ? 'gone' : g.fingerprint !== tag.fingerprint ? 'changed' : null;
    if (reason === null) continue;
    const c = out.get(tag.group) ?? { group: tag.group, reason, runIds: [] };
    c.runIds.push(r.id);
    out.set(tag.group, c);
  }
  return [...out.values()];
}

/** The message that refuses a changed experiment. */
export function conflictMessage(plan: ExperimentPlan, conflicts: readonly GroupConflict[]): string {
  const e = plan.experiment;
  const changed = conflicts.filter((c) => c.reason === 'changed').map((c) => c.group);
  const gone = conflicts.filter((c) => c.reason === 'gone').map((c) => c.group);
  const parts = [
    ...(changed.length ? [`the design or settings of group${changed.length > 1 ? 's' : ''} ${changed.join(', ')} changed since ${changed.length > 1 ? 'their' : 'its'} first runs`] : []),
    ...(gone.length ? [`group${gone.length > 1 ? 's' : ''} ${gone.join(', ')} of its earlier runs ${gone.length > 1 ? 'are' : 'is'} no longer in the file`] : []),
  ];
  return `experiment ${e.name} version ${e.version}: ${parts.join('; ')}. Runs of one version must come from one plan: bump "version" (to ${e.version + 1}) to run the changed experiment as a new one, or undo the change`;
}

/** One cell of the groups x seeds table. */
export interface SeedRun<R> {
  seed: number;
  /** The run of this group and seed, null before one was made. */
  run: R | null;
  /** Whether it has nothing left to train (see {@link isComplete}). */
  complete: boolean;
}

/** A planned group with its runs, one per seed, in the plan's seed order. */
export interface GroupRuns<R> {
  group: PlannedGroup;
  runs: SeedRun<R>[];
}

/**
 * The plan's groups with the store's runs of each seed (summaries: cheap, from the index alone).
 * Runs of another fingerprint are not matched to a group (see {@link fingerprintConflicts}).
 */
export function groupSummaries(store: Pick<RunStore, 'experimentRuns' | 'events'>, plan: ExperimentPlan): GroupRuns<RunSummary>[] {
  const e = plan.experiment;
  const stored = runsOfVersion(store, e.name, e.version);
  return plan.groups.map((group) => ({
    group,
    runs: e.seeds.map((seed) => {
      const run = pickRun(
        store,
        stored.filter((r) => r.experiment?.group === group.key && r.experiment.seed === seed && r.experiment.fingerprint === group.fingerprint),
      );
      return { seed, run, complete: run !== null && isComplete(store, run) };
    }),
  }));
}

/**
 * The plan's groups with each seed's whole run record (design, split and all), for a report:
 * `experimentRuns(store, plan)[g].runs[s].run` is group g's run of seed s, null if not made yet.
 */
export function experimentRuns(store: Pick<RunStore, 'experimentRuns' | 'events' | 'get'>, plan: ExperimentPlan): GroupRuns<RunRecord>[] {
  return groupSummaries(store, plan).map(({ group, runs }) => ({
    group,
    runs: runs.map((r) => ({ seed: r.seed, run: r.run ? store.get(r.run.id) : null, complete: r.complete })),
  }));
}

/** A stored experiment version, as its runs' tags describe it (no file needed). */
export interface StoredVersion {
  version: number;
  /**
   * Its groups in the order their first runs were made, each with one run per seed (seed order),
   * picked as {@link pickRun} picks, and the other runs of those seeds (`others`), which count nowhere.
   */
  groups: { key: string; fingerprints: string[]; runs: { seed: number; run: RunSummary; complete: boolean }[]; others: RunSummary[] }[];
}

/** Every version of experiment `name` that has runs in the store, newest version first. */
export function storedVersions(store: Pick<RunStore, 'experimentRuns' | 'events'>, name: string): StoredVersion[] {
  const versions = new Map<number, Map<string, { key: string; fingerprints: string[]; bySeed: Map<number, RunSummary[]> }>>();
  for (const r of store.experimentRuns(name)) {
    const tag = r.experiment;
    if (!tag) continue;
    const groups = versions.get(tag.version) ?? new Map<string, { key: string; fingerprints: string[]; bySeed: Map<number, RunSummary[]> }>();
    versions.set(tag.version, groups);
    const g = groups.get(tag.group) ?? { key: tag.group, fingerprints: [], bySeed: new Map<number, RunSummary[]>() };
    groups.set(tag.group, g);
    if (!g.fingerprints.includes(tag.fingerprint)) g.fingerprints.push(tag.fingerprint);
    g.bySeed.set(tag.seed, [...(g.bySeed.get(tag.seed) ?? []), r]);
  }
  return [...versions.entries()]
    .sort(([a], [b]) => b - a)
    .map(([version, groups]) => ({
      version,
      groups: [...groups.values()].map((g) => {
        const runs: StoredVersion['groups'][number]['runs'] = [];
        const others: RunSummary[] = [];
        for (const [seed, all] of [...g.bySeed.entries()].sort(([a], [b]) => a - b)) {
          const run = pickRun(store, all) as RunSummary;
          runs.push({ seed, run, complete: isComplete(store, run) });
          others.push(...all.filter((x) => x !== run));
        }
        return { key: g.key, fingerprints: g.fingerprints, runs, others };
      }),
    }));
}
