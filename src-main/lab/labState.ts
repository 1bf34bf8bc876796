/**
 * The queue file of older labs. The lab's training queue now lives in the run index (RunStore.queue);
 * a lab before that kept its order in `<dataDir>/lab-runs.json`. At open, such a file is read once,
 * its order appended to the index's queue, and the file renamed to `lab-runs.json.migrated`, so
 * nothing the user queued is lost and nothing is read twice.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { RunQueue } from '../runs/queue';
import { readStateFile } from './stateFile';

/** The old file's name in the data folder. */
export const LEGACY_QUEUE_FILE = 'lab-runs.json';

const fileSchema = z.object({
  format: z.literal('strata-lab-runs'),
  version: z.literal(1),
  queue: z.array(z.string()),
});

/**
 * Moves the queue of `<dataDir>/lab-runs.json` into `queue`, keeping its order (runs already queued
 * keep their place; ids with no run are skipped), then renames the file aside. Returns the ids taken
 * in, or null when there was no readable file. Safe to repeat: a crash before the rename only makes
 * the next open append the same ids again, which are already there.
 */
export function importLegacyQueue(dataDir: string, queue: RunQueue): string[] | null {
  const file = path.join(dataDir, LEGACY_QUEUE_FILE);
  // A damaged file loses only the order: its runs are still in the run store as queued, and
  // `resumeRun` takes each of them up again.
  const data = readStateFile(file, fileSchema, (aside) =>
    process.stderr.write(`lab: ${file} could not be read; moved it to ${aside}; resume queued runs to start them\n`),
  );
  if (data === null) return null;
  const taken: string[] = [];
  for (const id of data.queue) if (queue.enqueue(id) || queue.has(id)) taken.push(id);
  try {
    fs.renameSync(file, `${file}.migrated`);
  } catch (e) {
    // The queue is in the index already; the next open reads the file again, to no effect.
    process.stderr.write(`lab: took the queue of ${file} into the run index but could not rename the file: ${e instanceof Error ? e.message : String(e)}\n`);
  }
  return taken;
}
