/**
 * Everything one training session of a run works with, built from the run's record: the backend,
 * the data, the model, optimizer and loss, the learning-rate schedule and early stopping, the
 * micro-batch plan and where the session starts (the last checkpoint when the run has one; on a
 * fresh start, the weights of the run it starts from when `config.initFrom` names one).
 */
import * as tf from '@tensorflow/tfjs-core';
import { withBnPlacement, withInitializer } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import type { BackendRequest, Checkpoint, RunEvent, RunRecord } from '../../shared/runs/types';
import type { Dataset } from '../data/dataset';
import { seenByWeights, seenValidationWarning } from '../lab/plan';
import { RunNotFoundError } from '../runs/errors';
import type { RunStore } from '../runs/store';
import { selectBackend, type BackendName, type BackendReport } from './backend';
import { EarlyStopping, LrScheduler, TimeLimit, type Emit, type EventSink } from './callbacks';
import { loadJobDataset, TrainingData } from './data';
import type { LoopControl } from './loop';
import { lossOfConfig, type LossFn } from './losses';
import { planMicroBatch, type MicroBatchPlan } from './microBatch';
import { UNetModel } from './model';
import { makeOptimizer, type Optimizer } from './optimizers';
import type { ValidationResult } from './validation';

/** What the callbacks and the step of one training session share. */
export interface TrainingContext {
  readonly runId: string;
  readonly run: RunRecord;
  readonly store: RunStore;
  readonly control: LoopControl;
  readonly emit: Emit;
  /** Stores and streams a run event. */
  readonly event: EventSink;
  readonly backend: BackendReport;
  readonly data: TrainingData;
  /** The run's design with its initializer and BN placement applied. */
  readonly arch: Architecture;
  readonly model: UNetModel;
  readonly optimizer: Optimizer;
  /** The run's loss (lossOfConfig): training steps and validation compute the same one. */
  readonly loss: LossFn;
  readonly schedule: LrScheduler;
  readonly early: EarlyStopping | null;
  /** The time budget (`maxMinutes`), counting the run's earlier sessions; null without one. */
  readonly timeLimit: TimeLimit | null;
  readonly plan: MicroBatchPlan;
  /** The checkpoint this session continues from, or null for a fresh start. */
  readonly resumedFrom: Checkpoint | null;
  /** The first epoch and step this session trains. */
  readonly start: { epoch: number; step: number };
  /** The factor on the configured learning rate after a rewind (1 otherwise). */
  readonly lrScale: number;
  /** The latest validation pass, kept for the predictions callback. */
  latestValidation: ValidationResult | null;
  /** The run's training time so far, this session included. */
  trainingMs(): number;
  /** Releases the model and the optimizer. */
  dispose(): void;
}

/**
 * Builds the session's context, on `backend` when given (a resume on another backend), else on the
 * run's configured one. On failure everything built so far is released before the error goes on.
 */
export async function buildTrainingContext(run: RunRecord, store: RunStore, control: LoopControl, emit: Emit, backendOverride?: BackendRequest): Promise<TrainingContext> {
  const runId = run.id;
  const event: EventSink = (ev) => {
    const full: RunEvent = { ...ev, time: Date.now() };
    store.addEvent(runId, full);
    emit({ type: 'event', runId, event: full });
  };
  const backend = await selectBackend(backendOption(backendOverride ?? run.config.backend));
  store.update(runId, { backend: { name: backend.name, detail: backend.detail, threads: backend.threads } });
  emit({ type: 'backend', runId, name: backend.name, detail: backend.detail, threads: backend.threads, skipped: backend.skipped });

  const dataset = await loadJobDataset(run.dataset.source);
  checkDataset(run, dataset);
  const data = new TrainingData(dataset, run.split, run.config, run.arch);

  const arch = withInitializer(withBnPlacement(run.arch, run.config.bnPlacement), run.config.init);
  const model = new UNetModel(arch, run.seed);
  let optimizer: Optimizer | null = null;
  try {
    const opt = makeOptimizer(run.config.optimizer);
    optimizer = opt;
    const loss = lossOfConfig(run.config.loss);

    // A run with a checkpoint continues from it; one without starts fresh.
    const resumedFrom = run.lastCheckpoint ? store.loadCheckpoint(runId, 'last') : null;
    if (run.lastCheckpoint && !resumedFrom) throw new Error(`run ${runId} has no checkpoint to resume from`);
    const extra = resumedFrom?.extra ?? {};
    // A run rewound to before a loss jump continues with its learning rate scaled (see runs/rewind.ts).
    const lrScale = extra.lrScale ?? 1;
    // A resumed run continues its budget from its recorded training time; a fresh start from zero.
    const timeLimit = run.config.maxMinutes ? new TimeLimit(run.config.maxMinutes, control, event, Date.now, resumedFrom ? run.durationMs : 0) : null;
    const schedule = new LrScheduler(
      run.config.schedule,
      run.config.optimizer.lr * lrScale,
      run.config.epochs,
      (lr) => {
        opt.learningRate = lr;
      },
      event,
      timeLimit,
    );
    const early = run.config.earlyStop ? new EarlyStopping(run.config.earlyStop.patience, run.config.earlyStop.minDelta, control, event) : null;

    const start = { epoch: 0, step: 0 };
    if (resumedFrom) {
      model.setWeights(resumedFrom.tensors);
      if (resumedFrom.optimizer) opt.writeState(resumedFrom.optimizer.tensors, resumedFrom.optimizer.iterations);
      if (extra.plateau && schedule.plateau) schedule.plateau.restore({ ...extra.plateau, best: extra.plateau.best ?? -Infinity });
      if (extra.early && early) early.restore({ ...extra.early, best: extra.early.best ?? -Infinity });
      if (extra.lr !== undefined) opt.learningRate = extra.lr;
      start.epoch = resumedFrom.epoch + 1;
      start.step = resumedFrom.step;
      const moved = backendOverride !== undefined && backendOverride !== run.config.backend ? ` on ${backend.name}, not the run's ${run.config.backend}` : '';
      event({ type: 'resumed', epoch: start.epoch, step: start.step, message: `resumed from the checkpoint of epoch ${resumedFrom.epoch + 1}${moved}`, ...(moved === '' ? {} : { data: { backend: backend.name, configured: run.config.backend } }) });
    } else if (run.config.initFrom) {
      warmStart(model, store, run, run.config.initFrom, event);
    }
    // A batch beyond the wasm heap runs as micro-batches with accumulated gradients (see microBatch.ts).
    const plan = planMicroBatch(arch, run.config.batch, { backend: backend.name });
    if (plan.reason !== null) {
      event({ type: 'micro-batch', epoch: start.epoch, step: start.step, message: plan.reason, data: { batch: plan.batch, micro: plan.micro, passes: plan.passes, sizes: plan.sizes } });
      emit({ type: 'log', runId, level: 'info', message: plan.reason });
    }
    const t0 = Date.now();
    return {
      runId,
      run,
      store,
      control,
      emit,
      event,
      backend,
      data,
      arch,
      model,
      optimizer: opt,
      loss,
      schedule,
      early,
      timeLimit,
      plan,
      resumedFrom,
      start,
      lrScale,
      latestValidation: null,
      trainingMs: () => run.durationMs + (Date.now() - t0),
      dispose: () => {
        model.dispose();
        opt.dispose();
      },
    };
  } catch (err) {
    model.dispose();
    optimizer?.dispose();
    throw err;
  }
}

