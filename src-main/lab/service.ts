/**
 * The lab service: ONE layer that owns datasets, designs, runs and predictions. It knows nothing of
 * how it is reached (Electron IPC, HTTP, tests). Each API channel is served by the method of the same
 * name, called with the channel's checked parameters (handlers.ts derives the handler table from this
 * class, so there is no table to keep in step). It never loads tfjs: training happens in trainer processes.
 */
import type { Architecture } from '../../shared/arch/types';
import type { ChannelParams as P } from '../../shared/api/channels';
import type {
  BackendInfo,
  DatasetEntry,
  DesignCheck,
  DesignListItem,
  DesignRecord,
  EpochEstimate,
  FolderPrediction,
  PredictionsView,
  PresetInfo,
  QueueState,
  RunList,
  RunsChanged,
  SamplePage,
  SubmissionExport,
} from '../../shared/api/types';
import type { BatchMetric, EpochMetric, RunEvent, RunListQuery, RunRecord, RunSummary } from '../../shared/runs/types';
import type { BackendProbe, TrainerMessage, UpsamplerResponse } from '../../shared/training/protocol';
import type { ExperimentListItem, ExperimentView } from '../../shared/experiments/view';
import { bnPlacementOf } from '../../shared/arch';
import { RunInputError } from '../runs/errors';
import { rewindToBeforeJump } from '../runs/rewind';
import { RunStore } from '../runs/store';
import { Datasets } from './datasets';
import { checkDesign, Designs, listPresets, presetArch } from './designs';
import { experimentViewOf, listExperiments } from './experiments';
import { installFaultHandlers } from './faultHandlers';
import { LabError } from './errors';
import { importLegacyQueue } from './labState';
import { lockDataDir } from './lock';
import { refuseLabFolder, type LabDirs } from './paths';
import { FolderPredictor } from './folderPredict';
import { predictionPage } from './predictionView';
import { RunFinalizer } from './runFinalizer';
import { RunManager } from './runManager';
import { benchmarkInTrainer, probeBackendInTrainer, upsamplersInTrainer } from './trainerHost';
import { planRun } from './plan';
import { checkDroppedFolder, writeDesignFile } from './shell';

/** What a new run is made of, as the `startRun` channel parsed it (settings left out already hold their defaults). */
export type StartRunRequest = P<'startRun'>;
/** What an epoch estimate is made of, as the `estimateEpoch` channel parsed it. */
export type EstimateEpochRequest = P<'estimateEpoch'>;

/** How the lab behaves, beyond where it keeps its data. */
export interface LabOptions {
  /** How long the training run may take to stop when the lab closes before its trainer is killed; default 15 s. */
  shutdownGraceMs?: number;
}

/** The lab service. Open it with {@link LabService.open}; close it to stop training and release the store. */
export class LabService {
  readonly datasets: Datasets;
  readonly designs: Designs;
  /** Folder predictions and submissions. */
  private readonly folders: FolderPredictor;
  private readonly runs: RunManager;
  /** Post-processing chosen after training, in trainer processes. */
  private readonly finalizer: RunFinalizer;
  private closed = false;
  private probe: { available: BackendProbe | null; problem: string | null } = { available: null, problem: null };

  private constructor(
    readonly dirs: LabDirs,
    private readonly store: RunStore,
    private readonly unlock: () => void,
    opts: LabOptions,
  ) {
    this.datasets = new Datasets(dirs.dataDir);
    this.designs = new Designs(dirs.dataDir);
    this.folders = new FolderPredictor(store, this.datasets, dirs.runsDir);
    this.runs = new RunManager(store, opts.shutdownGraceMs);
    this.finalizer = new RunFinalizer(store, dirs.runsDir, () => this.runs.queueState());
  }

