/** Every tensor has an owner: after the first epoch the number of live tensors must stay flat; a change is logged. */
import type { Emit } from '../callbacks';
import type { Callback } from '../loop';

export class LeakWatch implements Callback {
  private atStart = 0;
  private afterFirstEpoch: number | null = null;

  constructor(
    private readonly runId: string,
    private readonly emit: Emit,
    private readonly count: () => number,
  ) {}

  onTrainBegin(): void {
    this.atStart = this.count();
  }

  onEpochEnd(): void {
    const n = this.count();
    if (this.afterFirstEpoch === null) this.afterFirstEpoch = n;
    else if (n !== this.afterFirstEpoch) {
      this.emit({ type: 'log', runId: this.runId, level: 'warn', message: `tensor count changed from ${this.afterFirstEpoch} to ${n} (start ${this.atStart})` });
    }
  }
}
