/**
 * Datasets in the lab: the built-in demo set (always there, always synthetic) and imported folders.
 * Loaded pixels are kept in a small LRU cache, since a full TGS folder takes seconds to import and
 * tens of MB to hold.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { maskCoverage } from '../../shared/data/coverage';
import type { DatasetEntry, SamplePage } from '../../shared/api/types';
import { DEMO_DATASET_ID } from '../../shared/api/types';
import type { DataSource } from '../../shared/training/protocol';
import type { Dataset } from '../data/dataset';
import { sampleImage, sampleMask } from '../data/dataset';
import { makeDemoDataset } from '../data/demo';
import { subsetDataset } from '../data/load';
import { importTgsFolder } from '../data/tgsImport';
import { DatasetRegistry, folderDatasetId } from './datasetRegistry';
import { LabError } from './errors';
import { AsyncLru } from './lru';

/** Samples of the demo set as listed and previewed; a run may ask for another count. */
export const DEMO_COUNT = 400;
/** The demo set's seed. */
export const DEMO_SEED = 1;
/** Loaded datasets kept in memory. */
const CACHE_SIZE = 3;

/** Base64 of raw bytes. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** What a run trains on: where the data comes from, and the data. */
export interface ResolvedData {
  source: DataSource;
  dataset: Dataset;
}

/** Where a run's data is, before a request's data options apply: the demo set, or a folder. */
export type DataOrigin = { kind: 'demo' } | { kind: 'folder'; path: string };

/** A request's data option that does not fit its data: `demoCount` with a folder, `subset` with the demo set. */
export class DataOptionError extends LabError {
  constructor(
    /** The request field that does not apply. */
    readonly field: 'demoCount' | 'subset',
    message: string,
  ) {
    super('bad-request', message);
  }
}

/**
 * The data source of a run on `origin` with a request's data options, for the lab and `strata train`
 * alike: the demo set with `demoCount` samples (default {@link DEMO_COUNT}), or a folder cut to
 * `subset`. An option the data does not take is refused ({@link DataOptionError}), never ignored.
 */
export function dataSourceOf(origin: DataOrigin, opts: { demoCount?: number | undefined; subset?: number | undefined }): DataSource {
  if (origin.kind === 'demo') {
    if (opts.subset !== undefined) throw new DataOptionError('subset', 'subset applies to imported folders; use demoCount for the demo set');
    return { kind: 'demo', count: opts.demoCount ?? DEMO_COUNT, seed: DEMO_SEED };
  }
  if (opts.demoCount !== undefined) throw new DataOptionError('demoCount', 'demoCount applies to the demo dataset only');
  return { kind: 'folder', path: origin.path, ...(opts.subset === undefined ? {} : { subset: opts.subset }) };
}

/** The lab's datasets. */
export class Datasets {
  private readonly registry: DatasetRegistry;
  private readonly cache = new AsyncLru<Dataset>(CACHE_SIZE);

  constructor(dataDir: string) {
    this.registry = new DatasetRegistry(path.join(dataDir, 'datasets.json'));
  }

  /** The demo set first, then imported folders, most recent first. */
  async list(): Promise<DatasetEntry[]> {
    const demo = await this.loadSource({ kind: 'demo', count: DEMO_COUNT, seed: DEMO_SEED });
    return [
      { id: DEMO_DATASET_ID, path: null, synthetic: true, importedAt: null, info: demo.info },
      ...this.registry.list().map((e) => ({ id: e.id, path: e.path, synthetic: e.info.synthetic, importedAt: e.importedAt, info: e.info })),
    ];
  }

  /** The folders of the imported datasets (the demo set has none), without loading any. */
  folders(): string[] {
    return this.registry.list().map((e) => e.path);
  }

  /** The entry `id`; `not-found` when there is none. */
  async entry(id: string): Promise<DatasetEntry> {
    const found = (await this.list()).find((e) => e.id === id);
    if (!found) throw new LabError('not-found', `no dataset ${id}; import its folder first`);
    return found;
  }

  /**
   * Imports (or re-imports) the TGS-layout folder `dir`. Files with problems are skipped and listed
   * in `info.problems`; a folder with nothing usable is a `bad-request` naming why.
   */
  async import(dir: string): Promise<DatasetEntry> {
    const abs = path.resolve(dir);
    const st = await fs.stat(abs).catch(() => null);
    if (!st) throw new LabError('not-found', `there is no folder at ${abs}`);
    if (!st.isDirectory()) throw new LabError('bad-request', `${abs} is a file, not a folder`);
    const key = folderKey(abs);
    this.cache.delete(key);
    const ds = await this.cache.get(key, () => importTgsFolder(abs));
    const e = this.registry.put(abs, ds.info);
    return { id: e.id, path: e.path, synthetic: e.info.synthetic, importedAt: e.importedAt, info: e.info };
  }

  /** Forgets an imported folder (its files stay). The demo set cannot be removed. */
  remove(id: string): void {
    if (id === DEMO_DATASET_ID) throw new LabError('conflict', 'the demo dataset is built in and cannot be removed');
    const e = this.registry.get(id);
    if (!e) throw new LabError('not-found', `no dataset ${id}`);
    this.registry.remove(id);
    this.cache.deleteWhere((k) => k === folderKey(e.path));
  }

  /** Where dataset `id` comes from, for a run: the demo set with `demoCount` samples, or a folder cut to `subset`. */
  sourceOf(id: string, opts: { demoCount?: number | undefined; subset?: number | undefined }): DataSource {
    if (id === DEMO_DATASET_ID) return dataSourceOf({ kind: 'demo' }, opts);
    const e = this.registry.get(id);
    if (!e) throw new LabError('not-found', `no dataset ${id}; import its folder first`);
    return dataSourceOf({ kind: 'folder', path: e.path }, opts);
  }

  /** The data of `source`, from the cache when it is there; the same data a trainer loads for it. */
  async loadSource(source: DataSource): Promise<Dataset> {
    if (source.kind === 'demo') {
      return this.cache.get(`demo:${source.count}:${source.seed}`, async () => makeDemoDataset({ count: source.count, seed: source.seed }));
    }
    const abs = path.resolve(source.path);
    const full = await this.cache.get(folderKey(abs), async () => {
      const ds = await importTgsFolder(abs);
      this.registry.refresh(folderDatasetId(abs), ds.info);
      return ds;
    });
    return source.subset === undefined ? full : subsetDataset(full, source.subset);
  }

  /** A page of dataset `id`'s samples: pixels as base64, mask, coverage and depth. */
  async preview(id: string, offset: number, limit: number): Promise<SamplePage> {
    const source = this.sourceOf(id, {});
    const ds = await this.loadSource(source);
    const pixels = ds.height * ds.width;
    const end = Math.min(ds.ids.length, offset + limit);
    const samples = [];
    for (let i = offset; i < end; i++) {
      const mask = sampleMask(ds, i);
      const depth = ds.depths ? ds.depths[i] : undefined;
      samples.push({
        id: ds.ids[i] as string,
        index: i,
        image: toBase64(sampleImage(ds, i)),
        mask: mask ? toBase64(mask) : null,
        coverage: ds.masks ? maskCoverage(ds.masks, i, pixels) : null,
        depth: depth === undefined || Number.isNaN(depth) ? null : depth,
      });
    }
    return { datasetId: id, total: ds.ids.length, offset, height: ds.height, width: ds.width, synthetic: ds.info.synthetic, samples };
  }
}

function folderKey(abs: string): string {
  return `folder:${abs}`;
}
