/** Stores an epoch's validation predictions for the mask viewer: the best epoch's always, others as the run asks. */
import type { Callback } from '../loop';
import type { TrainingContext } from '../trainingContext';
import type { BestEpochTracker } from './bestEpoch';

export class PredictionSaver implements Callback {
  constructor(
    private readonly ctx: TrainingContext,
    private readonly best: BestEpochTracker,
  ) {}

  onEpochEnd(epoch: number): void {
    const { run, data, store } = this.ctx;
    const asked = run.config.predictEpochs;
    const wanted = this.best.improved || asked === undefined || asked.includes(epoch + 1);
    const v = this.ctx.latestValidation;
    if (wanted && v) store.savePredictions(this.ctx.runId, epoch, data.valIds, v.probs, data.height, data.width);
  }
}