  /**
   * Opens the lab on `dirs`: takes the data folder's lock, opens the run store (which marks runs
   * whose trainer died as interrupted), and takes up the queue left by the last session (an older
   * lab's lab-runs.json is moved into the run index first).
   */
  static open(dirs: LabDirs, opts: LabOptions = {}): LabService {
    const unlock = lockDataDir(dirs.dataDir);
    let store: RunStore;
    try {
      store = RunStore.open(dirs.runsDir);
    } catch (e) {
      unlock();
      throw e;
    }
    const lab = new LabService(dirs, store, unlock, opts);
    importLegacyQueue(dirs.dataDir, store.queue);
    lab.runs.restore();
    lab.probeBackend();
    return lab;
  }

  /**
   * Installs this process's last-resort handlers for this lab (faultHandlers.ts): an uncaught
   * exception or unhandled rejection is logged with `log` and the lab goes on serving; one that names
   * a run (a RunFault) fails that run with its reason. Returns the function that removes them.
   */
  installFaultHandlers(log: (line: string) => void): () => void {
    return installFaultHandlers('lab', { log, failRun: (id, reason) => this.runs.failRun(id, reason) });
  }

  // Datasets

  /** The demo set and every imported folder, with what their import found. */
  listDatasets(): Promise<DatasetEntry[]> {
    return this.datasets.list();
  }

  /** Imports a TGS-layout folder; its problems are listed in the entry. */
  importDataset({ path: dir }: P<'importDataset'>): Promise<DatasetEntry> {
    refuseLabFolder(dir, this.dirs, 'the dataset folder');
    return this.datasets.import(dir);
  }

  /** Forgets an imported folder (its files stay). */
  removeDataset({ id }: P<'removeDataset'>): { removed: string } {
    this.datasets.remove(id);
    return { removed: id };
  }

  /** A page of a dataset's samples. */
  previewSamples({ datasetId, offset, limit }: P<'previewSamples'>): Promise<SamplePage> {
    return this.datasets.preview(datasetId, offset, limit);
  }

  // Designs

  /** The built-in designs. */
  listPresets(): PresetInfo[] {
    return listPresets();
  }

  /** A fresh copy of a preset. */
  getPreset({ name }: P<'getPreset'>): Architecture {
    return presetArch(name);
  }

  /** Saved designs. */
  listDesigns(): DesignListItem[] {
    return this.designs.list();
  }

  /** A saved design with its validity. */
  loadDesign({ id }: P<'loadDesign'>): DesignRecord {
    return this.designs.load(id);
  }

  /** Saves a design, valid or not. */
  saveDesign({ arch, id }: P<'saveDesign'>): DesignRecord {
    return this.designs.save(arch, id);
  }

  /** Checks a design without saving it. */
  validateDesign({ arch }: P<'validateDesign'>): DesignCheck {
    return checkDesign(arch);
  }

  /** Checks a preset or a saved design where it lives; a saved design that is invalid keeps its own errors. */
  checkDesign({ design: ref }: P<'checkDesign'>): DesignCheck {
    if (ref.kind === 'preset') return checkDesign(presetArch(ref.name));
    const rec = this.designs.load(ref.id);
    return rec.valid ? checkDesign(rec.arch) : { valid: false, errors: rec.errors, summary: null, arch: null };
  }

  /**
   * The note's checkerboard test of a design as initialised: each upsampler fed a constant, an impulse
   * and noise, with its output's checkerboard score and map. Runs in a trainer process (tfjs).
   */
  async upsamplerResponses({ arch: doc, init, bnPlacement: bn, seed }: P<'upsamplerResponses'>): Promise<UpsamplerResponse[]> {
    const check = checkDesign(doc);
    if (!check.valid || !check.arch) throw new LabError('bad-request', `the design is invalid: ${check.errors.slice(0, 3).map((e) => e.message).join('; ')}`);
    const arch = check.arch;
    const placement = bnPlacementOf(arch);
    const r = await upsamplersInTrainer(
      { arch, init: init ?? arch.init, bnPlacement: bn ?? (placement === 'custom' ? 'samplers' : placement), seed },
      { timeoutMs: 120_000 },
    );
    if (r.type === 'upsamplers-failed') throw new LabError('unavailable', `the upsampler test failed: ${r.message}`);
    return r.responses;
  }

