/**
 * BN health at every epoch end (event `bn-health`, see shared/analysis/bnHealth.ts): each BN site's
 * drift between batch and moving statistics, and the gap between its training-mode and
 * inference-mode outputs, on fixed batches. Three forward passes of one (micro-)batch an epoch.
 */
import { BN_HEALTH_EVENT, bnHealthMessage, type BnHealthData, type BnSite } from '../../../shared/analysis/bnHealth';
import { measureBnHealth } from '../analysis/bnHealth';
import type { EventSink } from '../callbacks';
import type { StepBatch } from '../data';
import type { Callback, EpochLogs } from '../loop';
import type { UNetModel } from '../model';

/** The fixed batches, asked for once (at the first epoch end) and kept for the session. */
export type ProbeBatches = () => { train: StepBatch; val: StepBatch };

export class BnHealthCallback implements Callback {
  private batches: ReturnType<ProbeBatches> | null = null;

  constructor(
    private readonly model: UNetModel,
    private readonly sites: readonly BnSite[],
    private readonly probe: ProbeBatches,
    private readonly event: EventSink,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async onEpochEnd(epoch: number, logs: EpochLogs): Promise<void> {
    if (this.sites.length === 0) return;
    const t0 = this.now();
    this.batches ??= this.probe();
    const { train, val } = this.batches;
    const nodes = await measureBnHealth(this.model, this.sites, train, val);
    const data: BnHealthData = { nodes, trainImages: train.count, valImages: val.count, seconds: (this.now() - t0) / 1000 };
    this.event({ type: BN_HEALTH_EVENT, epoch, step: logs.step, message: bnHealthMessage(epoch, nodes), data: { ...data } });
  }
}
