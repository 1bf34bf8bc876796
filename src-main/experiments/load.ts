/**
 * Reading an experiment file: the JSON, the files it names (the data folder and the validation and
 * test id lists, relative to the file's own folder unless absolute), then the whole check of
 * shared/experiments. Every problem is collected before anything is refused.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { planExperiment, type ExperimentPlan, type ExperimentProblem } from '../../shared/experiments';
import { parseIdList } from '../../shared/runs/request';
import type { DataSource } from '../../shared/training/protocol';
import { dataSourceOf } from '../lab/datasets';

/** An experiment file that cannot be run: every problem found, each with its path in the file. */
export class ExperimentFileError extends Error {
  override readonly name = 'ExperimentFileError';
  constructor(
    readonly file: string,
    readonly problems: readonly ExperimentProblem[],
  ) {
    super(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}, nothing was queued:\n  ${problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('\n  ')}`);
  }
}

/** A checked experiment, ready to plan its runs on its data. */
export interface LoadedExperiment {
  /** The experiment file, absolute. */
  file: string;
  plan: ExperimentPlan;
  /** Where its data is: a folder resolved against the file's folder, or the demo set. */
  source: DataSource;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `p` resolved against the experiment file's folder unless it is absolute. */
function beside(file: string, p: string): string {
  return path.resolve(path.dirname(file), p);
}

/** Why `err` stopped a read, as a short code (`ENOENT`). */
function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
}

/**
 * Reads and checks experiment file `file`. Throws {@link ExperimentFileError} with every problem:
 * the file's own (shared/experiments planExperiment), a data folder that does not exist, a
 * validation or test id file that cannot be read or lists no ids.
 */
export async function loadExperiment(file: string): Promise<LoadedExperiment> {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = await fs.readFile(abs, 'utf8');
  } catch (err) {
    throw new ExperimentFileError(abs, [{ path: '', message: `cannot read the experiment file (${code(err)})` }]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ExperimentFileError(abs, [{ path: '', message: `not valid JSON (${err instanceof Error ? err.message : String(err)})` }]);
  }
  const problems: ExperimentProblem[] = [];
  const data = isRecord(raw) && isRecord(raw['data']) ? raw['data'] : {};
  /** The ids of the id file `data[key]` names (resolved beside the experiment file); undefined when it names none or cannot be read (a problem then). */
  const idList = async (key: 'valIds' | 'testIds', what: string): Promise<string[] | undefined> => {
    const given = data[key];
    if (typeof given !== 'string' || given === '') return undefined;
    const idFile = beside(abs, given);
    try {
      const ids = parseIdList(await fs.readFile(idFile, 'utf8'));
      if (ids.length === 0) problems.push({ path: `data.${key}`, message: `${idFile} names no ids` });
      return ids;
    } catch (err) {
      problems.push({ path: `data.${key}`, message: `cannot read the ${what} id file ${idFile} (${code(err)})` });
      return undefined;
    }
  };
  const valIds = await idList('valIds', 'validation');
  const testIds = await idList('testIds', 'test');
  let folder: string | null = null;
  if (typeof data['path'] === 'string' && data['path'] !== '' && data['path'] !== 'demo') {
    folder = beside(abs, data['path']);
    try {
      const st = await fs.stat(folder);
      if (!st.isDirectory()) problems.push({ path: 'data.path', message: `${folder} is not a folder` });
    } catch (err) {
      problems.push({ path: 'data.path', message: `no data folder at ${folder} (${code(err)}); give a TGS-layout folder, relative to the experiment file or absolute, or "demo"` });
    }
  }
  const check = planExperiment(raw, { ...(valIds && valIds.length > 0 ? { valIds } : {}), ...(testIds && testIds.length > 0 ? { testIds } : {}) });
  if (!check.ok) problems.unshift(...check.problems);
  if (!check.ok || problems.length > 0) throw new ExperimentFileError(abs, problems);
  const { subset, demoCount } = check.plan.experiment.data;
  const source = dataSourceOf(folder === null ? { kind: 'demo' } : { kind: 'folder', path: folder }, { subset, demoCount });
  return { file: abs, plan: check.plan, source };
}

/** Whether `target` names a file (an existing path, or one that looks like a path) rather than an experiment name. */
export function isFileArg(target: string): boolean {
  return existsSync(target) || /[./\\]/.test(target);
}