  /** Deletes a saved design. */
  deleteDesign({ id }: P<'deleteDesign'>): { deleted: string } {
    this.designs.delete(id);
    return { deleted: id };
  }

  /** The folder at `path`, or a `bad-request` saying what a path dropped on the page is instead. */
  checkDroppedFolder({ path: p }: P<'checkDroppedFolder'>): { path: string } {
    return checkDroppedFolder(p);
  }

  /** Writes a design as JSON to `path` (chosen with the save dialog). */
  writeDesignFile({ path: p, arch }: P<'writeDesignFile'>): { path: string; bytes: number } {
    return writeDesignFile(p, arch);
  }

  // Runs

  /** Runs matching `q`, and how many match in all. */
  listRuns(q: RunListQuery): RunList {
    const { limit: _l, offset: _o, ...filter } = q;
    return { runs: this.store.list(q), total: this.store.count(filter) };
  }

  /** One run in full. */
  getRun({ id }: P<'getRun'>): RunRecord {
    return this.store.get(id);
  }

  /**
   * What starting a run takes, shared by starting and estimating one so both refuse the same input
   * with the same reason: the design, the checked settings, the data (fitting the design) and its split.
   */
  private prepareRun(req: StartRunRequest | EstimateEpochRequest) {
    this.assertOpen();
    const arch = req.design.kind === 'preset' ? presetArch(req.design.name) : this.designs.trainable(req.design.id);
    const source = this.datasets.sourceOf(req.datasetId, {
      ...(req.demoCount === undefined ? {} : { demoCount: req.demoCount }),
      ...(req.subset === undefined ? {} : { subset: req.subset }),
    });
    return planRun(req, { arch, source, load: (s) => this.datasets.loadSource(s), runs: this.store });
  }

  /**
   * Creates a run and queues it: planned as `strata train` plans one (load the data, check the design
   * fits it, split it, name it), then the queue starts it when no other run trains.
   */
  async startRun(req: StartRunRequest): Promise<RunSummary> {
    const plan = await this.prepareRun(req);
    return this.runs.create(plan.init);
  }

  /**
   * Estimates a run's time per epoch before it is started: the same checks as {@link startRun}
   * (so an invalid design or dataset is refused with the same reason), then a short measured
   * warm-up of the design in a trainer process of its own.
   */
  async estimateEpoch(req: EstimateEpochRequest): Promise<EpochEstimate> {
    const { init: { arch }, config, split } = await this.prepareRun(req);
    const contended = this.runs.queueState().active !== null;
    // Generous: a deep design on a slow backend takes a while to build and to step twice.
    const reply = await benchmarkInTrainer({ arch, config, steps: req.steps }, { timeoutMs: 180_000 });
    if (reply.type === 'benchmark-failed') throw new LabError('unavailable', `the warm-up of ${arch.name} failed: ${reply.message}`);
    const stepsPerEpoch = Math.ceil(split.train.length / config.batch);
    const valBatches = Math.ceil(split.val.length / config.batch);
    return {
      secondsPerStep: reply.secondsPerStep,
      warmupSeconds: reply.warmupSeconds,
      steps: reply.steps,
      stepsPerEpoch,
      valBatches,
      trainCount: split.train.length,
      valCount: split.val.length,
      secondsPerEpoch: reply.secondsPerStep * (stepsPerEpoch + valBatches / 3),
      backend: reply.backend,
      contended,
    };
  }

  /** Stops a training or queued run; checkpoints are kept. */
  stopRun({ id, reason = 'stopped by the user' }: P<'stopRun'>): RunSummary {
    return this.runs.stop(id, reason);
  }

  /** Pauses the training run. */
  pauseRun({ id }: P<'pauseRun'>): RunSummary {
    return this.runs.pause(id);
  }

