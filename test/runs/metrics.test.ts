import { afterEach, describe, expect, it } from 'vitest';
import type { BatchMetric, EpochMetric } from '../../shared/runs/types';
import { RunInputError, RunNotFoundError } from '../../src-main/runs/errors';
import { RunStore } from '../../src-main/runs/store';
import { scratchDir } from './helpers';
import { sampleInit } from './sample';

let store: RunStore | null = null;
afterEach(() => {
  store?.close();
  store = null;
});

function batch(step: number, loss: number): BatchMetric {
  return { step, epoch: Math.floor(step / 4), batch: step % 4, loss, iou: 1 - loss, lr: 0.01, imagesPerSec: 10 + step, time: 1000 + step };
}

function epoch(e: number, score: number): EpochMetric {
  return {
    epoch: e, step: e * 4 + 3, trainLoss: 0.5, trainIoU: 0.5, valLoss: 0.4, valIoU: 0.6, valPixelIoU: 0.65,
    valScore: score, bestThreshold: 0.45, lr: 0.01, imagesPerSec: 12, epochSeconds: 30, time: 2000 + e,
  };
}

describe('RunStore: metrics and events', () => {
  it('reads batch metrics back in step order whatever order they were appended in', () => {
    store = RunStore.open(scratchDir('metrics'));
    const run = store.createRun(sampleInit());
    store.appendBatchMetrics(run.id, [batch(4, 0.4), batch(5, 0.3)]);
    store.appendBatchMetrics(run.id, [batch(0, 0.9), batch(1, 0.8), batch(2, 0.7), batch(3, 0.6)]);
    const rows = store.batchMetrics(run.id);
    expect(rows.map((r) => r.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(rows[5]).toEqual(batch(5, 0.3));
    expect(store.batchMetrics(run.id, { fromStep: 3 }).map((r) => r.step)).toEqual([3, 4, 5]);
    expect(store.batchMetrics(run.id, { fromStep: 1, limit: 2 }).map((r) => r.step)).toEqual([1, 2]);
  });

  it('keeps NaN and infinite losses as they were', () => {
    store = RunStore.open(scratchDir('nan'));
    const run = store.createRun(sampleInit());
    store.appendBatchMetrics(run.id, [batch(0, NaN), batch(1, Infinity), batch(2, -Infinity)]);
    const [a, b, c] = store.batchMetrics(run.id);
    expect(a?.loss).toBeNaN();
    expect(b?.loss).toBe(Infinity);
    expect(c?.loss).toBe(-Infinity);
    store.appendEpochMetric(run.id, { ...epoch(1, NaN), extra: { gradNorm: 3.5, ratio: NaN, top: Infinity } });
    const e = store.epochMetrics(run.id)[0];
    expect(e?.valScore).toBeNaN();
    expect(e?.extra?.gradNorm).toBe(3.5);
    expect(e?.extra?.ratio).toBeNaN();
    expect(e?.extra?.top).toBe(Infinity);
  });

  it('writes a batch of metrics in one transaction: a bad row stores none of them', () => {
    store = RunStore.open(scratchDir('tx'));
    const run = store.createRun(sampleInit());
    expect(() => store?.appendBatchMetrics(run.id, [batch(0, 1), { ...batch(1, 1), step: 1.5 }])).toThrow(RunInputError);
    expect(store.batchMetrics(run.id)).toEqual([]);
  });

  it('stores epochs in order, replaces a redone epoch, and rewinds to a checkpoint', () => {
    store = RunStore.open(scratchDir('epochs'));
    const run = store.createRun(sampleInit());
    store.appendEpochMetric(run.id, epoch(2, 0.3));
    store.appendEpochMetric(run.id, epoch(1, 0.2));
    store.appendEpochMetric(run.id, { ...epoch(3, 0.1), extra: { gradNorm: 2 } });
    expect(store.epochMetrics(run.id).map((e) => [e.epoch, e.valScore])).toEqual([[1, 0.2], [2, 0.3], [3, 0.1]]);
    expect(store.epochMetrics(run.id)[2]).toEqual({ ...epoch(3, 0.1), extra: { gradNorm: 2 } });
    store.appendEpochMetric(run.id, epoch(2, 0.35));
    expect(store.epochMetrics(run.id).map((e) => e.valScore)).toEqual([0.2, 0.35, 0.1]);

    store.appendBatchMetrics(run.id, Array.from({ length: 16 }, (_, i) => batch(i, 0.5)));
    store.rewind(run.id, { epoch: 2, step: 11 });
    expect(store.epochMetrics(run.id).map((e) => e.epoch)).toEqual([1, 2]);
    expect(store.batchMetrics(run.id).map((b) => b.step)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('records events in order with their data', () => {
    store = RunStore.open(scratchDir('events'));
    const run = store.createRun(sampleInit());
    store.addEvent(run.id, { time: 5, step: 0, epoch: 0, type: 'start', message: 'started on cpu' });
    store.addEvent(run.id, { time: 3, step: 40, epoch: 2, type: 'lr', message: 'lr reduced', data: { from: 0.01, to: 0.005 } });
    expect(store.events(run.id)).toEqual([
      { time: 5, step: 0, epoch: 0, type: 'start', message: 'started on cpu' },
      { time: 3, step: 40, epoch: 2, type: 'lr', message: 'lr reduced', data: { from: 0.01, to: 0.005 } },
    ]);
  });

  it('refuses metrics for a run that does not exist', () => {
    store = RunStore.open(scratchDir('missing'));
    expect(() => store?.appendBatchMetrics('20250101-000000-000-aaaaaa', [batch(0, 1)])).toThrow(RunNotFoundError);
    expect(() => store?.epochMetrics('20250101-000000-000-aaaaaa')).toThrow(/No run 20250101-000000-000-aaaaaa/);
  });
});
