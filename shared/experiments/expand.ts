/**
 * From an experiment file to its planned runs. `planExperiment` checks the whole file and lists
 * every problem with its path (nothing is planned then); otherwise it expands the factors into
 * groups (their full factorial), builds each group's design and configuration (the base with the
 * group's levels deep-merged onto it, in factor order), fingerprints each group, and lists one run
 * per group and seed, seed by seed, so that a partly run experiment has every group at its first seeds.
 */
import { buildUNet, PRESETS, UNET_LEVELS, type UNetOptions } from '../arch/presets';
import type { Architecture } from '../arch/types';
import { validateArchitecture } from '../arch/validate';
import { EPS_LOSSES, MAX_RUN_NAME, runConfigSchema, runRequestSchema, testIdsSchema, valIdsSchema, type ExperimentTag, type RunConfig, type RunRequest } from '../runs/request';
import { canonicalJson, sha256Hex } from './hash';
import {
  designOptionsSchema,
  experimentNameSchema,
  EXPERIMENT_FIELDS,
  EXPERIMENT_LIMITS,
  factorSchema,
  levelSchema,
  type DesignOptions,
  type Experiment,
  type ExperimentData,
  type Factor,
  type Level,
} from './schema';

/** One problem of an experiment file: where it is (`factors[0].levels[1].config.optimizer.lr`) and what is wrong. */
export interface ExperimentProblem {
  path: string;
  message: string;
}

/** One group: one level of every factor. */
export interface PlannedGroup {
  /** The levels' labels joined by `+`, in factor order (`he_normal`, `he_normal+lr0.01`). */
  key: string;
  /** The group's level of each factor, in factor order. */
  levels: { factor: string; label: string }[];
  /** The builder options the group's design is built from (a preset's own filled in). */
  designOptions: UNetOptions;
  /** The design its runs train. */
  arch: Architecture;
  /** The configuration as the file asks for it: the base's with the levels' merged on, and the budget. */
  configInput: Record<string, unknown>;
  /** The full configuration (defaults filled in) of the group's runs, but for the seed. */
  config: RunConfig;
  /** SHA-256 of the canonical JSON of what the file asks this group to train (see {@link groupFingerprint}). */
  fingerprint: string;
}

/** One planned run: a group and a seed, with the run request it is created from. */
export interface PlannedRun {
  /** 0-based position in the plan. */
  index: number;
  group: string;
  seed: number;
  /** The run request (checked by the one run request schema), tagged with the experiment. */
  request: RunRequest;
  arch: Architecture;
}

/** An experiment's plan. */
export interface ExperimentPlan {
  experiment: Experiment;
  groups: PlannedGroup[];
  runs: PlannedRun[];
}

/** A check's result: the plan, or every problem. */
export type ExperimentCheck = { ok: true; plan: ExperimentPlan } | { ok: false; problems: ExperimentProblem[] };

/** What the file names but only its reader can resolve: the ids of `data.valIds` and `data.testIds`, read from their files. */
export interface ExperimentInputs {
  /** The ids listed in `data.valIds`'s file; undefined when the file gives none (or it could not be read: its reader reports that). */
  valIds?: string[];
  /**
   * The ids listed in `data.testIds`'s file, likewise. The runs are planned with them all; a run
   * holds out those in its data (src-main/experiments/runner.ts), so one file of a folder's test ids
   * serves every subset of it.
   */
  testIds?: string[];
}

type Path = readonly (string | number)[];

