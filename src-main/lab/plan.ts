/**
 * The one way a run is created: `strata train` and the lab (`startRun`, `estimateEpoch`) both plan
 * a run here from a parsed run request (shared/runs/request.ts), so both load the data the same way,
 * refuse a design that does not fit it with the same reason, split it the same way (a fraction, or a
 * fixed validation id list) and name the run the same way.
 */
import type { Architecture } from '../../shared/arch/types';
import type { RunRequest } from '../../shared/runs/request';
import type { RunConfig, RunInit } from '../../shared/runs/types';
import type { DataSource } from '../../shared/training/protocol';
import type { Dataset } from '../data/dataset';
import { splitDataset, SplitError, type Split } from '../data/split';
import { LabError } from './errors';
import { checkDesignFits, runDatasetOf } from './runData';
import { runVersions } from './versions';

/** Where a request's design and data come from: the lab resolves them by reference, the CLI from a file and a folder. */
export interface PlanSources {
  /** The design, loaded and checked. */
  arch: Architecture;
  /** Where the data is; the trainer loads the same source itself. */
  source: DataSource;
  /** Loads the data of `source` (the lab's cache; the CLI's loader, which reports a folder's problems). */
  load(source: DataSource): Promise<Dataset>;
}

/** A planned run: what the store creates it from, and the data and split it was planned on. */
export interface RunPlan {
  init: RunInit;
  config: RunConfig;
  source: DataSource;
  dataset: Dataset;
  /** Sample indices of each side, into `dataset`. */
  split: Split;
}

/** The default name of a run: its design and its data. */
export function defaultRunName(arch: Architecture, ds: Dataset): string {
  return `${arch.name} · ${ds.info.name}`;
}

/**
 * Plans the run `request` asks for: loads the data, checks the design fits it, splits it (the fixed
 * validation ids when given, else `config.valFraction` stratified by coverage and fixed by the seed)
 * and names it. Refusals are `bad-request` LabErrors naming what is wrong.
 */
export async function planRun(request: RunRequest, sources: PlanSources): Promise<RunPlan> {
  const { arch, source } = sources;
  const config = request.config;
  const dataset = await sources.load(source);
  checkDesignFits(arch, dataset);
  let split: Split;
  try {
    split = splitDataset(dataset, { valFraction: config.valFraction, seed: config.seed, ...(request.valIds ? { fixedValIds: request.valIds } : {}) });
  } catch (e) {
    if (!(e instanceof SplitError)) throw e;
    throw new LabError('bad-request', e.message);
  }
  const ids = (idx: number[]) => idx.map((i) => dataset.ids[i] as string);
  const init: RunInit = {
    name: request.name ?? defaultRunName(arch, dataset),
    arch,
    config,
    dataset: runDatasetOf(dataset),
    split: { train: ids(split.train), val: ids(split.val) },
    versions: runVersions(),
  };
  return { init, config, source, dataset, split };
}
