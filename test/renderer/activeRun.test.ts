import { describe, expect, it } from 'vitest';
import { OPEN_ENDED_EPOCHS } from '../../shared/runs/request';
import { formatEpochs } from '../../src-renderer/workflows/format';
import type { BatchMetric, EpochMetric } from '../../shared/runs/types';
import { activeRunLabel, activeRunReducer, NO_ACTIVE_RUN, progressFraction, type ActiveRun } from '../../src-renderer/workflows/activeRun';
import { summary } from './fixtures';

const ID = '20250607-153012-123-k3j9x2';
const batch = (epoch: number, b: number): BatchMetric => ({ step: 0, epoch, batch: b, loss: 1, iou: 0, lr: 0.01, imagesPerSec: 10, time: 0 });
const epochMetric = (epoch: number) => ({ epoch }) as EpochMetric;

describe('the training run in the status bar', () => {
  const live = activeRunReducer(NO_ACTIVE_RUN, { type: 'active', summary: summary({ id: ID, name: 'tiny · demo', status: 'running', epochsDone: 2 }) });

  it('starts from the summary: finished epochs, no batch yet', () => {
    expect(live).toMatchObject({ phase: 'live', runId: ID, status: 'running', progress: { epoch: 2, epochs: 10, batch: -1, batches: null } });
    // 2 of 10 epochs done: 20 %, showing the third epoch.
    expect(activeRunLabel(live)).toBe('training tiny · demo · epoch 3/10 · 20%');
  });

  it('shows no epoch total or share for a run bounded by its time budget alone', () => {
    const s = activeRunReducer(live, { type: 'message', message: { type: 'batch', runId: ID, metric: batch(4, 4), batches: 10, epochs: OPEN_ENDED_EPOCHS, etaSeconds: 90 } });
    expect(activeRunLabel(s)).toBe('training tiny · demo · epoch 5 · ETA 1m 30s');
    expect(formatEpochs(4, OPEN_ENDED_EPOCHS)).toBe('4/–');
    expect(formatEpochs(4, 10)).toBe('4/10');
  });

  it('follows batch and epoch messages', () => {
    // Epoch index 4 (the fifth), batch index 4 of 10: (4 + 5/10) / 10 = 45 %.
    const s = activeRunReducer(live, { type: 'message', message: { type: 'batch', runId: ID, metric: batch(4, 4), batches: 10, epochs: 10, etaSeconds: 125 } });
    expect(s.phase === 'live' && progressFraction(s.progress)).toBeCloseTo(0.45, 10);
    expect(activeRunLabel(s)).toBe('training tiny · demo · epoch 5/10 · 45% · ETA 2m 05s');
    const e = activeRunReducer(s, { type: 'message', message: { type: 'epoch', runId: ID, metric: epochMetric(4), epochs: 10, etaSeconds: 60 } });
    expect(activeRunLabel(e)).toBe('training tiny · demo · epoch 6/10 · 50% · ETA 1m 00s');
  });

  it('takes the backend the trainer reports, and ignores messages of other runs', () => {
    const s = activeRunReducer(live, {
      type: 'message',
      message: { type: 'backend', runId: ID, name: 'wasm', detail: '1 thread · SIMD', threads: 1, skipped: [] },
    });
    expect(s.phase === 'live' && s.backend).toBe('wasm · 1 thread · SIMD');
    const other = activeRunReducer(s, { type: 'message', message: { type: 'status', runId: 'other', status: 'paused' } });
    expect(other).toBe(s);
  });

  it('keeps finer progress when the same run is refreshed, and clears when it ends', () => {
    const s = activeRunReducer(live, { type: 'message', message: { type: 'batch', runId: ID, metric: batch(2, 7), batches: 10, epochs: 10, etaSeconds: null } });
    const again = activeRunReducer(s, { type: 'active', summary: summary({ id: ID, name: 'tiny · demo', status: 'running', epochsDone: 2 }) }) as ActiveRun;
    expect(again.phase === 'live' && again.progress.batch).toBe(7);
    expect(activeRunReducer(s, { type: 'message', message: { type: 'ended', runId: ID, status: 'done' } })).toEqual(NO_ACTIVE_RUN);
    // The queue may still name a run whose trainer is exiting; a final status means nothing trains.
    expect(activeRunReducer(s, { type: 'active', summary: summary({ id: ID, status: 'done' }) })).toEqual(NO_ACTIVE_RUN);
    expect(activeRunLabel(NO_ACTIVE_RUN)).toBe('no run training');
  });
});
