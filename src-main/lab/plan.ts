/**
 * The one way a run is created: `strata train` and the lab (`startRun`, `estimateEpoch`) both plan
 * a run here from a parsed run request (shared/runs/request.ts), so both load the data the same way,
 * refuse a design that does not fit it with the same reason, split it the same way (fractions, or
 * fixed validation and test id lists), check a warm start the same way and name the run the same way.
 */
import { withBnPlacement } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import { firstWeightMismatch, weightSpecs, WeightListError } from '../../shared/arch/weights';
import type { RunRequest } from '../../shared/runs/request';
import type { RunConfig, RunInit, RunRecord, RunSplit } from '../../shared/runs/types';
import type { DataSource } from '../../shared/training/protocol';
import type { Dataset } from '../data/dataset';
import { splitDataset, SplitError, type Split } from '../data/split';
import { InvalidRunIdError, RunNotFoundError } from '../runs/errors';
import type { RunStore } from '../runs/store';
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
  /** The run store the new run goes into: a warm start (`config.initFrom`) takes its weights from a run of it. */
  runs: Pick<RunStore, 'get' | 'checkpointInfo'>;
}

/** A planned run: what the store creates it from, and the data and split it was planned on. */
export interface RunPlan {
  /** Its split always names the test set (empty without one). */
  init: RunInit & { split: RunSplit };
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
 * Plans the run `request` asks for: loads the data, checks the design fits it, splits it (see
 * data/split.ts: the fixed test ids or `config.testFraction` first, then the fixed validation ids or
 * `config.valFraction`, stratified by coverage and fixed by the seed), checks a warm start's source
 * (see {@link checkInitFrom}) and names it. Refusals are `bad-request` LabErrors naming what is wrong.
 */
export async function planRun(request: RunRequest, sources: PlanSources): Promise<RunPlan> {
  const { arch, source } = sources;
  const config = request.config;
  const dataset = await sources.load(source);
  checkDesignFits(arch, dataset);
  let split: Split;
  try {
    split = splitDataset(dataset, {
      valFraction: config.valFraction,
      seed: config.seed,
      testFraction: config.testFraction,
      ...(request.valIds ? { fixedValIds: request.valIds } : {}),
      ...(request.testIds ? { fixedTestIds: request.testIds } : {}),
    });
  } catch (e) {
    if (!(e instanceof SplitError)) throw e;
    throw new LabError('bad-request', e.message);
  }
  if (config.initFrom) checkInitFrom(config.initFrom, arch, config, sources.runs);
  const ids = (idx: number[]) => idx.map((i) => dataset.ids[i] as string);
  const init: RunPlan['init'] = {
    name: request.name ?? defaultRunName(arch, dataset),
    arch,
    config,
    dataset: runDatasetOf(dataset),
    split: { train: ids(split.train), val: ids(split.val), test: ids(split.test) },
    versions: runVersions(),
  };
  return { init, config, source, dataset, split };
}

/**
 * A warm start's source must be a run of this store with the checkpoint asked for, and its design
 * (as it trained, after its BN placement) must have exactly the weights this one needs: the same
 * names with the same shapes. Compared on the designs, not on the checkpoint's data, so nothing
 * large is read; the trainer's copy checks every tensor again (training/trainingContext.ts).
 */
export function checkInitFrom(initFrom: NonNullable<RunConfig['initFrom']>, arch: Architecture, config: RunConfig, runs: PlanSources['runs']): void {
  const { runId, checkpoint } = initFrom;
  let from: RunRecord;
  try {
    from = runs.get(runId);
  } catch (e) {
    if (e instanceof RunNotFoundError) throw new LabError('bad-request', `cannot start from run ${runId}: there is no such run in the run store`);
    if (e instanceof InvalidRunIdError) throw new LabError('bad-request', `cannot start from run ${JSON.stringify(runId)}: that is not a run id (a run id looks like 20250607-153012-123-k3j9x2)`);
    throw e;
  }
  if (!runs.checkpointInfo(runId, checkpoint)) {
    const other = checkpoint === 'best' ? 'last' : 'best';
    const alt = runs.checkpointInfo(runId, other);
    const hint = alt ? ` (it has a ${other} checkpoint, of epoch ${alt.epoch + 1})` : ' (it has no checkpoint at all: it has not finished an epoch)';
    throw new LabError('bad-request', `cannot start from run ${runId}: run ${runId} has no ${checkpoint} checkpoint yet${hint}`);
  }
  let had, needed;
  try {
    had = weightSpecs(withBnPlacement(from.arch, from.config.bnPlacement));
    needed = weightSpecs(withBnPlacement(arch, config.bnPlacement));
  } catch (e) {
    if (e instanceof WeightListError) throw new LabError('bad-request', `cannot start from run ${runId}: ${e.message}`);
    throw e;
  }
  const mismatch = firstWeightMismatch(had, needed);
  if (mismatch !== null) {
    throw new LabError(
      'bad-request',
      `cannot start from run ${runId}: its design (${from.arch.name}, BN at ${from.config.bnPlacement}) has ${had.length} weights, ` +
        `this design (${arch.name}, BN at ${config.bnPlacement}) needs ${needed.length}, and they differ: ${mismatch}`,
    );
  }
}
