/**
 * The note's wrong step, end to end: the detector keeps the checkpoint from before a loss jump, and
 * a run rewound to it continues from there with a lower learning rate.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../shared/runs/types';
import { startTrainer } from '../../src-main/lab/trainerHost';
import { rewindToBeforeJump } from '../../src-main/runs/rewind';
import { WrongStepCallback } from '../../src-main/training/callbacks/diagnostics';
import type { BatchLogs, EpochLogs } from '../../src-main/training/loop';
import { createRun, withStore } from '../helpers/trainerRuns';

const root = mkdtempSync(path.join(os.tmpdir(), 'strata-rewind-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const batch = (step: number, epoch: number, loss: number): BatchLogs => ({ step: step + 1, epoch, batch: step % 10, batches: 10, loss, iou: 0.5, lr: 0.01, images: 8, seconds: 0.1 });
const epochEnd = (epoch: number, trainLoss: number): EpochLogs => ({ epoch, step: (epoch + 1) * 10, trainLoss, trainIoU: 0.5, lr: 0.01, imagesPerSec: 80, epochSeconds: 1 });

describe('wrong step: keeping the checkpoint before the jump', () => {
  it('keeps it once, when the jump is confirmed, and offers a rewind to it', () => {
    const events: Omit<RunEvent, 'time'>[] = [];
    let kept = 0;
    const cb = new WrongStepCallback((e) => events.push(e), { baseline: 20, confirm: 5, epochs: 2 }, () => {
      kept++;
      return 2; // the last checkpoint when the jump is seen: the end of epoch 3 (index 2)
    });
    // Epochs 0-2 at loss 1.0, then from epoch 3 on the loss jumps to 3.0 and stays.
    let step = 0;
    for (let epoch = 0; epoch < 7; epoch++) {
      for (let b = 0; b < 10; b++) cb.onBatchEnd(batch(step++, epoch, epoch < 3 ? 1 : 3));
      cb.onEpochEnd(epoch, epochEnd(epoch, epoch < 3 ? 1 : 3));
    }
    expect(kept).toBe(1);
    const wrong = events.filter((e) => e.type === 'wrong-step');
    expect(wrong).toHaveLength(1);
    expect(wrong[0]?.data?.['resume']).toEqual({ fromEpoch: 2, lr: 0.001, lrFactor: 0.1, checkpoint: 'before-jump' });
  });
});

describe('rewinding a run to before the jump', () => {
  it('continues from that checkpoint with the learning rate scaled, dropping the metrics past it', async () => {
    const runsDir = path.join(root, 'a');
    // A constant rate, so the scale the rewind applies is the only change of rate to see.
    const runId = createRun(runsDir, { epochs: 4, optimizer: { name: 'sgd', lr: 0.01, momentum: 0.9 }, schedule: { kind: 'constant' } });
    expect((await startTrainer({ runsDir, runId }).done).status).toBe('done');
    // Stand in for the detector: keep the checkpoint of epoch 3 (the last one's previous generation) as "before the jump".
    withStore(runsDir, (s) => {
      const previous = s.loadCheckpoint(runId, 'last', { previous: true });
      expect(previous?.epoch).toBe(2);
      if (previous) s.saveCheckpoint(runId, 'before-jump', previous);
      rewindToBeforeJump(s, runId, 0.1);
      expect(s.epochMetrics(runId).map((e) => e.epoch)).toEqual([0, 1, 2]);
      expect(s.batchMetrics(runId).at(-1)?.epoch).toBe(2);
      expect(s.get(runId)?.epochsDone).toBe(3);
      expect(s.events(runId).some((e) => e.type === 'rewound')).toBe(true);
    });
    expect((await startTrainer({ runsDir, runId }).done).status).toBe('done');
    withStore(runsDir, (s) => {
      expect(s.epochMetrics(runId).map((e) => e.epoch)).toEqual([0, 1, 2, 3]);
      const lrs = s.batchMetrics(runId).map((b) => [b.epoch, b.lr]);
      expect(lrs.filter(([e]) => e === 2).every(([, lr]) => Math.abs((lr as number) - 0.01) < 1e-12)).toBe(true);
      expect(lrs.filter(([e]) => e === 3).every(([, lr]) => Math.abs((lr as number) - 0.001) < 1e-12)).toBe(true);
      // The scale stays with the run: its new checkpoint carries it for later resumes.
      expect(s.loadCheckpoint(runId, 'last')?.extra?.['lrScale']).toBeCloseTo(0.1, 12);
    });
  });

  it('refuses a run with no checkpoint from before a jump, by name', () => {
    const runsDir = path.join(root, 'b');
    const runId = createRun(runsDir);
    withStore(runsDir, (s) => expect(() => rewindToBeforeJump(s, runId, 0.1)).toThrow(/no checkpoint from before a loss jump/));
    withStore(runsDir, (s) => expect(() => rewindToBeforeJump(s, runId, 0)).toThrow(/factor must be in \(0, 1\]/));
  });
});
