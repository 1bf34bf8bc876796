/**
 * One training run from start (or resume) to its end, inside the trainer process.
 * It wires the pieces together: data, backend, model, optimizer, loss, the loop and its callbacks,
 * and the run store. Everything a UI shows is computed here and written to the store.
 */
import * as tf from '@tensorflow/tfjs-core';
import { levelNames } from '../../shared/analysis';
import { withBnPlacement, withInitializer } from '../../shared/arch';
import type { Checkpoint, RunEvent, RunRecord, RunStatus } from '../../shared/runs/types';
import type { TrainJob } from '../../shared/training/protocol';
import type { Dataset } from '../data/dataset';
import { RunStore } from '../runs/store';
import { selectBackend, type BackendName } from './backend';
import { EarlyStopping, LrScheduler, MetricsRecorder, ProgressReporter, TimeLimit, type Emit, type EventSink } from './callbacks';
import { LevelStatsCallback, PlateauCallback, WrongStepCallback } from './callbacks/diagnostics';
import { loadJobDataset, TrainingData } from './data';
import { makeLoss } from './losses';
import { LoopControl, runLoop, type Callback, type EndReason, type EpochLogs } from './loop';
import { batchGradients, hardIoU } from './batchGradients';
import { UNetModel } from './model';
import { makeOptimizer, type Optimizer } from './optimizers';
import { planMicroBatch, trainStepInMicroBatches } from './microBatch';
import { validate, type ValidationResult } from './validation';