  /** Resumes a paused run, or queues a stopped/interrupted/failed one to continue from its checkpoint. */
  resumeRun({ id }: P<'resumeRun'>): RunSummary {
    this.assertOpen();
    this.finalizer.assertIdle(id, 'resuming it');
    return this.runs.resume(id);
  }

  /**
   * Takes a wrong-step event's offer: rewinds run `id` to the checkpoint kept from before its loss
   * jump, with the learning rate scaled by `lrFactor`, and queues it to continue from there. The run
   * must not be training.
   */
  rewindRun({ id, lrFactor }: P<'rewindRun'>): RunSummary {
    this.assertOpen();
    this.finalizer.assertIdle(id, 'rewinding it');
    const run = this.store.summary(id);
    if (run.status === 'running' || run.status === 'paused' || run.status === 'queued') {
      throw new LabError('conflict', `run ${id} is ${run.status}; stop it before rewinding it`);
    }
    try {
      rewindToBeforeJump(this.store, id, lrFactor);
      // A finished run continues too: it now stands at the epoch before the jump.
      if (run.status === 'done') this.store.update(id, { status: 'stopped', statusReason: 'rewound to before a loss jump', endedAt: Date.now() });
    } catch (e) {
      if (e instanceof RunInputError) throw new LabError('conflict', e.message);
      throw e;
    }
    return this.runs.resume(id);
  }

  /**
   * Chooses run `id`'s post-processing on its validation split and scores its test split once, as
   * the end of training does (and `strata runs finalize`): for a run that ended without it (stopped,
   * interrupted, failed) or to choose again. Runs in a trainer process; refused while the run trains
   * or is queued, when it has nothing to choose from, and while its finalize is under way.
   */
  async finalizeRun({ id }: P<'finalizeRun'>): Promise<RunSummary> {
    this.assertOpen();
    const run = await this.finalizer.finalize(id);
    this.runs.changes.emit({ change: 'status', runId: id });
    return run;
  }

  /** Renames a run. */
  renameRun({ id, name }: P<'renameRun'>): RunSummary {
    return this.runs.rename(id, name);
  }

  /** Deletes a run that is not training. */
  async deleteRun({ id }: P<'deleteRun'>): Promise<{ deleted: string }> {
    this.finalizer.assertIdle(id, 'deleting it');
    await this.runs.delete(id);
    return { deleted: id };
  }

  /** The live trainer (with its pid) and the waiting runs. */
  getQueue(): QueueState {
    return this.runs.queueState();
  }

  /** A run's finished epochs. */
  getEpochMetrics({ id }: P<'getEpochMetrics'>): EpochMetric[] {
    return this.store.epochMetrics(id);
  }

  /** A run's training steps from `fromStep` on. */
  getBatchMetrics({ id, fromStep, limit }: P<'getBatchMetrics'>): BatchMetric[] {
    return this.store.batchMetrics(id, { ...(fromStep === undefined ? {} : { fromStep }), ...(limit === undefined ? {} : { limit }) });
  }

  /** A run's events. */
  getRunEvents({ id }: P<'getRunEvents'>): RunEvent[] {
    return this.store.events(id);
  }

  /** The epochs with stored predictions. */
  getPredictionEpochs({ id }: P<'getPredictionEpochs'>): number[] {
    return this.store.predictionEpochs(id);
  }

  /**
   * One epoch's validation predictions (a page of them), with the images, depths and truth masks of
   * those samples read from the run's data, so the viewer can draw and score them.
   */
  async getPredictions({ id, epoch, offset, limit }: P<'getPredictions'>): Promise<PredictionsView> {
    const run = this.store.get(id);
    const p = this.store.loadPredictions(id, epoch);
    if (!p) {
      const have = this.store.predictionEpochs(id);
      throw new LabError('not-found', `run ${id} has no predictions for epoch ${epoch}${have.length ? ` (stored: ${have.join(', ')})` : ' (none stored yet)'}`);
    }
    let data: Parameters<typeof predictionPage>[0]['data'];
    try {
      const dataset = await this.datasets.loadSource(run.dataset.source);
      data = { ok: true, dataset, changed: dataset.info.fingerprint !== run.dataset.fingerprint };
    } catch (e) {
      data = { ok: false, reason: e instanceof Error ? e.message : String(e) };
    }
    return predictionPage({ runId: id, predictions: p, offset, ...(limit === undefined ? {} : { limit }), data });
  }

