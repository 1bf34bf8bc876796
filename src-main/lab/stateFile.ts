/**
 * The lab's small JSON state files (the dataset list, the run queue): read whole and checked with
 * a schema. A damaged file is never deleted: it is moved aside to `<file>.damaged-<ms>`, so the
 * lab can start afresh while the user keeps what was there.
 */
import fs from 'node:fs';
import type { z } from 'zod';
import { unlessMissing } from '../runs/atomic';

/**
 * The file's content, or null when it does not exist or is damaged (not JSON, or not what `schema`
 * takes). A damaged file is moved aside and `onDamaged` gets where it went. Read errors other
 * than a missing file propagate.
 */
export function readStateFile<T>(file: string, schema: z.ZodType<T>, onDamaged: (aside: string) => void): T | null {
  const text = unlessMissing(() => fs.readFileSync(file, 'utf8'), null);
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const r = schema.safeParse(json);
  if (r.success) return r.data;
  const aside = `${file}.damaged-${Date.now()}`;
  fs.renameSync(file, aside);
  onDamaged(aside);
  return null;
}