/** Trains the job's run to its end. Never throws: every failure ends the run as failed with its reason. */
export async function trainRun(job: TrainJob, control: LoopControl, emit: Emit): Promise<RunStatus> {
  const store = RunStore.open(job.runsDir);
  const runId = job.runId;
  const event: EventSink = (ev) => {
    const full: RunEvent = { ...ev, time: Date.now() };
    store.addEvent(runId, full);
    emit({ type: 'event', runId, event: full });
  };
  const setStatus = (status: RunStatus, reason?: string) => {
    store.update(runId, { status, statusReason: reason ?? null, ...(isFinal(status) ? { endedAt: Date.now() } : {}) });
    emit({ type: 'status', runId, status, ...(reason ? { reason } : {}) });
  };
  let model: UNetModel | null = null;
  let optimizer: Optimizer | null = null;
  try {
    const run = store.get(runId);
    if (!run) throw new Error(`run ${runId} does not exist in ${job.runsDir}`);
    store.update(runId, { status: 'running', statusReason: null, pid: process.pid, startedAt: run.startedAt ?? Date.now(), endedAt: null });
    emit({ type: 'status', runId, status: 'running' });

    const backend = await selectBackend(backendOption(run.config.backend));
    store.update(runId, { backend: { name: backend.name, detail: backend.detail, threads: backend.threads } });
    emit({ type: 'backend', runId, name: backend.name, detail: backend.detail, threads: backend.threads, skipped: backend.skipped });

    const dataset = await loadJobDataset(job.data);
    checkDataset(run, dataset);
    const data = new TrainingData(dataset, run.split, run.config, run.arch);

    const arch = withInitializer(withBnPlacement(run.arch, run.config.bnPlacement), run.config.init);
    model = new UNetModel(arch, run.seed);
    optimizer = makeOptimizer(run.config.optimizer);
    const loss = makeLoss(run.config.loss.name, run.config.loss.eps === undefined ? {} : { eps: run.config.loss.eps });

    const resumeFrom = job.resume ? store.loadCheckpoint(runId, 'last') : null;
    if (job.resume && !resumeFrom) throw new Error(`run ${runId} has no checkpoint to resume from`);
    // A run rewound to before a loss jump continues with its learning rate scaled (see runs/rewind.ts).
    const lrScale = typeof resumeFrom?.extra?.['lrScale'] === 'number' ? resumeFrom.extra['lrScale'] : 1;
    const schedule = new LrScheduler(run.config.schedule, run.config.optimizer.lr * lrScale, run.config.epochs, (lr) => {
      if (optimizer) optimizer.learningRate = lr;
    }, event);
    const early = run.config.earlyStop ? new EarlyStopping(run.config.earlyStop.patience, run.config.earlyStop.minDelta, control, event) : null;

    let startEpoch = 0;
    let startStep = 0;
    let best = run.best;
    if (resumeFrom) {
      restore(model, optimizer, resumeFrom, schedule, early);
      startEpoch = resumeFrom.epoch + 1;
      startStep = resumeFrom.step;
      event({ type: 'resumed', epoch: startEpoch, step: startStep, message: `resumed from the checkpoint of epoch ${resumeFrom.epoch + 1}` });
    }
    // A batch beyond the wasm heap runs as micro-batches with accumulated gradients (see microBatch.ts).
    const plan = planMicroBatch(arch, run.config.batch, { backend: backend.name });
    if (plan.reason !== null) {
      event({ type: 'micro-batch', epoch: startEpoch, step: startStep, message: plan.reason, data: { batch: plan.batch, micro: plan.micro, passes: plan.passes } });
      emit({ type: 'log', runId, level: 'info', message: plan.reason });
    }
    // Where the run stands, for events that happen between batches (pause, resume).
    const position = { epoch: startEpoch, step: startStep };
    control.onPauseChange = (paused) => {
      setStatus(paused ? 'paused' : 'running');
      event({ type: paused ? 'paused' : 'resumed', ...position, message: paused ? `paused at step ${position.step}` : 'resumed' });
    };
    const tensorsAtStart = tf.memory().numTensors;
    let tensorsAfterFirstEpoch: number | null = null;
    const m = model;
    const opt = optimizer;

    let keptEpoch: number | null = job.resume ? startEpoch - 1 : null;
    const checkpointer: Callback = {
      onEpochEnd: (epoch: number, logs: EpochLogs) => {
        const snapshot = (): Checkpoint => ({
          epoch,
          step: logs.step,
          tensors: m.getWeights(),
          optimizer: { name: opt.config.name, tensors: opt.readState(), iterations: opt.iterations },
          extra: { plateau: schedule.plateau?.snapshot() ?? null, early: early?.snapshot() ?? null, lr: opt.learningRate, norm: data.norm, lrScale },
        });
        const ckpt = snapshot();
        // A failed save (disk full, read-only) ends the run; the message says which save failed and
        // which checkpoint is still there to resume from, since the store's own error names only a file.
        const save = (kind: 'last' | 'best') => {
          try {
            store.saveCheckpoint(runId, kind, ckpt);
          } catch (e) {
            const kept = keptEpoch === null ? 'there is no earlier checkpoint' : `the checkpoint of epoch ${keptEpoch + 1} is kept`;
            const what = kind === 'best' ? 'best checkpoint' : 'checkpoint';
            throw new Error(`could not save the ${what} of epoch ${epoch + 1}: ${e instanceof Error ? e.message : String(e)}; ${kept}`, { cause: e });
          }
        };
        save('last');
        keptEpoch = epoch;
        const score = logs['valScore'] ?? -Infinity;
        const improved = best === null || score > best.score;
        if (improved) {
          best = { epoch, score, metric: 'valScore' };
          save('best');
        }
        const wanted = improved || (run.config.predictEpochs ?? []).includes(epoch + 1) || run.config.predictEpochs === undefined;
        if (wanted && lastValidation) {
          store.savePredictions(runId, epoch, data.valIds, lastValidation.probs, data.height, data.width);
        }
        store.update(runId, { epochsDone: epoch + 1, lastCheckpoint: { epoch, step: logs.step }, best, durationMs: trainingMs() });
        event({ type: 'checkpoint', epoch, step: logs.step, message: `checkpoint saved (epoch ${epoch + 1}${improved ? ', new best' : ''})`, data: { best: improved } });
        // Every tensor has an owner: after the first epoch the count must stay flat.
        const n = tf.memory().numTensors;
        if (tensorsAfterFirstEpoch === null) tensorsAfterFirstEpoch = n;
        else if (n !== tensorsAfterFirstEpoch) {
          emit({ type: 'log', runId, level: 'warn', message: `tensor count changed from ${tensorsAfterFirstEpoch} to ${n} (start ${tensorsAtStart})` });
        }
      },
    };

    const t0 = Date.now();
    const trainingMs = () => run.durationMs + (Date.now() - t0);
    let lastValidation: ValidationResult | null = null;
    const callbacks: Callback[] = [
      {
        onBatchEnd: (l) => {
          position.epoch = l.epoch;
          position.step = l.step;
        },
      },
      schedule,
      new MetricsRecorder(runId, store),
      checkpointer,
      // After the two above: an epoch is announced once its metrics and checkpoint are stored, so
      // whoever sees it (the monitor, a test that then kills the trainer) finds it committed.
      new ProgressReporter(runId, emit, run.config.epochs),
      ...(early ? [early] : []),
      ...(run.config.maxMinutes ? [new TimeLimit(run.config.maxMinutes, control, event)] : []),
      // The note's diagnostics: each writes an event the monitor marks on the charts.
      new PlateauCallback(event),
      // When a jump is first seen, the last checkpoint (the end of the epoch before it) is kept aside,
      // so the wrong-step event's offer to resume from before the jump can be taken.
      new WrongStepCallback(event, {}, () => {
        const before = store.loadCheckpoint(runId, 'last');
        if (before) store.saveCheckpoint(runId, 'before-jump', before);
        return before ? before.epoch : null;
      }),
      new LevelStatsCallback(m, levelNames(arch), event, () => probeGradients(m, loss, data)),
    ];

    const end: EndReason = await runLoop(
      {
        startEpoch,
        epochs: run.config.epochs,
        batchesPerEpoch: data.batchesPerEpoch,
        startStep,
        trainBatch: async (epoch, batch) => {
          const b = data.trainBatch(epoch, batch);
          const r = b.count > plan.micro ? trainStepInMicroBatches(m, opt, loss, b.x, b.y, b.shape, plan.micro) : trainStep(m, opt, loss, b.x, b.y, b.shape);
          if (!Number.isFinite(r.loss)) {
            control.fail(`the loss became ${r.loss} at epoch ${epoch + 1}, batch ${batch + 1}; the last good checkpoint is kept`);
          }
          return { ...r, lr: opt.learningRate, images: b.count };
        },
        validate: async () => {
          lastValidation = validate(m, loss, data);
          // Recorded with every epoch: a count that grows means a leak (every tensor must have an owner).
          return { ...lastValidation.metrics, numTensors: tf.memory().numTensors };
        },
      },
      callbacks,
      control,
    );
    store.update(runId, { durationMs: trainingMs() });
    const status: RunStatus = end.kind;
    setStatus(status, end.kind === 'done' ? undefined : end.message);
    emit({ type: 'ended', runId, status, ...(end.kind === 'done' ? {} : { reason: end.message }) });
    return status;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    setStatus('failed', message);
    emit({ type: 'ended', runId, status: 'failed', reason: message });
    return 'failed';
  } finally {
    model?.dispose();
    optimizer?.dispose();
    store.close();
  }
}

