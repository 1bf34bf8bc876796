/**
 * The copy of an experiment file kept with its runs: `RUNS/experiments/NAME/vVERSION.json` in the
 * run store's folder, written by `strata experiment run` when it queues the runs. Runs carry only
 * their tag (name, version, group, seed, fingerprint); the copy keeps what the tags cannot: the
 * claim, the description, the factors and their levels in order, and every seed planned, so a report
 * or the lab's view of the experiment needs no file.
 *
 * The copy holds the validation and test ids the file's id files named, as the fingerprints do.
 *
 * A version's copy is never replaced by a file that plans any of its groups differently (another
 * fingerprint): that is refused as the runner refuses runs of another plan. A file of the same plan
 * that differs otherwise (seeds added, the claim or description reworded, the data moved) becomes
 * the version's copy, and the copy it replaces is kept beside it as `vVERSION.<hash>.json`, named by
 * the first 12 hex digits of its content's SHA-256, so no copy is ever lost.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { canonicalJson, planExperiment, problemLines, type ExperimentPlan } from '../../shared/experiments';
import { EXPERIMENT_NAME_PATTERN } from '../../shared/runs/request';
import { unlessMissing, writeFileAtomic } from '../runs/atomic';
import type { LoadedExperiment } from './load';

/** The `format` of a stored copy. */
export const EXPERIMENT_COPY_FORMAT = 'strata-experiment-copy';

const copySchema = z.object({
  format: z.literal(EXPERIMENT_COPY_FORMAT, { error: `format must be "${EXPERIMENT_COPY_FORMAT}"` }),
  /** When the copy was written (ms since the epoch). */
  storedAt: z.number({ error: 'storedAt must be a number' }),
  /** Where the experiment file was, absolute, when its runs were queued. */
  file: z.string({ error: 'file must be text' }),
  /** The validation ids the file's `data.valIds` named (they are part of the groups' fingerprints). */
  valIds: z.array(z.string({ error: 'a validation id must be text' }), { error: 'valIds must be a list' }).optional(),
  /** The test ids the file's `data.testIds` named (part of the fingerprints too). */
  testIds: z.array(z.string({ error: 'a test id must be text' }), { error: 'testIds must be a list' }).optional(),
  /** The experiment file's content, as checked. */
  experiment: z.record(z.string(), z.unknown(), { error: 'experiment must be an object' }),
});
/** A copy's document. */
export type ExperimentCopyDocument = z.output<typeof copySchema>;

/** A stored copy, read and planned again. */
export interface ExperimentCopy {
  /** The copy's own path. */
  path: string;
  /** Where the experiment file was when the copy was written. */
  file: string;
  storedAt: number;
  /** The plan the copy gives: the same groups, fingerprints and seeds as the file it was made from. */
  plan: ExperimentPlan;
}

/** What reading a version's copy found: none, the copy, or a copy that cannot be used (why, in words). */
export type CopyRead = { state: 'none'; path: string } | { state: 'ok'; copy: ExperimentCopy } | { state: 'bad'; path: string; problem: string };

/** The folder of experiment `name`'s copies in the store at `storeRoot`. */
export function experimentCopyDir(storeRoot: string, name: string): string {
  // The name is the tag's, checked by the run request schema; checked again because it names a folder.
  if (!EXPERIMENT_NAME_PATTERN.test(name)) throw new Error(`'${name}' is not an experiment name`);
  return path.join(storeRoot, 'experiments', name);
}

/** Where version `version` of experiment `name` keeps its copy. */
export function experimentCopyPath(storeRoot: string, name: string, version: number): string {
  return path.join(experimentCopyDir(storeRoot, name), `v${version}.json`);
}

/** The document a loaded experiment is stored as. */
function documentOf(loaded: LoadedExperiment, now: number): ExperimentCopyDocument {
  const { valIds, testIds } = loaded.plan.runs[0]?.request ?? {};
  return {
    format: EXPERIMENT_COPY_FORMAT,
    storedAt: now,
    file: loaded.file,
    ...(valIds === undefined ? {} : { valIds }),
    ...(testIds === undefined ? {} : { testIds }),
    experiment: { ...loaded.plan.experiment },
  };
}

/** What makes two copies the same: the experiment and its validation and test ids (not when or from where they were stored). */
function contentKey(d: Pick<ExperimentCopyDocument, 'experiment' | 'valIds' | 'testIds'>): string {
  return canonicalJson({ experiment: d.experiment, valIds: d.valIds, testIds: d.testIds });
}

