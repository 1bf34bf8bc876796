/**
 * The monitor's data and charts: rebuilding from the store, extending with live messages without
 * duplicates, and drawing a 100k-step run downsampled while keeping every point.
 */
import { describe, expect, it } from 'vitest';
import type { BatchMetric, EpochMetric, RunEvent, RunRecord } from '../../shared/runs/types';
import type { TrainerMessage } from '../../shared/training/protocol';
import { buildCharts, chartMarkers, chartNote, DEFAULT_CHART_SETTINGS } from '../../src-renderer/workflows/trainingCharts';
import { seriesFraction, seriesReducer, type RunSeries } from '../../src-renderer/workflows/trainingSeries';
import { summary } from '../renderer/fixtures';

const ID = '20250607-153012-123-k3j9x2';
const record = (over: Partial<RunRecord> = {}): RunRecord => {
  const { archName: _a, trainCount: _t, valCount: _v, ...rest } = summary({ id: ID, status: 'running', epochsDone: 1 });
  return { ...rest, arch: { format: 'strata-arch', version: 1, name: 'tiny', init: 'glorot_normal', nodes: [], edges: [] }, split: { train: [], val: [], test: [] }, ...over };
};
const bm = (step: number, epoch = 0, batch = step, loss = 1 / (step + 1)): BatchMetric => ({ step, epoch, batch, loss, iou: 0.5, lr: 0.01, imagesPerSec: 20, time: 1000 + step });
const em = (epoch: number, step: number, valScore: number): EpochMetric => ({
  epoch, step, trainLoss: 0.5, trainIoU: 0.5, valLoss: 0.6, valIoU: 0.4, valPixelIoU: 0.4, valScore, bestThreshold: 0.5, lr: 0.01, imagesPerSec: 20, epochSeconds: 3, time: 2000 + epoch,
});
const ev = (type: string, epoch: number, step: number, time: number): RunEvent => ({ type, epoch, step, time, message: `${type} happened` });

function loaded(batches: BatchMetric[], epochs: EpochMetric[] = [], events: RunEvent[] = []): RunSeries {
  const s = seriesReducer(null, { type: 'loaded', record: record(), batches, epochs, events });
  if (!s) throw new Error('no series');
  return s;
}

