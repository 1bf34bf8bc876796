/**
 * The one way a run is created: `strata train` and the lab (`startRun`, `estimateEpoch`) both plan
 * a run here from a parsed run request (shared/runs/request.ts), so both load the data the same way,
 * refuse a design that does not fit it with the same reason, split it the same way (fractions, or
 * fixed validation and test id lists), check a warm start the same way and name the run the same way.
 */
import { saltWeightProblem, withBnPlacement, withSaltLossWeight } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import { firstWeightMismatch, weightSpecs, WeightListError } from '../../shared/arch/weights';
import type { RunRequest } from '../../shared/runs/request';
import type { RunConfig, RunDataset, RunInit, RunRecord, RunSplit } from '../../shared/runs/types';
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
  /**
   * What the run is created despite, for its creator to show: a warm start whose weights have seen
   * validation images of this run (validation then chooses on images the weights were fitted or chosen on).
   */
  warnings: string[];
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
  const { source } = sources;
  const config = request.config;
  // A run's salt head weight replaces its design's, so the stored design is the one trained.
  const problem = config.saltHeadWeight === undefined ? null : saltWeightProblem(sources.arch);
  if (problem !== null) throw new LabError('bad-request', `salt head weight: ${problem}`);
  const arch = withSaltLossWeight(sources.arch, config.saltHeadWeight);
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
  const ids = (idx: number[]) => idx.map((i) => dataset.ids[i] as string);
  const runSplit = { train: ids(split.train), val: ids(split.val), test: ids(split.test) };
  const runDataset = runDatasetOf(dataset);
  const warnings: string[] = [];
  if (config.initFrom) {
    checkInitFrom(config.initFrom, arch, config, sources.runs);
    const seen = seenByWeights(config.initFrom.runId, runDataset, runSplit, sources.runs);
    checkTestUnseen(seen, sources.runs);
    const val = seenValidationWarning(seen);
    if (val !== null) warnings.push(val);
  }
  const init: RunPlan['init'] = {
    name: request.name ?? defaultRunName(arch, dataset),
    arch,
    config,
    dataset: runDataset,
    split: runSplit,
    versions: runVersions(),
    ...(request.experiment ? { experiment: request.experiment } : {}),
  };
  return { init, config, source, dataset, split, warnings };
}

/** What the weights a warm start copies have seen of a new run's split. */
export interface SeenByWeights {
  /** The run the weights come from. */
  runId: string;
  /** The new run's test ids that the source run, or a run its weights came from in turn, trained on or validated on. */
  test: { trained: string[]; validated: string[] };
  /** The new run's validation ids that those runs trained on (validated on is no harm: no weight was fitted to them). */
  val: string[];
  /** The runs of the chain whose data was this run's, the source first. */
  runs: string[];
}

/**
 * Whether two runs' sample ids name the same images: the same data (equal fingerprints), or the same
 * folder, one run on a subset of it (`--subset`: the folder's first N ids, so an id is the same file).
 */
function sameImages(a: RunDataset, b: RunDataset): boolean {
  if (a.fingerprint === b.fingerprint) return true;
  return a.source.kind === 'folder' && b.source.kind === 'folder' && a.source.path === b.source.path;
}

/**
 * The new run's ids (of `split`, on `data`) that the weights of run `runId` have seen: its training and
 * validation ids, and those of the runs it started from in turn (their weights are in its weights), for
 * each run of that chain whose ids name the same images (sameImages). The chain ends at a run without
 * `initFrom`, one no longer in the store, or a run already visited.
 */
export function seenByWeights(runId: string, data: RunDataset, split: RunSplit, runs: Pick<RunStore, 'get'>): SeenByWeights {
  const trained = new Set<string>();
  const validated = new Set<string>();
  const chain: string[] = [];
  const visited = new Set<string>();
  for (let id: string | undefined = runId; id !== undefined && !visited.has(id); ) {
    visited.add(id);
    let rec: RunRecord;
    try {
      rec = runs.get(id);
    } catch (e) {
      if (e instanceof RunNotFoundError || e instanceof InvalidRunIdError) break;
      throw e;
    }
    if (sameImages(rec.dataset, data)) {
      chain.push(id);
      for (const t of rec.split.train) trained.add(t);
      for (const v of rec.split.val) validated.add(v);
    }
    id = rec.config.initFrom?.runId;
  }
  return {
    runId,
    test: { trained: split.test.filter((t) => trained.has(t)), validated: split.test.filter((t) => !trained.has(t) && validated.has(t)) },
    val: split.val.filter((v) => trained.has(v)),
    runs: chain,
  };
}

/** The first few of `ids`, for a message. */
function examples(ids: readonly string[]): string {
  return ids.length <= 3 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')}, ...`;
}

/** Who has seen the images, for a message: the source run, and the runs its weights came from when they count. */
function seers(seen: SeenByWeights): string {
  const before = seen.runs.filter((r) => r !== seen.runId);
  return before.length === 0 ? `run ${seen.runId}` : `run ${seen.runId} (with the run${before.length > 1 ? 's' : ''} its weights came from, ${before.join(', ')})`;
}

/**
 * A test set must be images the weights never saw: a warm start whose source (or a run before it) trained
 * or chose a checkpoint on any of the new run's test ids is refused, naming how many and a few of them.
 */
function checkTestUnseen(seen: SeenByWeights, runs: Pick<RunStore, 'get'>): void {
  const { trained, validated } = seen.test;
  const n = trained.length + validated.length;
  if (n === 0) return;
  const how = [trained.length ? `trained on ${trained.length}` : '', validated.length ? `validated on ${validated.length}` : ''].filter(Boolean).join(' and ');
  const hasTest = runs.get(seen.runId).split.test.length > 0;
  const fix = hasTest
    ? "use the source run's test ids (--test-ids) or start fresh"
    : `run ${seen.runId} held no test images apart, so start fresh or start from a run that did`;
  throw new LabError(
    'bad-request',
    `${seers(seen)} ${how} of this run's test images (e.g. ${examples([...trained, ...validated])}); a test set must be images the weights never saw: ${fix}`,
  );
}

/**
 * The warning for a warm start whose source (or a run before it) trained on some of the new run's
 * validation ids, or null when it trained on none. Such a run is allowed (its test set, checked above,
 * stays honest), but its checkpoint, threshold and minimum area are chosen on images the weights were
 * fitted to, and its validation score flatters it.
 */
export function seenValidationWarning(seen: SeenByWeights): string | null {
  const n = seen.val.length;
  if (n === 0) return null;
  return (
    `${seers(seen)} trained on ${n} of this run's validation images (e.g. ${examples(seen.val)}): ` +
    'its checkpoint, threshold and minimum area are chosen partly on images the weights were fitted to, so its validation score is optimistic; its test score is not affected'
  );
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