/** Reads version `version`'s copy of experiment `name` and plans it again. */
export function readExperimentCopy(storeRoot: string, name: string, version: number): CopyRead {
  const file = experimentCopyPath(storeRoot, name, version);
  const text = unlessMissing(() => fs.readFileSync(file, 'utf8'), null);
  if (text === null) return { state: 'none', path: file };
  const bad = (problem: string): CopyRead => ({ state: 'bad', path: file, problem: `the copy of the experiment file at ${file} cannot be used: ${problem}` });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return bad(`not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const doc = copySchema.safeParse(raw);
  if (!doc.success) return bad(doc.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
  const check = planExperiment(doc.data.experiment, { ...(doc.data.valIds === undefined ? {} : { valIds: doc.data.valIds }), ...(doc.data.testIds === undefined ? {} : { testIds: doc.data.testIds }) });
  if (!check.ok) return bad(`it no longer plans (${problemLines(check.problems).join('; ')})`);
  const e = check.plan.experiment;
  if (e.name !== name || e.version !== version) return bad(`it is experiment ${e.name} version ${e.version}, not ${name} version ${version}`);
  return { state: 'ok', copy: { path: file, file: doc.data.file, storedAt: doc.data.storedAt, plan: check.plan } };
}

/** A group the stored copy plans with another fingerprint than the file. */
export interface CopyConflict {
  group: string;
  copyPath: string;
}

/** What {@link keepExperimentCopy} did: wrote the first copy, found the same one, or replaced one (kept at `previous`). */
export type CopyWrite = { path: string; action: 'written' | 'unchanged' } | { path: string; action: 'replaced'; previous: string };

/** Thrown by {@link keepExperimentCopy} when the copy plans a group differently; nothing is written. */
export class ExperimentCopyConflict extends Error {
  override readonly name = 'ExperimentCopyConflict';
  constructor(
    message: string,
    readonly conflicts: readonly CopyConflict[],
  ) {
    super(message);
  }
}

/** How {@link keepExperimentCopy} goes about it. */
export interface KeepCopyOptions {
  /** False: check and say what would be done, writing nothing (a dry run). Default true. */
  write?: boolean;
  /** The time stored in the copy; default now. */
  now?: number;
}

/**
 * Stores `loaded`'s file as its version's copy in the store at `storeRoot` (atomically), unless the
 * same content is there already. A copy whose plan gives one of the file's groups another
 * fingerprint is not replaced: {@link ExperimentCopyConflict}. A copy that differs otherwise, or that
 * cannot be read, is kept beside the new one as `vVERSION.<hash>.json`.
 */
export function keepExperimentCopy(storeRoot: string, loaded: LoadedExperiment, opts: KeepCopyOptions = {}): CopyWrite {
  const e = loaded.plan.experiment;
  const target = experimentCopyPath(storeRoot, e.name, e.version);
  const doc = documentOf(loaded, opts.now ?? Date.now());
  const write = opts.write ?? true;
  const existing = readExperimentCopy(storeRoot, e.name, e.version);
  if (existing.state === 'ok') {
    const stored = existing.copy.plan;
    const fingerprints = new Map(loaded.plan.groups.map((g) => [g.key, g.fingerprint]));
    const changed = stored.groups.filter((g) => fingerprints.has(g.key) && fingerprints.get(g.key) !== g.fingerprint).map((g) => g.key);
    if (changed.length > 0) {
      throw new ExperimentCopyConflict(
        `experiment ${e.name} version ${e.version}: the design or settings of group${changed.length > 1 ? 's' : ''} ${changed.join(', ')} changed since the copy of the file stored with its runs (${target}). ` +
          `Runs of one version must come from one plan: bump "version" (to ${e.version + 1}) to run the changed experiment as a new one, or undo the change`,
        changed.map((group) => ({ group, copyPath: target })),
      );
    }
    const storedDoc = copySchema.parse(JSON.parse(fs.readFileSync(target, 'utf8')));
    if (contentKey(storedDoc) === contentKey(doc)) return { path: target, action: 'unchanged' };
  }
  let previous: string | null = null;
  const bytes = existing.state === 'none' ? null : fs.readFileSync(target);
  if (bytes) previous = path.join(path.dirname(target), `v${e.version}.${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}.json`);
  if (write) {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    // Named by its content: a file already there under that name holds the same bytes.
    if (bytes && previous && !fs.existsSync(previous)) writeFileAtomic(previous, bytes);
    writeFileAtomic(target, `${JSON.stringify(doc, null, 2)}\n`);
  }
  return previous === null ? { path: target, action: 'written' } : { path: target, action: 'replaced', previous };
}