/** `factors[0].levels[1].config.lr` from its segments. */
export function pathText(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The settings that are one of several kinds, and the field that names the kind. */
const TAGGED = [
  ['optimizer', 'name'],
  ['loss', 'name'],
  ['schedule', 'kind'],
] as const;

let defaultTags: Record<string, unknown> | null = null;
/** The kind of each tagged setting when a configuration names none: the run configuration's defaults. */
function defaultTag(key: (typeof TAGGED)[number][0]): unknown {
  if (defaultTags === null) {
    const d = runConfigSchema.parse({}) as unknown as Record<string, Record<string, unknown>>;
    defaultTags = Object.fromEntries(TAGGED.map(([k, tag]) => [k, d[k]?.[tag]]));
  }
  return defaultTags[key];
}

/**
 * `over` with the kind of each tagged setting it gives without one (`{"optimizer": {"lr": 0.01}}`)
 * filled in: the kind `onto` has (the configuration it is merged onto), else the default's. So a
 * part of a setting merges onto the setting in force, as the format promises (what is left out takes
 * its default), rather than standing alone without its kind.
 */
export function withKinds(over: unknown, onto: unknown): unknown {
  if (!isRecord(over)) return over;
  let out: Record<string, unknown> | null = null;
  for (const [key, tag] of TAGGED) {
    const part = over[key];
    if (!isRecord(part) || tag in part) continue;
    const base = isRecord(onto) ? onto[key] : undefined;
    const kind = isRecord(base) && tag in base ? base[tag] : defaultTag(key);
    if (kind === undefined) continue;
    out ??= { ...over };
    out[key] = { [tag]: kind, ...part };
  }
  return out ?? over;
}

/**
 * `over` merged onto `base`: objects key by key, recursively; arrays and plain values replace. An
 * object whose `name` (an optimizer, a loss) or `kind` (a schedule) differs from the base's replaces
 * it whole, so a level that switches from SGD to Adam does not inherit SGD's momentum.
 */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isRecord(base) || !isRecord(over)) return over;
  for (const tag of ['name', 'kind'] as const) {
    if (tag in over && tag in base && over[tag] !== base[tag]) return over;
  }
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** The settings an experiment sets elsewhere: its seeds and its budget. */
const SET_ELSEWHERE: Readonly<Record<string, string>> = {
  seed: 'the seed is set by the experiment\'s "seeds" (each group trains once per seed)',
  epochs: 'epochs are the experiment\'s budget: set "budget.epochs"',
  maxMinutes: 'a time budget is the experiment\'s: set "budget.maxMinutes"',
};

interface Issue {
  path: Path;
  message: string;
}

/**
 * zod issues as Issues; an unknown key is one issue per key, at the key's own path (but `__proto__`,
 * which the file check refuses in its own words wherever it is).
 */
function fromZod(issues: readonly { path: readonly PropertyKey[]; message: string; code?: string; keys?: readonly string[] }[]): Issue[] {
  return issues.flatMap((i) => {
    const path = i.path.map((p) => (typeof p === 'number' ? p : String(p)));
    if (i.code === 'unrecognized_keys' && i.keys) return i.keys.filter((k) => k !== '__proto__').map((k) => ({ path: [...path, k], message: `unknown key '${k}'` }));
    return [{ path, message: i.message }];
  });
}

/**
 * `base` without the top-level fields its own `issues` are about, so that a level merged onto it is
 * checked for what the level itself gets wrong, and a bad base field is reported once, at the base.
 */
function withoutBad(base: unknown, issues: readonly Issue[]): unknown {
  if (!isRecord(base)) return base;
  const out = { ...base };
  for (const i of issues) {
    const top = i.path[0];
    if (typeof top === 'string') delete out[top];
  }
  return out;
}

const issueKey = (i: Issue) => `${pathText(i.path)}\u0000${i.message}`;

/** The problems of one merged configuration, with paths inside it; `parsed` when it passed. */
function checkConfig(input: Record<string, unknown>, e: { budget: Experiment['budget'] | undefined; data: ExperimentData | undefined }): { issues: Issue[]; parsed?: RunConfig } {
  const issues: Issue[] = [];
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    const elsewhere = SET_ELSEWHERE[k];
    if (elsewhere) issues.push({ path: [k], message: elsewhere });
    else rest[k] = v;
  }
  if (e.data?.valIds !== undefined && 'valFraction' in input) {
    issues.push({ path: ['valFraction'], message: 'a validation fraction does not apply with data.valIds, whose ids are the whole validation set; give one of the two' });
  }
  if (e.data?.testIds !== undefined && 'testFraction' in input) {
    issues.push({ path: ['testFraction'], message: 'a test fraction does not apply with data.testIds, whose ids are the whole test set; give one of the two' });
  }
  const r = runConfigSchema.safeParse({ ...rest, ...budgetConfig(e.budget) });
  if (!r.success) {
    issues.push(...fromZod(r.error.issues));
    return { issues };
  }
  const c = r.data;
  if (c.loss.eps !== undefined && !EPS_LOSSES.includes(c.loss.name)) {
    issues.push({ path: ['loss', 'eps'], message: `eps applies to the ${EPS_LOSSES.join(' and ')} losses only (the IoU smoothing); the ${c.loss.name} loss has no eps` });
  }
  return issues.length ? { issues } : { issues, parsed: c };
}

/** The configuration fields of a budget. */
function budgetConfig(b: Experiment['budget'] | undefined): Record<string, number> {
  if (!b) return {};
  return { ...(b.epochs === undefined ? {} : { epochs: b.epochs }), ...(b.maxMinutes === undefined ? {} : { maxMinutes: b.maxMinutes }) };
}

