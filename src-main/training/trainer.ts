/**
 * One training session of a run inside the trainer process: claim the run, build its training
 * context (trainingContext.ts), list the callbacks (one job each) and run the loop. Everything a UI
 * shows is computed here and written to the store, by the process that owns the run alone.
 */
import * as tf from '@tensorflow/tfjs-core';
import { bnSites, levelNames } from '../../shared/analysis';
import { divergenceReason } from '../../shared/runs/divergence';
import type { RunStatus } from '../../shared/runs/types';
import type { ClaimRefused, TrainJob, TrainerMessage } from '../../shared/training/protocol';
import { thisProcessOwner } from '../runs/liveness';
import { RunStore } from '../runs/store';
import { MetricsRecorder, ProgressReporter } from './callbacks';
import { BestEpochTracker } from './callbacks/bestEpoch';
import { BnHealthCallback } from './callbacks/bnHealth';
import { CheckpointSaver } from './callbacks/checkpoints';
import { DeviceLostWatch } from './callbacks/deviceLost';
import { LevelStatsCallback, PlateauCallback, WrongStepCallback } from './callbacks/diagnostics';
import { LeakWatch } from './callbacks/leakWatch';
import { PauseRecorder } from './callbacks/pauses';
import { PredictionSaver } from './callbacks/predictions';
import type { TrainingData } from './data';
import { batchGradients } from './batchGradients';
import type { makeLoss } from './losses';
import { runLoop, type Callback, type EndReason, type LoopControl, type LoopTask } from './loop';
import { trainStep } from './microBatch';
import type { UNetModel } from './model';
import { finalizeRun } from './finalize';
import { buildTrainingContext, liveTensors, type TrainingContext } from './trainingContext';
import { validate } from './validation';
import { webgpuDeviceLost } from './webgpu';

/** How a session ended: the run's final status, or `refused` when another live process owns the run. */
export type TrainRunResult = RunStatus | 'refused';

/**
 * Trains the job's run to its end. First claims the run (RunStore.claim): when another live
 * process trains it, sends `claim-refused` and returns without touching it. Otherwise never
 * throws: every failure ends the run as failed with its reason.
 */
export async function trainRun(job: TrainJob, control: LoopControl, emit: (m: TrainerMessage | ClaimRefused) => void): Promise<TrainRunResult> {
  const store = RunStore.open(job.runsDir);
  const runId = job.runId;
  const setStatus = (status: RunStatus, reason?: string) => {
    store.update(runId, { status, statusReason: reason ?? null, ...(isFinal(status) ? { endedAt: Date.now() } : {}) });
    emit({ type: 'status', runId, status, ...(reason ? { reason } : {}) });
  };
  let ctx: TrainingContext | null = null;
  try {
    const claim = store.claim(runId, thisProcessOwner());
    if (!claim.ok) {
      emit({ type: 'claim-refused', runId, pid: claim.owner.pid, message: claim.message });
      return 'refused';
    }
    emit({ type: 'status', runId, status: 'running' });
    forgetPostprocess(store, runId);
    ctx = await buildTrainingContext(store.get(runId), store, control, emit, job.backend);
    const end = await runLoop(stepsOf(ctx), callbacksOf(ctx, setStatus), control);
    store.update(runId, { durationMs: ctx.trainingMs() });
    if (finalizes(end, store.summary(runId).epochsDone)) await finalizeSession(ctx);
    const status: RunStatus = end.kind;
    setStatus(status, end.kind === 'done' ? undefined : end.message);
    emit({ type: 'ended', runId, status, ...(end.kind === 'done' ? {} : { reason: end.message }) });
    return status;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    try {
      setStatus('failed', message);
    } catch (e) {
      // The store refused the write too (a full disk): the driver records it when it can.
      emit({ type: 'log', runId, level: 'error', message: `could not record that the run failed: ${e instanceof Error ? e.message : String(e)}` });
    }
    emit({ type: 'ended', runId, status: 'failed', reason: message });
    return 'failed';
  } finally {
    ctx?.dispose();
    store.close();
  }
}

/** The loop's task: one step per batch (micro-batched as planned), one validation pass per epoch. */
function stepsOf(ctx: TrainingContext): LoopTask {
  const { run, data, model, optimizer: opt, loss, plan, control } = ctx;
  return {
    startEpoch: ctx.start.epoch,
    epochs: run.config.epochs,
    batchesPerEpoch: data.batchesPerEpoch,
    startStep: ctx.start.step,
    trainBatch: async (epoch, batch) => {
      const b = data.trainBatch(epoch, batch);
      const r = await trainStep(model, opt, loss, b.x, b.y, b.shape, plan.micro);
      if (!Number.isFinite(r.loss)) {
        control.fail(divergenceReason(r.loss, epoch, batch));
      }
      return { ...r, lr: opt.learningRate, images: b.count };
    },
    validate: async () => {
      ctx.latestValidation = await validate(model, loss, data);
      // Recorded with every epoch: a count that grows means a leak (every tensor must have an owner).
      return { ...ctx.latestValidation.metrics, numTensors: tf.memory().numTensors };
    },
  };
}