/**
 * A fresh start of a run with `config.initFrom`: the model's weights (BN moving statistics included)
 * become those of the source run's checkpoint. Only the weights: the optimizer's state, the schedule
 * and the epoch count start afresh under this run's own settings, and the input normalisation is this
 * run's own, from its training split (TrainingData), as for any run; the weights adapt to it. A
 * resumed run never comes here: it continues from its own checkpoint.
 */
function warmStart(model: UNetModel, store: RunStore, run: RunRecord, from: NonNullable<RunRecord['config']['initFrom']>, event: EventSink): void {
  const { runId, checkpoint } = from;
  // The plan checked all this; the source may have been deleted or changed while this run was queued.
  let ckpt: Checkpoint | null;
  try {
    ckpt = store.loadCheckpoint(runId, checkpoint);
  } catch (e) {
    if (e instanceof RunNotFoundError) throw new Error(`cannot start from run ${runId}: there is no such run in the run store any more`);
    throw new Error(`cannot start from run ${runId}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!ckpt) throw new Error(`cannot start from run ${runId}: it has no ${checkpoint} checkpoint`);
  try {
    model.setWeights(ckpt.tensors);
  } catch (e) {
    throw new Error(`cannot start from run ${runId} (${checkpoint}): ${e instanceof Error ? e.message : String(e)}`);
  }
  event({
    type: 'init-from',
    epoch: 0,
    step: 0,
    message: `weights from run ${runId} (${checkpoint}, epoch ${ckpt.epoch + 1})`,
    data: { runId, checkpoint, epoch: ckpt.epoch, step: ckpt.step },
  });
  // Planning refused a test set the weights have seen; validation images they were trained on are
  // allowed, and said here, where the lab's and the CLI's runs both record it (docs/adr/0007).
  const seen = seenByWeights(runId, run.dataset, run.split, store);
  const warning = seenValidationWarning(seen);
  if (warning !== null) event({ type: 'init-from-seen-validation', epoch: 0, step: 0, message: warning, data: { runId, ids: seen.val.length, runs: seen.runs } });
}

/** The number of live tensors, for the leak watch. */
export function liveTensors(): number {
  return tf.memory().numTensors;
}

function backendOption(requested: RunRecord['config']['backend']): { force?: BackendName } {
  return requested === 'auto' ? {} : { force: requested };
}

/** A resumed or re-run job must see the same data the run was created with. */
function checkDataset(run: RunRecord, ds: Dataset): void {
  if (ds.info.fingerprint !== run.dataset.fingerprint) {
    throw new Error(
      `the data at ${describeSource(run)} has changed since the run was created (fingerprint ${ds.info.fingerprint.slice(0, 12)} vs ${run.dataset.fingerprint.slice(0, 12)})`,
    );
  }
}

function describeSource(run: RunRecord): string {
  return run.dataset.source.kind === 'demo' ? 'the demo dataset' : run.dataset.source.path;
}
