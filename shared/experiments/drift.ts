/**
 * Settings that changed under an experiment without its file changing. A group's fingerprint
 * (expand.ts groupFingerprint) leaves defaults out on purpose, so that a Strata that adds a setting
 * does not invalidate experiments; but a default that changes (the augmentation did: shift, scale,
 * brightness and contrast, then the h-flip alone) would then give a version's later runs other
 * settings than its first, under one fingerprint. Every run stores its fully resolved configuration,
 * so the check is exact: each stored run of a group against the configuration the group plans now,
 * but for what differs per run by design (the seed, and the backend, which says where a run trains,
 * not what).
 */
import type { ExperimentTag, RunConfig } from '../runs/request';
import { canonicalJson } from './hash';
import type { ExperimentPlan } from './expand';

/** Configuration settings that differ between the runs of one group by design. */
export const PER_RUN_SETTINGS: readonly string[] = ['seed', 'backend'];

/** One setting of a group whose stored runs resolved it otherwise than the plan does now. */
export interface SettingDrift {
  /** Its path in the configuration, `augment.shift`. */
  path: string;
  /** Its value as the group plans it now; undefined when not set. */
  planned: unknown;
  /** Each other value the stored runs have, with those runs, in the order the runs were given. */
  stored: { value: unknown; runIds: string[] }[];
  /** Whether the file sets it (else it is a default, or derived from one). */
  inFile: boolean;
}

/** A group whose stored runs' settings differ from its plan's. */
export interface GroupDrift {
  group: string;
  /** The group's stored runs that were compared (those of its fingerprint). */
  runIds: string[];
  settings: SettingDrift[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every leaf of a configuration by its dotted path (lists are leaves), but the per-run settings. */
function leaves(config: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (!isRecord(config)) {
    out.set(prefix, config);
    return out;
  }
  for (const [k, v] of Object.entries(config)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (prefix === '' && PER_RUN_SETTINGS.includes(k)) continue;
    if (v === undefined) continue;
    leaves(v, path, out);
  }
  return out;
}

/** Whether the file's configuration for the group gives `path` (or an object or list above it). */
function setIn(input: Record<string, unknown>, path: string): boolean {
  let at: unknown = input;
  for (const key of path.split('.')) {
    if (!isRecord(at) || !(key in at)) return false;
    at = at[key];
    if (!isRecord(at)) return true;
  }
  return true;
}

const same = (a: unknown, b: unknown) => (a === undefined || b === undefined ? a === b : canonicalJson(a) === canonicalJson(b));

/**
 * The groups of `plan` whose stored runs (same name and version; those of the group's fingerprint:
 * runs of another are {@link fingerprintConflicts}'s) have settings other than the group's planned
 * configuration, seed and backend aside.
 */
export function configDrift(plan: ExperimentPlan, stored: readonly { id: string; config: RunConfig; experiment?: ExperimentTag }[]): GroupDrift[] {
  const out: GroupDrift[] = [];
  for (const g of plan.groups) {
    const runs = stored.filter((r) => r.experiment?.group === g.key && r.experiment.fingerprint === g.fingerprint);
    if (runs.length === 0) continue;
    const planned = leaves(g.config);
    const settings = new Map<string, SettingDrift>();
    for (const r of runs) {
      const have = leaves(r.config);
      for (const path of new Set([...planned.keys(), ...have.keys()])) {
        const now = planned.get(path);
        const then = have.get(path);
        if (same(now, then)) continue;
        const s = settings.get(path) ?? { path, planned: now, stored: [], inFile: setIn(g.configInput, path) };
        settings.set(path, s);
        const v = s.stored.find((x) => same(x.value, then));
        if (v) v.runIds.push(r.id);
        else s.stored.push({ value: then, runIds: [r.id] });
      }
    }
    if (settings.size > 0) out.push({ group: g.key, runIds: runs.map((r) => r.id), settings: [...settings.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) });
  }
  return out;
}

/** A setting's value in a message: text as it is, `not set`, anything else as JSON. */
function valueText(v: unknown): string {
  if (v === undefined) return 'not set';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function runsText(ids: readonly string[]): string {
  return `run${ids.length === 1 ? '' : 's'} ${ids.join(', ')}`;
}

/** `group he_normal: config.augment.shift is 0.1 in its stored runs and 0 now (a default changed)`, one per setting. */
export function driftLines(drifts: readonly GroupDrift[]): string[] {
  return drifts.flatMap((d) =>
    d.settings.map((s) => {
      const all = s.stored.length === 1 && s.stored[0]?.runIds.length === d.runIds.length;
      const then = all ? `${valueText(s.stored[0]?.value)} in its stored runs` : s.stored.map((x) => `${valueText(x.value)} in ${runsText(x.runIds)}`).join(' and ');
      const why = s.inFile ? 'the file sets it, and the stored runs resolved it otherwise' : 'a default changed';
      return `group ${d.group}: config.${s.path} is ${then} and ${valueText(s.planned)} now (${why})`;
    }),
  );
}

/**
 * The message that refuses (or, in `experiment status`, warns of) settings that changed under the
 * version. Setting the old value in the file changes the group's fingerprint as well, so either way
 * the version must be bumped; its runs so far stay in the store.
 */
export function driftMessage(plan: ExperimentPlan, drifts: readonly GroupDrift[]): string {
  const e = plan.experiment;
  // The defaults the stored runs had, where they had one value: what the file would set to keep them.
  const old = new Map<string, string>();
  for (const s of drifts.flatMap((d) => d.settings)) {
    const v = s.stored[0]?.value;
    if (!s.inFile && s.stored.length === 1 && v !== undefined) old.set(s.path, `${s.path} ${valueText(v)}`);
  }
  const keep = [...old.values()];
  return (
    `experiment ${e.name} version ${e.version}: its stored runs were made with other settings than its file plans now, so a group would mix settings: ${driftLines(drifts).join('; ')}. ` +
    `Runs of one version must train with one configuration: set ${keep.length > 1 ? 'them' : 'it'} in the file${keep.length ? ` (${keep.join(', ')})` : ''} to keep the stored runs' ${keep.length > 1 ? 'settings' : 'setting'}, or leave ${keep.length > 1 ? 'them' : 'it'} to train with today's, and either way bump "version" (to ${e.version + 1}): a file that sets ${keep.length > 1 ? 'them' : 'it'} plans its groups anew. The runs of version ${e.version} stay in the store`
  );
}