/** A design spec as an options object: a preset name is `{ preset: name }`. */
function designObject(spec: unknown): unknown {
  return typeof spec === 'string' ? { preset: spec } : spec;
}

/** The problems of one merged design, with paths inside it; the built options and design when it passed. */
function checkDesign(spec: unknown, name: string, description: string): { issues: Issue[]; options?: UNetOptions; arch?: Architecture } {
  const r = designOptionsSchema.safeParse(spec);
  if (!r.success) return { issues: fromZod(r.error.issues) };
  const o: DesignOptions = r.data;
  const issues: Issue[] = [];
  if (o.init !== undefined) {
    issues.push({ path: ['init'], message: 'a run\'s initializer is its config.init, which training applies to every conv over the design\'s: set config.init instead' });
  }
  if (o.samplerBn === 'none') {
    issues.push({ path: ['samplerBn'], message: 'where the BNs go is the run\'s config.bnPlacement, which training applies over the design\'s samplers: for no BN at the samplers set config.bnPlacement to "head"' });
  }
  let from: Partial<UNetOptions> = {};
  if (o.preset !== undefined) {
    const p = Object.hasOwn(PRESETS, o.preset) ? PRESETS[o.preset] : undefined;
    if (!p) issues.push({ path: ['preset'], message: `unknown preset '${o.preset}' (the presets: ${Object.keys(PRESETS).join(', ')})` });
    else from = p.options;
  }
  const { preset: _preset, init: _init, blocksPerLevel, ...given } = o;
  const merged = { inputChannels: 1, size: 101, ...from, ...given, ...(blocksPerLevel === undefined ? {} : { blocksPerLevel: typeof blocksPerLevel === 'number' ? UNET_LEVELS.map(() => blocksPerLevel) : blocksPerLevel }) };
  if (o.preset === undefined) {
    for (const k of ['channels', 'blocksPerLevel'] as const) {
      if (merged[k] === undefined) issues.push({ path: [k], message: `a design without a preset gives ${k}` });
    }
  }
  if (issues.length) return { issues };
  const { init: _presetInit, ...rest } = merged as UNetOptions;
  const options: UNetOptions = { ...rest, blocksPerLevel: [...(merged.blocksPerLevel ?? [])], name, description };
  const arch = buildUNet(options);
  for (const err of validateArchitecture(arch)) issues.push({ path: [], message: `the design is invalid: ${err.message}` });
  return issues.length ? { issues } : { issues, options, arch };
}

/**
 * A group's fingerprint: SHA-256 of the canonical JSON (keys sorted) of what the file asks the group
 * to train: its design options (a preset's filled in; not its name or description), its merged
 * configuration as written (with the kind of a setting a level gives only part of filled in), with
 * the budget (not the seed), and the data's subset, demo size, validation ids and test ids (not the
 * folder's path, so moving the data keeps it, nor the backend; that the data itself stays the same
 * the runner checks by the runs' dataset fingerprints). Defaults are not in it: a Strata that adds a
 * setting does not invalidate experiments; each run stores its full configuration. A file without
 * test ids has the fingerprint it had before they could be given.
 */
export function groupFingerprint(designOptions: UNetOptions, configInput: Record<string, unknown>, data: ExperimentData, valIds: readonly string[] | undefined, testIds?: readonly string[]): string {
  const { name: _n, description: _d, ...design } = designOptions;
  // The backend is where a run trains, not what: an experiment may move to another machine halfway.
  const { backend: _b, ...config } = configInput;
  const dataKey = { demo: data.path === 'demo', subset: data.subset, demoCount: data.demoCount, valIds, testIds };
  return sha256Hex(canonicalJson({ design, config, data: dataKey }));
}

/** A run's name: `init v1 he_normal seed 2`; a group key too long for a run name is cut, with `…`, to fit. */
export function plannedRunName(name: string, version: number, key: string, seed: number): string {
  const head = `${name} v${version} `;
  const tail = ` seed ${seed}`;
  const room = MAX_RUN_NAME - head.length - tail.length;
  return `${head}${key.length <= room ? key : `${key.slice(0, Math.max(0, room - 1))}…`}${tail}`;
}

/** The paths of every `__proto__` key in `v`: JSON.parse keeps it as a key, but merging or parsing it would drop it without a word. */
function protoKeys(v: unknown, path: Path): Path[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => protoKeys(x, [...path, i]));
  if (!isRecord(v)) return [];
  return Object.keys(v).flatMap((k) => (k === '__proto__' ? [[...path, k]] : protoKeys(v[k], [...path, k])));
}