function isFinal(s: RunStatus): boolean {
  return s === 'done' || s === 'stopped' || s === 'failed' || s === 'interrupted';
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

/** One optimizer step. The loss and IoU come back as numbers; all tensors are released. */
export function trainStep(
  model: UNetModel,
  opt: Optimizer,
  loss: ReturnType<typeof makeLoss>,
  x: Float32Array,
  y: Float32Array,
  shape: [number, number, number, number],
): { loss: number; iou: number } {
  const r = batchGradients(model, loss, x, y, shape);
  if (Number.isFinite(r.loss)) {
    opt.apply(model.params.trainable, model.params.byStableName(r.grads));
    model.commitBnUpdates();
  } else {
    model.discardBnUpdates();
  }
  tf.dispose(r.grads);
  return { loss: r.loss, iou: hardIoU(r.intersection, r.union) };
}

/**
 * Gradients of the loss on a fixed batch (the first validation batch, or the first training batch
 * when there is no validation split), by stable weight name, for the per-level statistics.
 */
function probeGradients(model: UNetModel, loss: ReturnType<typeof makeLoss>, data: TrainingData): Map<string, tf.Tensor> {
  const first = data.valBatches().next();
  const b = first.done ? data.trainBatch(0, 0) : first.value;
  const { grads } = batchGradients(model, loss, b.x, b.y, b.shape);
  // A probe must not move the BN statistics.
  model.discardBnUpdates();
  return model.params.byStableName(grads);
}

function restore(model: UNetModel, opt: Optimizer, ckpt: Checkpoint, schedule: LrScheduler, early: EarlyStopping | null): void {
  model.setWeights(ckpt.tensors);
  if (ckpt.optimizer) opt.writeState(ckpt.optimizer.tensors, ckpt.optimizer.iterations);
  const extra = ckpt.extra ?? {};
  const plateau = extra['plateau'] as { best: number; wait: number; lr: number } | null | undefined;
  if (plateau && schedule.plateau) schedule.plateau.restore(plateau);
  const es = extra['early'] as { best: number; wait: number } | null | undefined;
  if (es && early) early.restore(es);
  if (typeof extra['lr'] === 'number') opt.learningRate = extra['lr'];
}
