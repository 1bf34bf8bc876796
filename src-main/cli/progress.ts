import { isOpenEnded } from '../../shared/runs/request';
import type { TrainerMessage } from '../../shared/training/protocol';

/** "epoch 3/10", or "epoch 3" for an open-ended run (a time budget and no epochs: the budget ends it). */
function epochOf(epoch: number, epochs: number): string {
  return isOpenEnded(epochs) ? `epoch ${epoch + 1}` : `epoch ${epoch + 1}/${epochs}`;
}

/** Seconds as "1h02m", "3m05s" or "12s". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--';
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

function bar(fraction: number, width: number): string {
  const n = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

/**
 * Renders trainer messages on stderr: a one-line bar redrawn in place on a terminal,
 * plain lines (epochs and events only) when stderr is a file or pipe.
 */
export class ProgressPrinter {
  private readonly tty: boolean;
  private lineOpen = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(out.isTTY);
  }

  handle(m: TrainerMessage): void {
    switch (m.type) {
      case 'backend':
        this.line(`backend: ${m.name} (${m.detail})${m.skipped.length ? `; skipped ${m.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}` : ''}`);
        break;
      case 'batch': {
        if (!this.tty) return;
        const x = m.metric;
        const text =
          `${epochOf(x.epoch, m.epochs)} ${bar((x.batch + 1) / m.batches, 20)} ${x.batch + 1}/${m.batches}` +
          `  loss ${x.loss.toFixed(4)}  IoU ${x.iou.toFixed(3)}  ${x.imagesPerSec.toFixed(1)} img/s  ETA ${formatDuration(m.etaSeconds)}`;
        this.out.write(`\r${text.slice(0, (this.out.columns || 120) - 1)}\x1b[K`);
        this.lineOpen = true;
        break;
      }
      case 'epoch': {
        const x = m.metric;
        this.line(
          `${epochOf(x.epoch, m.epochs)}: loss ${x.trainLoss.toFixed(4)} IoU ${x.trainIoU.toFixed(3)}` +
            ` | val loss ${x.valLoss.toFixed(4)} IoU ${x.valIoU.toFixed(3)} score ${x.valScore.toFixed(3)} (t=${x.bestThreshold.toFixed(2)})` +
            ` | ${x.imagesPerSec.toFixed(1)} img/s, ${formatDuration(x.epochSeconds)}/epoch, ETA ${formatDuration(m.etaSeconds)}`,
        );
        break;
      }
      case 'event':
        this.line(`event: ${m.event.message}`);
        break;
      case 'log':
        this.line(`${m.level}: ${m.message}`);
        break;
      case 'status':
        this.line(`status: ${m.status}${m.reason ? ` (${m.reason})` : ''}`);
        break;
      case 'ended':
        break;
    }
  }

  private line(text: string): void {
    if (this.lineOpen) this.out.write('\r\x1b[K');
    this.lineOpen = false;
    this.out.write(`${text}\n`);
  }
}