/** A factor as far as it passed: its name and each level (null where it failed); `ok` when all of it did. */
interface CheckedFactor {
  name: string | null;
  description?: string;
  levels: (Level | null)[];
  ok: boolean;
}

/**
 * Checks factor `i`: its own fields, then each level on its own, so that a bad field of the factor
 * hides none of its levels' problems. Labels must differ within the factor.
 */
function checkFactor(raw: unknown, i: number, problems: Issue[]): CheckedFactor {
  const push = (prefix: Path, issues: Parameters<typeof fromZod>[0]) => {
    for (const x of fromZod(issues)) problems.push({ path: [...prefix, ...x.path], message: x.message });
  };
  const r = factorSchema.safeParse(raw);
  if (!r.success) push(['factors', i], r.error.issues);
  const name = r.success ? r.data.name : isRecord(raw) && experimentNameSchema.safeParse(raw['name']).success ? (raw['name'] as string) : null;
  const rawLevels = isRecord(raw) && Array.isArray(raw['levels']) ? (raw['levels'] as unknown[]) : [];
  const levels = rawLevels.slice(0, EXPERIMENT_LIMITS.levels).map((l, j): Level | null => {
    const lr = levelSchema.safeParse(l);
    if (lr.success) return lr.data;
    push(['factors', i, 'levels', j], lr.error.issues);
    return null;
  });
  const seen = new Map<string, number>();
  levels.forEach((l, j) => {
    if (!l) return;
    const first = seen.get(l.label);
    if (first !== undefined) problems.push({ path: ['factors', i, 'levels', j, 'label'], message: `label '${l.label}' is also the label of level ${first}${name ? ` of factor '${name}'` : ''}; each level of a factor needs its own` });
    else seen.set(l.label, j);
  });
  const ok = r.success && levels.every((l) => l !== null) && seen.size === levels.length;
  return { name, ...(r.success && r.data.description !== undefined ? { description: r.data.description } : {}), levels, ok };
}

/** The parts of the file that passed their own checks; each failed part's problems are listed. */
interface Parts {
  experiment: Partial<Experiment>;
  factors: CheckedFactor[] | null;
  problems: Issue[];
}

function checkParts(raw: unknown): Parts {
  const problems: Issue[] = [];
  const experiment: Partial<Experiment> = {};
  if (!isRecord(raw)) return { experiment, factors: null, problems: [{ path: [], message: 'an experiment file is a JSON object' }] };
  for (const p of protoKeys(raw, [])) problems.push({ path: p, message: "a key named '__proto__' is not a setting of an experiment file (it would be dropped without a word); remove it" });
  for (const k of Object.keys(raw)) {
    if (!(k in EXPERIMENT_FIELDS)) problems.push({ path: [k], message: `unknown field '${k}' (an experiment file has ${Object.keys(EXPERIMENT_FIELDS).join(', ')})` });
  }
  const push = (prefix: Path, issues: Parameters<typeof fromZod>[0]) => {
    for (const x of fromZod(issues)) problems.push({ path: [...prefix, ...x.path], message: x.message });
  };
  for (const [k, schema] of Object.entries(EXPERIMENT_FIELDS)) {
    if (k === 'factors') continue;
    const value = raw[k];
    const r = schema.safeParse(value);
    if (r.success) (experiment as Record<string, unknown>)[k] = r.data;
    else if (value === undefined && k !== 'claim') problems.push({ path: [k], message: `${k} is required` });
    else push([k], r.error.issues);
  }
  const fr = EXPERIMENT_FIELDS.factors.safeParse(raw['factors']);
  let factors: CheckedFactor[] | null = null;
  if (!fr.success) {
    if (raw['factors'] === undefined) problems.push({ path: ['factors'], message: 'factors is required' });
    else push(['factors'], fr.error.issues);
  } else {
    factors = fr.data.map((f, i) => checkFactor(f, i, problems));
    const names = new Map<string, number>();
    factors.forEach((f, i) => {
      if (f.name === null) return;
      const first = names.get(f.name);
      if (first !== undefined) problems.push({ path: ['factors', i, 'name'], message: `factor name '${f.name}' is also the name of factor ${first}` });
      else names.set(f.name, i);
    });
  }
  const seeds = experiment.seeds;
  if (seeds) {
    const seen = new Set<number>();
    seeds.forEach((s, i) => {
      if (seen.has(s)) problems.push({ path: ['seeds', i], message: `seed ${s} is listed twice` });
      seen.add(s);
    });
  }
  const data = experiment.data;
  if (data) {
    const demo = data.path === 'demo';
    if (demo && data.subset !== undefined) problems.push({ path: ['data', 'subset'], message: 'subset applies to a folder; use demoCount for the demo set' });
    if (!demo && data.demoCount !== undefined) problems.push({ path: ['data', 'demoCount'], message: 'demoCount applies to the demo set (path "demo") only; use subset to train on part of a folder' });
  }
  return { experiment, factors, problems };
}

