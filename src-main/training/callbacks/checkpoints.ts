/**
 * Saves the run's checkpoints after every epoch (the last, and the best when the epoch became it),
 * then records the run's progress: epochs done, last checkpoint, best epoch, training time. With
 * snapshot ensembling (config.inference.snapshots K > 1) the epoch's weights also join the run's
 * snapshot ring, which keeps the last K epochs for the ensemble finalize.ts weighs at the end.
 */
import type { Checkpoint } from '../../../shared/runs/types';
import type { Callback, EpochLogs } from '../loop';
import type { TrainingContext } from '../trainingContext';
import type { BestEpochTracker } from './bestEpoch';

export class CheckpointSaver implements Callback {
  /** The epoch of the newest checkpoint on disk, named when a later save fails. */
  private keptEpoch: number | null;

  constructor(
    private readonly ctx: TrainingContext,
    private readonly best: BestEpochTracker,
  ) {
    this.keptEpoch = ctx.resumedFrom ? ctx.resumedFrom.epoch : null;
  }

  async onEpochEnd(epoch: number, logs: EpochLogs): Promise<void> {
    const { store, runId } = this.ctx;
    const ckpt = await this.snapshot(epoch, logs.step);
    // The ring first: a crash before `last` is saved redoes this epoch, and that save replaces the entry.
    const ring = this.ctx.run.config.inference.snapshots;
    if (ring > 1) this.save('snapshot', ckpt, ring);
    this.save('last', ckpt);
    this.keptEpoch = epoch;
    const improved = this.best.improved;
    if (improved) this.save('best', ckpt);
    store.update(runId, { epochsDone: epoch + 1, lastCheckpoint: { epoch, step: logs.step }, best: this.best.best, durationMs: this.ctx.trainingMs() });
    this.ctx.event({ type: 'checkpoint', epoch, step: logs.step, message: `checkpoint saved (epoch ${epoch + 1}${improved ? ', new best' : ''})`, data: { best: improved } });
  }

  private async snapshot(epoch: number, step: number): Promise<Checkpoint> {
    const { model, optimizer: opt, schedule, early, data, lrScale } = this.ctx;
    const [tensors, state] = await Promise.all([model.getWeights(), opt.readState()]);
    return {
      epoch,
      step,
      tensors,
      optimizer: { name: opt.config.name, tensors: state, iterations: opt.iterations },
      extra: { plateau: schedule.plateau?.snapshot() ?? null, early: early?.snapshot() ?? null, lr: opt.learningRate, norm: data.norm, lrScale },
    };
  }

  /**
   * A failed save (disk full, read-only) ends the run; the message says which save failed and which
   * checkpoint is still there to resume from, since the store's own error names only a file.
   */
  private save(kind: 'last' | 'best' | 'snapshot', ckpt: Checkpoint, ring = 1): void {
    try {
      if (kind === 'snapshot') this.ctx.store.saveSnapshot(this.ctx.runId, ckpt, ring);
      else this.ctx.store.saveCheckpoint(this.ctx.runId, kind, ckpt);
    } catch (e) {
      const kept = this.keptEpoch === null ? 'there is no earlier checkpoint' : `the checkpoint of epoch ${this.keptEpoch + 1} is kept`;
      const what = { best: 'best checkpoint', last: 'checkpoint', snapshot: 'snapshot' }[kind];
      throw new Error(`could not save the ${what} of epoch ${ckpt.epoch + 1}: ${e instanceof Error ? e.message : String(e)}; ${kept}`, { cause: e });
    }
  }
}