/** The session's callbacks, in the order the loop calls them. */
function callbacksOf(ctx: TrainingContext, setStatus: (s: RunStatus) => void): Callback[] {
  const { run, runId, store, emit, event, control, model } = ctx;
  const best = new BestEpochTracker(run.best);
  const lost = ctx.backend.name === 'webgpu' ? webgpuDeviceLost() : null;
  return [
    // On webgpu: a lost GPU device ends the run as interrupted, with Dawn's reason.
    ...(lost ? [new DeviceLostWatch(lost, control, event, ctx.start)] : []),
    new PauseRecorder(control, ctx.start, setStatus, event),
    ctx.schedule,
    new MetricsRecorder(runId, store),
    best,
    new PredictionSaver(ctx, best),
    new CheckpointSaver(ctx, best),
    new LeakWatch(runId, emit, liveTensors),
    // After the ones above: an epoch is announced once its metrics and checkpoint are stored, so
    // whoever sees it (the monitor, a test that then kills the trainer) finds it committed.
    new ProgressReporter(runId, emit, run.config.epochs, Date.now, 125, ctx.timeLimit),
    ...(ctx.early ? [ctx.early] : []),
    ...(ctx.timeLimit ? [ctx.timeLimit] : []),
    // The note's diagnostics: each writes an event the monitor marks on the charts. The plateau
    // detector judges the run's first batches, so only a session that starts the run has it: a
    // resumed one would judge batches from the middle of training as if they were its start.
    ...(ctx.start.step === 0 ? [new PlateauCallback(event)] : []),
    // When a jump is first seen, the last checkpoint (the end of the epoch before it) is kept aside,
    // so the wrong-step event's offer to resume from before the jump can be taken.
    new WrongStepCallback(event, {}, () => {
      const before = store.loadCheckpoint(runId, 'last');
      if (before) store.saveCheckpoint(runId, 'before-jump', before);
      return before ? before.epoch : null;
    }),
    new LevelStatsCallback(model, levelNames(ctx.arch), event, () => probeGradients(model, ctx.loss, ctx.data)),
    // On one micro-batch: the BN statistics training sees are those of a micro-batch.
    new BnHealthCallback(model, bnSites(ctx.arch), () => ctx.data.probeBatches(ctx.plan.micro), event),
  ];
}

/**
 * A session that trains on makes the post-processing chosen at an earlier end stale (other weights,
 * another best checkpoint, another snapshot ring): it is dropped, with its test result, until this
 * session's end chooses again.
 */
function forgetPostprocess(store: RunStore, runId: string): void {
  const run = store.get(runId);
  if (run.postprocess === null && run.test === null) return;
  store.update(runId, { postprocess: null, test: null });
  store.addEvent(runId, { time: Date.now(), step: run.lastCheckpoint?.step ?? 0, epoch: run.epochsDone, type: 'postprocess-cleared', message: 'training continues: the post-processing chosen before (and its test score) no longer applies and is chosen again when training ends' });
}

/**
 * Whether a session's end chooses the run's post-processing: a run that trained at least one epoch
 * and ended done, or was stopped by its time budget or by early stopping (the cause the loop
 * recorded, EndReason's `by`). A stop asked for from outside (the user's, the lab's shutdown), a
 * failure or an interruption leaves it to `strata runs finalize`.
 */
export function finalizes(end: EndReason, epochsDone: number): boolean {
  if (epochsDone < 1) return false;
  if (end.kind === 'done') return true;
  return end.kind === 'stopped' && (end.by === 'time-limit' || end.by === 'early-stop');
}

/** Chooses the post-processing (finalize.ts); a failure is an event, never the run's failure: the training itself is kept. */
async function finalizeSession(ctx: TrainingContext): Promise<void> {
  const { runId, emit } = ctx;
  try {
    await finalizeRun(ctx.store, runId, {
      dataset: ctx.data.ds,
      backend: ctx.backend,
      event: ctx.event,
      log: (message) => emit({ type: 'log', runId, level: 'info', message }),
    });
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    const run = ctx.store.summary(runId);
    ctx.event({
      type: 'finalize-failed',
      epoch: run.lastCheckpoint?.epoch ?? 0,
      step: run.lastCheckpoint?.step ?? 0,
      message: `the post-processing could not be chosen (${reason}); predictions use the best checkpoint without it until \`strata runs finalize ${runId}\` succeeds`,
    });
    emit({ type: 'log', runId, level: 'warn', message: `finalize failed: ${reason}` });
  }
}

function isFinal(s: RunStatus): boolean {
  return s === 'done' || s === 'stopped' || s === 'failed' || s === 'interrupted';
}

/**
 * Gradients of the loss on a fixed batch (the first validation batch, or the first training batch
 * when there is no validation split), by stable weight name, for the per-level statistics.
 */
async function probeGradients(model: UNetModel, loss: ReturnType<typeof makeLoss>, data: TrainingData): Promise<Map<string, tf.Tensor>> {
  const first = data.valBatches().next();
  const b = first.done ? data.trainBatch(0, 0) : first.value;
  try {
    const { grads } = await batchGradients(model, loss, b.x, b.y, b.shape);
    return model.params.byStableName(grads);
  } finally {
    // A probe must not move the BN statistics.
    model.discardBnUpdates();
  }
}

