/** Run ids: made here, and checked before any id from outside touches the file system. */
import path from 'node:path';
import { randomInt } from 'node:crypto';
import { RUN_ID_PATTERN } from '../../shared/runs/types';
import { InvalidRunIdError } from './errors';

const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** A fresh run id for a run created at `now` (ms): sortable by time, unique by its random suffix. */
export function newRunId(now: number = Date.now()): string {
  const d = new Date(now);
  const date = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`;
  const time = `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}`;
  let suffix = '';
  for (let i = 0; i < 6; i++) suffix += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return `${date}-${time}-${pad(d.getUTCMilliseconds(), 3)}-${suffix}`;
}

/** Returns `id` if it is shaped like a run id; throws {@link InvalidRunIdError} otherwise. */
export function assertRunId(id: unknown): string {
  if (typeof id !== 'string' || !RUN_ID_PATTERN.test(id)) throw new InvalidRunIdError(id);
  return id;
}

/**
 * The folder of run `id` under `runsDir`. The id is checked, and the joined path must still lie
 * inside `runsDir`, so no value can lead the store outside its root.
 */
export function runFolder(runsDir: string, id: unknown): string {
  const safe = assertRunId(id);
  const dir = path.resolve(runsDir, safe);
  if (path.dirname(dir) !== path.resolve(runsDir)) throw new InvalidRunIdError(id);
  return dir;
}
