/**
 * A run on the webgpu backend whose GPU device is lost (a driver reset, a removed GPU, a device
 * destroyed) ends as interrupted with Dawn's reason (event `device-lost`), keeping its last
 * checkpoint: the device cannot come back in this process, but the run can resume, on this backend in
 * a new process or on another one (`strata runs resume ID --backend wasm`).
 */
import type { EventSink } from '../callbacks';
import type { BatchLogs, Callback, LoopControl } from '../loop';
import { deviceLossMessage, type WebgpuDeviceLoss } from '../webgpu';

export class DeviceLostWatch implements Callback {
  private at = { epoch: 0, step: 0 };
  private ended = false;

  constructor(
    private readonly lost: Promise<WebgpuDeviceLoss>,
    private readonly control: LoopControl,
    private readonly event: EventSink,
    start: { epoch: number; step: number },
  ) {
    this.at = { ...start };
  }

  onTrainBegin(): void {
    void this.lost.then((loss) => {
      // A device destroyed as the process leaves, after the run ended, is no loss of the run's.
      if (this.ended) return;
      const message = deviceLossMessage(loss);
      this.event({ type: 'device-lost', ...this.at, message, data: { ...loss } });
      this.control.interrupt(message);
    });
  }

  onEpochBegin(epoch: number): void {
    this.at = { ...this.at, epoch };
  }

  onBatchEnd(logs: BatchLogs): void {
    this.at = { epoch: logs.epoch, step: logs.step };
  }

  onTrainEnd(): void {
    this.ended = true;
  }
}