/**
 * Checks an experiment file and plans its runs. Every problem is listed with its path: the file's
 * skeleton part by part (one bad part hides nothing of another); the base's configuration and
 * design; then each group's (one level of every factor merged onto the base, in factor order). A
 * group's problem is named as the base's when the base alone has it, as a level's when every group
 * with that level has it, and as the group's (`groups.he_normal+lr0.01.config...`) when only that
 * combination of levels has it. A configuration is checked by the run configuration schema, a design
 * by the architecture validator. `inputs` carries what the file names but only its reader can read.
 */
export function planExperiment(raw: unknown, inputs: ExperimentInputs = {}): ExperimentCheck {
  const { experiment: e, factors, problems } = checkParts(raw);
  const reported = new Set<string>();
  const report = (prefix: Path, issues: readonly Issue[]): Set<string> => {
    const keys = new Set<string>();
    for (const i of issues) {
      keys.add(issueKey(i));
      const full = { path: [...prefix, ...i.path], message: i.message };
      const fk = issueKey(full);
      if (reported.has(fk)) continue;
      reported.add(fk);
      problems.push(full);
    }
    return keys;
  };
  if (e.data?.valIds !== undefined && inputs.valIds !== undefined) {
    const r = valIdsSchema.safeParse(inputs.valIds);
    if (!r.success) report(['data', 'valIds'], r.error.issues.map((i) => ({ path: [], message: i.message })));
  }
  if (e.data?.testIds !== undefined && inputs.testIds !== undefined) {
    const r = testIdsSchema.safeParse(inputs.testIds);
    if (!r.success) report(['data', 'testIds'], r.error.issues.map((i) => ({ path: [], message: i.message })));
    const val = new Set(inputs.valIds ?? []);
    const both = inputs.testIds.filter((id) => val.has(id));
    if (both.length > 0) report(['data', 'testIds'], [{ path: [], message: `${both.length} id${both.length === 1 ? ' is' : 's are'} both a validation and a test id (${both.slice(0, 5).join(', ')}${both.length > 5 ? ', ...' : ''}); a test image must never be seen by a choice made on validation` }]);
  }

  const ctx = { budget: e.budget, data: e.data };
  const name = e.name ?? 'experiment';
  // A tagged setting given in part (`{"optimizer": {"lr": 0.01}}`) takes the default's kind; see withKinds.
  const baseConfig = withKinds(e.base?.config ?? {}, {}) as Record<string, unknown>;
  const baseDesign = designObject(e.base?.design);
  const baseConfigCheck = checkConfig(baseConfig, ctx).issues;
  const baseDesignCheck = e.base ? checkDesign(baseDesign, name, '').issues : [];
  const baseConfigIssues = report(['base', 'config'], baseConfigCheck);
  const baseDesignIssues = report(['base', 'design'], baseDesignCheck);
  const cleanConfig = withoutBad(baseConfig, baseConfigCheck) as Record<string, unknown>;
  const cleanDesign = withoutBad(baseDesign, baseDesignCheck);

  // Every combination of one parsed level per factor (a factor none of whose levels parsed adds nothing).
  const dims = (factors ?? []).map((f) => {
    const ls = f.levels.flatMap((l, li) => (l ? [{ li, l }] : []));
    return ls.length ? ls : [null];
  });
  const groupCount = dims.reduce((n, d) => n * d.length, 1);
  if (groupCount > EXPERIMENT_LIMITS.groups) {
    problems.push({ path: ['factors'], message: `the factors make ${groupCount} groups; an experiment has at most ${EXPERIMENT_LIMITS.groups}` });
    return { ok: false, problems: toProblems(problems) };
  }
  let combos: ({ li: number; l: Level } | null)[][] = [[]];
  for (const d of dims) combos = combos.flatMap((c) => d.map((x) => [...c, x]));
  const checked = combos.map((combo) => {
    const labels = combo.map((x) => x?.l.label ?? '?');
    const key = labels.join('+');
    let configInput = cleanConfig;
    let design: unknown = cleanDesign;
    for (const x of combo) {
      configInput = deepMerge(configInput, withKinds(x?.l.config, configInput)) as Record<string, unknown>;
      design = deepMerge(design, designObject(x?.l.design));
    }
    const c = checkConfig(configInput, ctx);
    const d = e.base ? checkDesign(design, `${name} ${key}`, `experiment ${name} v${e.version ?? 1}, group ${key}`) : { issues: [] };
    return { combo, key, configInput, c, d, configKeys: new Set(c.issues.map(issueKey)), designKeys: new Set(d.issues.map(issueKey)) };
  });
  // A problem is the base's when the base alone has it; a level's when every group with that level
  // has it (and the level sets that part); otherwise it is the group's: its levels only clash together.
  for (const part of ['config', 'design'] as const) {
    const baseKeys = part === 'config' ? baseConfigIssues : baseDesignIssues;
    for (const g of checked) {
      for (const issue of (part === 'config' ? g.c : g.d).issues) {
        const k = issueKey(issue);
        if (baseKeys.has(k)) continue;
        const owner = g.combo.findIndex(
          (x, fi) => x !== null && x.l[part] !== undefined && checked.every((o) => o.combo[fi]?.li !== x.li || (part === 'config' ? o.configKeys : o.designKeys).has(k)),
        );
        const at = owner >= 0 ? ['factors', owner, 'levels', (g.combo[owner] as { li: number }).li, part] : ['groups', g.key, part];
        report(at, [issue]);
      }
    }
  }

  const complete = factors !== null && factors.every((f) => f.ok);
  if (!complete || !e.base) return { ok: false, problems: toProblems(problems) };
  const fs = factors.map((f): Factor => ({ name: f.name as string, ...(f.description === undefined ? {} : { description: f.description }), levels: f.levels as Level[] }));
  // Checked with placeholders where the file's own are bad (reported above), so that the groups' problems are listed too.
  const experiment = { ...e, name, version: e.version ?? 1, factors: fs } as Experiment;
  const groups: PlannedGroup[] = [];
  for (const g of checked) {
    if (!g.c.parsed || !g.d.options || !g.d.arch) continue;
    const levels = g.combo.map((x, fi) => ({ factor: (fs[fi] as Factor).name, label: (x as { l: Level }).l.label }));
    const fullInput = { ...g.configInput, ...budgetConfig(experiment.budget) };
    groups.push({ key: g.key, levels, designOptions: g.d.options, arch: g.d.arch, configInput: fullInput, config: g.c.parsed, fingerprint: groupFingerprint(g.d.options, fullInput, experiment.data ?? { path: '' }, inputs.valIds, inputs.testIds) });
  }
  if (problems.length > 0 || !e.data || !e.budget || !e.seeds) return { ok: false, problems: toProblems(problems.length ? problems : [{ path: [], message: 'the experiment is incomplete' }]) };

  const runs: PlannedRun[] = [];
  for (const seed of experiment.seeds) {
    for (const g of groups) {
      const tag: ExperimentTag = { name: experiment.name, version: experiment.version, group: g.key, seed, fingerprint: g.fingerprint };
      const r = runRequestSchema.safeParse({
        name: plannedRunName(experiment.name, experiment.version, g.key, seed),
        ...(experiment.data.subset === undefined ? {} : { subset: experiment.data.subset }),
        ...(experiment.data.demoCount === undefined ? {} : { demoCount: experiment.data.demoCount }),
        ...(inputs.valIds === undefined ? {} : { valIds: inputs.valIds }),
        ...(inputs.testIds === undefined ? {} : { testIds: inputs.testIds }),
        config: { ...g.configInput, seed },
        experiment: tag,
      });
      if (!r.success) {
        report(['groups', g.key], fromZod(r.error.issues));
        continue;
      }
      runs.push({ index: runs.length, group: g.key, seed, request: r.data, arch: g.arch });
    }
  }
  if (problems.length > 0) return { ok: false, problems: toProblems(problems) };
  return { ok: true, plan: { experiment, groups, runs } };
}

/** Problems as lines, `path: message` (a problem of the whole file without a path). */
export function problemLines(problems: readonly ExperimentProblem[]): string[] {
  return problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message));
}

/** Issues with their paths as text. */
function toProblems(issues: readonly Issue[]): ExperimentProblem[] {
  return issues.map((i) => ({ path: pathText(i.path), message: i.message }));
}
