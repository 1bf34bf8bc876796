/**
 * What the lab must remember about its runs beyond the run store: the order of its training queue,
 * so queued runs survive a restart. Only runs in this queue are started by the lab on its own: a run
 * another program has just created is also `queued` for a moment, and must not be started twice.
 * Kept in `<dataDir>/lab-runs.json`, written atomically.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../runs/atomic';
import { readStateFile } from './stateFile';

const fileSchema = z.object({
  format: z.literal('strata-lab-runs'),
  version: z.literal(1),
  queue: z.array(z.string()),
});

/** The persisted queue. */
export class LabRunsState {
  queue: string[] = [];

  constructor(readonly file: string) {
    // A damaged file loses only the order: the runs are still in the run store as queued, and
    // `resumeRun` takes each of them up again.
    const data = readStateFile(file, fileSchema, (aside) =>
      process.stderr.write(`lab: ${file} could not be read; moved it to ${aside}; resume queued runs to start them\n`),
    );
    if (data !== null) this.queue = data.queue;
  }

  /** Writes the state. */
  save(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileAtomic(this.file, `${JSON.stringify({ format: 'strata-lab-runs', version: 1, queue: this.queue })}\n`);
  }
}
