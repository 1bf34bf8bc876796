/** Records pauses and resumes of the run (status and event) at the position the run stands at between batches. */
import type { RunStatus } from '../../../shared/runs/types';
import type { EventSink } from '../callbacks';
import type { BatchLogs, Callback, LoopControl } from '../loop';

export class PauseRecorder implements Callback {
  private readonly position: { epoch: number; step: number };

  constructor(control: LoopControl, start: { epoch: number; step: number }, setStatus: (s: RunStatus) => void, event: EventSink) {
    this.position = { ...start };
    control.onPauseChange = (paused) => {
      setStatus(paused ? 'paused' : 'running');
      event({ type: paused ? 'paused' : 'resumed', ...this.position, message: paused ? `paused at step ${this.position.step}` : 'resumed' });
    };
  }

  onBatchEnd(l: BatchLogs): void {
    this.position.epoch = l.epoch;
    this.position.step = l.step;
  }
}
