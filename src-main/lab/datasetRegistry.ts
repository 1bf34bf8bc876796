/**
 * The lab's list of imported dataset folders, kept in `<dataDir>/datasets.json` (written atomically).
 * It records where each folder is and what its last import found, so listing needs no re-import.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { DatasetInfo, DatasetProblemCode } from '../../shared/data/types';
import { writeFileAtomic } from '../runs/atomic';
import { readStateFile } from './stateFile';

/** One imported folder. */
export interface RegisteredDataset {
  id: string;
  path: string;
  importedAt: number;
  info: DatasetInfo;
}

const problemSchema = z.object({
  code: z.custom<DatasetProblemCode>((v) => typeof v === 'string'),
  severity: z.enum(['error', 'warning']),
  file: z.string(),
  line: z.number().optional(),
  id: z.string().optional(),
  message: z.string(),
});

const infoSchema = z.object({
  name: z.string(),
  source: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('folder'), path: z.string(), subset: z.number().optional() }),
    z.object({ kind: z.literal('demo'), seed: z.number(), count: z.number() }),
  ]),
  synthetic: z.boolean(),
  count: z.number().int().min(0),
  height: z.number().int().min(1),
  width: z.number().int().min(1),
  labelled: z.boolean(),
  hasDepths: z.boolean(),
  fingerprint: z.string(),
  problems: z.array(problemSchema),
  saltCoverage: z.object({ empty: z.number(), mean: z.number(), bins: z.array(z.number()) }).nullable(),
}) satisfies z.ZodType<DatasetInfo>;

const fileSchema = z.object({
  format: z.literal('strata-datasets'),
  version: z.literal(1),
  datasets: z.array(z.object({ id: z.string(), path: z.string(), importedAt: z.number(), info: infoSchema })),
});

/** The id of the folder at `dir`: stable, so importing a folder again updates its entry. */
export function folderDatasetId(dir: string): string {
  return `f-${createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 12)}`;
}

/** The registry file and its entries. Synchronous: the file is small and written rarely. */
export class DatasetRegistry {
  private entries: RegisteredDataset[];

  constructor(readonly file: string) {
    this.entries = DatasetRegistry.read(file);
  }

  /** Reads the file; a damaged one is set aside (never deleted) and the lab starts with an empty list. */
  private static read(file: string): RegisteredDataset[] {
    try {
      const data = readStateFile(file, fileSchema, (aside) =>
        process.stderr.write(`lab: ${file} could not be read as a dataset list; moved it to ${aside} and started an empty list\n`),
      );
      return data?.datasets ?? [];
    } catch (e) {
      throw new Error(`cannot read the dataset list ${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  private write(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileAtomic(this.file, `${JSON.stringify({ format: 'strata-datasets', version: 1, datasets: this.entries }, null, 1)}\n`);
  }

  /** Every entry, most recently imported first. */
  list(): RegisteredDataset[] {
    return [...this.entries].sort((a, b) => b.importedAt - a.importedAt);
  }

  /** The entry `id`, or undefined. */
  get(id: string): RegisteredDataset | undefined {
    return this.entries.find((e) => e.id === id);
  }

  /** Adds or replaces the entry of folder `dir`. */
  put(dir: string, info: DatasetInfo): RegisteredDataset {
    const entry: RegisteredDataset = { id: folderDatasetId(dir), path: path.resolve(dir), importedAt: Date.now(), info };
    this.entries = [...this.entries.filter((e) => e.id !== entry.id), entry];
    this.write();
    return entry;
  }

  /** Updates what is known of an entry's data after a fresh load, keeping its place and import time. */
  refresh(id: string, info: DatasetInfo): void {
    const e = this.entries.find((x) => x.id === id);
    if (!e || e.info.fingerprint === info.fingerprint) return;
    e.info = info;
    this.write();
  }

  /** Removes entry `id`; true when there was one. The folder itself is never touched. */
  remove(id: string): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.id !== id);
    if (this.entries.length === before) return false;
    this.write();
    return true;
  }
}