describe('the monitor series', () => {
  it('drops live steps, epochs and events the load already brought, and ignores other runs', () => {
    const s0 = loaded([bm(0), bm(1), bm(2)], [em(0, 3, 0.2)], [ev('checkpoint', 0, 3, 50)]);
    const messages: TrainerMessage[] = [
      { type: 'batch', runId: ID, metric: bm(2), batches: 5, epochs: 10, etaSeconds: 9 },
      { type: 'batch', runId: ID, metric: bm(3), batches: 5, epochs: 10, etaSeconds: 8 },
      { type: 'batch', runId: 'other', metric: bm(4), batches: 5, epochs: 10, etaSeconds: 8 },
      { type: 'event', runId: ID, event: ev('checkpoint', 0, 3, 50) },
      { type: 'event', runId: ID, event: ev('plateau', 0, 3, 60) },
      { type: 'epoch', runId: ID, metric: em(1, 6, 0.5), epochs: 10, etaSeconds: 7 },
    ];
    const s1 = seriesReducer(s0, { type: 'messages', messages });
    expect(s1?.batches.step).toEqual([0, 1, 2, 3]);
    expect(s1?.events.map((e) => e.type)).toEqual(['checkpoint', 'plateau']);
    expect(s1?.epochs.map((e) => e.epoch)).toEqual([0, 1]);
    expect(s1?.best).toEqual({ epoch: 1, score: 0.5, metric: 'valScore' });
    // The load is untouched: the reducer copies before appending.
    expect(s0.batches.step).toEqual([0, 1, 2]);
    // After epoch index 1 ended: 2 of 10 epochs done.
    expect(s1 && seriesFraction(s1.progress)).toBeCloseTo(0.2, 12);
  });

  it('keeps what arrived live when the store is read again', () => {
    const s0 = loaded([bm(0)]);
    const s1 = seriesReducer(s0, { type: 'messages', messages: [{ type: 'batch', runId: ID, metric: bm(1), batches: 5, epochs: 10, etaSeconds: null }] });
    const s2 = seriesReducer(s1, { type: 'loaded', record: record(), batches: [bm(0), bm(1), bm(2)], epochs: [], events: [] });
    expect(s2?.batches.step).toEqual([0, 1, 2]);
    const ended = seriesReducer(s2, { type: 'messages', messages: [{ type: 'ended', runId: ID, status: 'stopped', reason: 'by hand' }] });
    expect(ended?.status).toBe('stopped');
    expect(ended?.statusReason).toBe('by hand');
  });

  it('draws 100,000 steps as at most maxPoints per line and keeps every step in the series', () => {
    const n = 100_000;
    const batches = Array.from({ length: n }, (_, i) => bm(i, Math.floor(i / 1000), i % 1000, i === 54_321 ? 50 : 1 / (1 + i / 1000)));
    const s = loaded(batches);
    const charts = buildCharts(s, { ...DEFAULT_CHART_SETTINGS, maxPoints: 1000 });
    const loss = charts.find((c) => c.id === 'loss');
    const raw = loss?.lines.find((l) => l.style === 'raw');
    expect(s.batches.step.length).toBe(n);
    expect(raw?.total).toBe(n);
    expect(raw?.points.length).toBe(1000);
    // LTTB keeps the spike a stride would likely skip.
    expect(raw?.points.some(([x, y]) => x === 54_321 && y === 50)).toBe(true);
  });

  it('places steps on the epoch axis as fractions and marks the best epoch and events there', () => {
    const s = loaded([bm(0, 0, 0), bm(1, 0, 1), bm(2, 1, 0), bm(3, 1, 1)], [em(0, 2, 0.3), em(1, 4, 0.1)], [ev('lr-reduced', 1, 4, 70), ev('paused', 1, 3, 65)]);
    const charts = buildCharts(s, { ...DEFAULT_CHART_SETTINGS, xAxis: 'epoch' });
    const raw = charts.find((c) => c.id === 'loss')?.lines.find((l) => l.style === 'raw');
    // Two batches per epoch: batch 0 of epoch 0 ends at 0.5, batch 1 of epoch 1 at 2.
    expect(raw?.points.map((p) => p[0])).toEqual([0.5, 1, 1.5, 2]);
    const markers = chartMarkers(s, 'epoch');
    expect(markers.map((m) => [m.kind, m.x])).toEqual([['best', 1], ['lr-reduced', 2]]);
    expect(markers[1]?.detail).toMatch(/plateau schedule cut the learning rate/);
  });

  it('draws the checkerboard score of the predicted maps per epoch, with its shape ratio', () => {
    const epochs = [em(0, 2, 0.1), em(1, 4, 0.2)].map((e, i) => ({ ...e, extra: { valNyquistAmplitude: [0.04, 0.02][i] as number, valNyquistShape: [0.31, 0.12][i] as number } }));
    const s = loaded([bm(0), bm(1), bm(2), bm(3)], epochs);
    const chart = buildCharts(s, { ...DEFAULT_CHART_SETTINGS, xAxis: 'epoch' }).find((c) => c.id === 'checkerboard');
    expect(chart?.lines.map((l) => l.name)).toEqual(['checkerboard score (period-2 amplitude)', 'shape ratio (Nyquist share of fine detail)']);
    expect(chart?.lines[0]?.points.map((p) => p[1])).toEqual([0.04, 0.02]);
    expect(chart?.lines[1]?.points.map((p) => p[1])).toEqual([0.31, 0.12]);
    expect(chartNote('checkerboard')).toMatch(/invisible|too faint/);
  });

  it("draws an older run's checkerboard figure as the shape ratio it was, never as the score", () => {
    const epochs = [em(0, 2, 0.1), em(1, 4, 0.2)].map((e, i) => ({ ...e, extra: { valCheckerboard: [0.49, 0.99][i] as number } }));
    const chart = buildCharts(loaded([bm(0)], epochs), { ...DEFAULT_CHART_SETTINGS, xAxis: 'epoch' }).find((c) => c.id === 'checkerboard');
    expect(chart?.lines[0]?.points.map((p) => p[1])).toEqual([Number.NaN, Number.NaN]);
    expect(chart?.lines[1]?.name).toBe('shape ratio (all an older run recorded)');
    expect(chart?.lines[1]?.points.map((p) => p[1])).toEqual([0.49, 0.99]);
  });

  it('draws BN health per BN node from the bn-health events, on log axes, with what high values mean', () => {
    const health = (epoch: number, step: number, rows: [string, number, number, number][]): RunEvent => ({
      ...ev('bn-health', epoch, step, 100 + epoch),
      data: { nodes: rows.map(([nodeId, meanShift, varLogRatio, gap]) => ({ nodeId, kind: nodeId === 'head' ? 'head' : 'down', layers: 1, meanShift, varLogRatio, gap })), trainImages: 4, valImages: 4, seconds: 0.1 },
    });
    const events = [
      health(0, 3, [['down0', 0.02, 0.05, 0.01], ['head', 0.1, 0.2, 0.03]]),
      // Through JSON, as the store keeps it: a NaN (a figure that could not be measured) comes back null, a gap in the line.
      JSON.parse(JSON.stringify(health(1, 6, [['down0', 0.04, 0.07, 0.02], ['head', 0.3, 0.4, Number.NaN]]))) as RunEvent,
      ev('checkpoint', 1, 6, 120),
    ];
    const charts = buildCharts(loaded([bm(0)], [], events), { ...DEFAULT_CHART_SETTINGS, xAxis: 'epoch' });
    const by = (id: string) => charts.find((c) => c.id === id);
    expect(by('bn-gap')?.yLog).toBe(true);
    expect(by('bn-gap')?.lines.map((l) => [l.name, l.points])).toEqual([
      ['down0', [[1, 0.01], [2, 0.02]]],
      ['head', [[1, 0.03], [2, Number.NaN]]],
    ]);
    expect(by('bn-mean-drift')?.lines[1]?.points).toEqual([[1, 0.1], [2, 0.3]]);
    expect(by('bn-var-drift')?.lines[0]?.points).toEqual([[1, 0.05], [2, 0.07]]);
    for (const id of ['bn-gap', 'bn-mean-drift', 'bn-var-drift']) expect(chartNote(id)).toMatch(/High values|Above about/);
    // A run without the events (an older one) has no BN charts.
    expect(buildCharts(loaded([bm(0)]), DEFAULT_CHART_SETTINGS).some((c) => c.id.startsWith('bn-'))).toBe(false);
  });

  it('turns values a log axis cannot draw into gaps', () => {
    const s = loaded([bm(0, 0, 0, 0.5), bm(1, 0, 1, 0), bm(2, 0, 2, Number.NaN)]);
    const raw = buildCharts(s, { ...DEFAULT_CHART_SETTINGS, logLoss: true }).find((c) => c.id === 'loss')?.lines[0];
    expect(raw?.points.map((p) => p[1])).toEqual([0.5, Number.NaN, Number.NaN]);
  });
});