  /** The backend of the latest run that chose one; the lab itself never loads a backend. */
  getBackendInfo(): BackendInfo {
    const note = 'The backend is decided when a run starts, in its trainer process: the fastest of tfjs-node-gpu, webgpu (on a GPU), tfjs-node, wasm and cpu that loads, unless the run asks for one.';
    const probe = { available: this.probe.available, probeProblem: this.probe.problem };
    const recent = this.store.list({ orderBy: 'startedAt', limit: 50 }).find((r) => r.backend !== null);
    const last = recent?.backend ? { runId: recent.id, startedAt: recent.startedAt, backend: recent.backend } : null;
    return { last, note, ...probe };
  }

  /** Predicts a folder of images with a run's best checkpoint. */
  predictFolder({ id, path: dir }: P<'predictFolder'>): Promise<FolderPrediction> {
    refuseLabFolder(dir, this.dirs, 'the folder to predict');
    return this.folders.predict(id, dir);
  }

  /** A run's folder predictions. */
  listFolderPredictions({ id }: P<'listFolderPredictions'>): FolderPrediction[] {
    return this.folders.list(id);
  }

  /** A page of one folder prediction. */
  getFolderPredictions({ id, key, offset, limit }: P<'getFolderPredictions'>): Promise<PredictionsView> {
    return this.folders.view(id, key, offset, limit);
  }

  /** Writes a Kaggle submission CSV. */
  exportSubmission({ id, source, threshold, minArea, path: file, overwrite }: P<'exportSubmission'>): SubmissionExport {
    refuseLabFolder(file, this.dirs, 'the submission file');
    return this.folders.exportSubmission(id, source, threshold, file, minArea, overwrite === true);
  }

  // Experiments

  /** Every experiment with runs in the store, with its versions and how many of their runs are complete. */
  listExperiments(): ExperimentListItem[] {
    return listExperiments(this.store);
  }

  /** One experiment version's results (the newest with runs unless `version` is given), computed as its report computes them. */
  experimentResults({ name, version }: P<'experimentResults'>): ExperimentView {
    return experimentViewOf(this.store, name, version);
  }

  /**
   * Finds out, in a trainer process (the lab never loads tfjs), which backend runs would get, so the
   * status bar names it before any run; the UI is told through the run-list change stream.
   */
  private probeBackend(): void {
    void probeBackendInTrainer({ timeoutMs: 60_000 }).then((r) => {
      if (this.closed) return;
      if (r.type === 'probe-result') this.probe = { available: { backend: r.backend, skipped: r.skipped }, problem: null };
      else this.probe = { available: null, problem: r.message };
      this.runs.changes.emit({ change: 'status', runId: null });
    });
  }

  /** Listens to a run's trainer messages. */
  onRunEvent({ runId }: P<'onRunEvent'>, listener: (m: TrainerMessage) => void): () => void {
    return this.runs.subscribe(runId, listener);
  }

  /** Listens to changes of the run list (the stream takes no parameters). */
  onRunsChanged(_params: P<'onRunsChanged'>, listener: (e: RunsChanged) => void): () => void {
    return this.runs.changes.subscribe(listener);
  }

  /** Stops the live trainer (checkpoints kept), closes the store, and releases the data folder. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.folders.close();
    this.finalizer.close();
    try {
      await this.runs.close();
    } finally {
      this.store.close();
      this.unlock();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new LabError('unavailable', 'the lab is shut down');
  }
}
