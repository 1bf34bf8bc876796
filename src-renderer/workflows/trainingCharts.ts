/**
 * The monitor's charts as plain data: which lines each chart draws, on which x axis, with which
 * markers. Built from a run's series and the chart settings; the chart component only translates
 * this into ECharts options. Lines are smoothed on the full data and then downsampled for display
 * with LTTB, so a 100k-step run draws a few thousand points and keeps its spikes.
 */
import { bnHealthOf, type BnHealth } from '../../shared/analysis/bnHealth';
import { epochCheckerboard } from '../../shared/analysis/checkerboard';
import { downsampleSeries, emaSmooth } from '../../shared/metrics/smoothing';
import type { EpochMetric, RunEvent } from '../../shared/runs/types';
import { eventInfo, isMarkedEvent } from './trainingEvents';
import type { RunSeries } from './trainingSeries';
import type { ChartLine, ChartMarker, ChartModel, LineStyle, XAxisMode } from '../../shared/charts/chartModel';

// The chart model is shared with the experiment reports (src-main), which draw the same charts.
export type { ChartBand, ChartLine, ChartMarker, ChartModel, LineStyle, XAxisMode } from '../../shared/charts/chartModel';

/** The monitor's chart settings. */
export interface ChartSettings {
  xAxis: XAxisMode;
  /** A log axis for the loss charts. */
  logLoss: boolean;
  /** EMA weight in [0, 1) of the smoothed per-batch lines. */
  smoothing: number;
  /** Most points drawn per line. */
  maxPoints: number;
}

/** Defaults: steps, linear loss, TensorBoard's usual smoothing. */
export const DEFAULT_CHART_SETTINGS: ChartSettings = { xAxis: 'step', logLoss: false, smoothing: 0.6, maxPoints: 2000 };

/** Batches per epoch as the data shows it (the largest batch index seen + 1). */
function batchesPerEpoch(s: RunSeries): number {
  if (s.progress.batches) return s.progress.batches;
  let most = 0;
  for (const b of s.batches.batch) if (b + 1 > most) most = b + 1;
  return Math.max(1, most);
}

/** The x of every training step: the step, the fractional epoch (epoch 1 ends at 1), or its time. */
export function batchXs(s: RunSeries, mode: XAxisMode): number[] {
  const c = s.batches;
  if (mode === 'step') return c.step.slice();
  if (mode === 'time') return c.time.slice();
  const per = batchesPerEpoch(s);
  return c.epoch.map((e, i) => e + ((c.batch[i] ?? 0) + 1) / per);
}

/** The x of a finished epoch: its last step, its number (1-based, where it ends), or its time. */
export function epochX(m: Pick<EpochMetric, 'epoch' | 'step' | 'time'>, mode: XAxisMode): number {
  return mode === 'step' ? m.step : mode === 'epoch' ? m.epoch + 1 : m.time;
}

function eventX(e: RunEvent, mode: XAxisMode): number {
  // Events at an epoch's end carry its step; on the epoch axis they sit where the epoch ends.
  return mode === 'step' ? e.step : mode === 'epoch' ? e.epoch + 1 : e.time;
}

function line(name: string, style: LineStyle, xs: readonly number[], ys: readonly number[], maxPoints: number): ChartLine {
  const d = downsampleSeries(xs, ys, maxPoints);
  const points: [number, number][] = [];
  for (let i = 0; i < d.xs.length; i++) {
    const y = d.ys[i] ?? Number.NaN;
    // ECharts leaves a gap at a non-finite value, which is how a diverged loss should read.
    points.push([d.xs[i] ?? Number.NaN, Number.isFinite(y) ? y : Number.NaN]);
  }
  return { name, style, points, total: xs.length };
}

function epochLine(name: string, epochs: readonly EpochMetric[], mode: XAxisMode, y: (m: EpochMetric) => number, maxPoints: number): ChartLine {
  return line(name, 'epoch', epochs.map((m) => epochX(m, mode)), epochs.map(y), maxPoints);
}

/** On a log axis, values at or below zero cannot be drawn: they become gaps rather than breaking the axis. */
function positiveOnly(l: ChartLine): ChartLine {
  return { ...l, points: l.points.map(([x, y]) => [x, y > 0 ? y : Number.NaN]) };
}

/** The best epoch's marker, and the run's events that belong on the charts. */
export function chartMarkers(s: RunSeries, mode: XAxisMode): ChartMarker[] {
  const out: ChartMarker[] = [];
  const best = s.best ? s.epochs.find((e) => e.epoch === s.best?.epoch) : undefined;
  if (s.best && best) {
    const info = eventInfo('best');
    out.push({ x: epochX(best, mode), kind: 'best', label: info.label, detail: `best validation score ${s.best.score.toFixed(4)} at epoch ${s.best.epoch + 1}. ${info.explanation}` });
  }
  for (const e of s.events) {
    if (!isMarkedEvent(e.type)) continue;
    const info = eventInfo(e.type);
    out.push({ x: eventX(e, mode), kind: e.type, label: info.label, detail: `${e.message}. ${info.explanation}` });
  }
  return out;
}

/** Per-level statistics from the `level-stats` events, one line per level. */
function levelLines(s: RunSeries, mode: XAxisMode, field: 'gradientNorm' | 'updateRatio', maxPoints: number): ChartLine[] {
  const byLevel = new Map<string, { xs: number[]; ys: number[] }>();
  for (const e of s.events) {
    if (e.type !== 'level-stats') continue;
    const levels = e.data?.['levels'];
    if (!Array.isArray(levels)) continue;
    for (const raw of levels as unknown[]) {
      if (typeof raw !== 'object' || raw === null) continue;
      const level = (raw as Record<string, unknown>)['level'];
      const v = (raw as Record<string, unknown>)[field];
      if (typeof level !== 'string' || typeof v !== 'number') continue;
      const l = byLevel.get(level) ?? { xs: [], ys: [] };
      l.xs.push(eventX(e, mode));
      l.ys.push(v);
      byLevel.set(level, l);
    }
  }
  return [...byLevel.entries()].map(([level, l]) => positiveOnly(line(level, 'epoch', l.xs, l.ys, maxPoints)));
}

/** Every chart of the monitor for run `s`. */
export function buildCharts(s: RunSeries, settings: ChartSettings): ChartModel[] {
  const { xAxis: mode, maxPoints } = settings;
  const xs = batchXs(s, mode);
  const c = s.batches;
  const markers = chartMarkers(s, mode);
  const lossLines = [
    line('train loss (batch)', 'raw', xs, c.loss, maxPoints),
    line('train loss (smoothed)', 'smoothed', xs, emaSmooth(c.loss, settings.smoothing), maxPoints),
    epochLine('train loss (epoch)', s.epochs, mode, (m) => m.trainLoss, maxPoints),
    epochLine('val loss (epoch)', s.epochs, mode, (m) => m.valLoss, maxPoints),
  ];
  const charts: ChartModel[] = [
    { id: 'loss', title: 'Loss', xAxis: mode, yLog: settings.logLoss, lines: settings.logLoss ? lossLines.map(positiveOnly) : lossLines, markers },
    {
      id: 'iou',
      title: 'IoU',
      xAxis: mode,
      yLog: false,
      lines: [
        line('train IoU (batch)', 'raw', xs, c.iou, maxPoints),
        line('train IoU (smoothed)', 'smoothed', xs, emaSmooth(c.iou, settings.smoothing), maxPoints),
        epochLine('val IoU (epoch)', s.epochs, mode, (m) => m.valIoU, maxPoints),
      ],
      markers,
    },
    { id: 'score', title: 'Competition score (validation)', xAxis: mode, yLog: false, lines: [epochLine('val score', s.epochs, mode, (m) => m.valScore, maxPoints)], markers },
    checkerboardChart(s, mode, maxPoints),
    { id: 'lr', title: 'Learning rate', xAxis: mode, yLog: false, lines: [line('learning rate', 'raw', xs, c.lr, maxPoints)], markers: markers.filter((m) => m.kind === 'lr-reduced') },
    {
      id: 'throughput',
      title: 'Throughput (images/s)',
      xAxis: mode,
      yLog: false,
      lines: [line('images/s (batch)', 'raw', xs, c.imagesPerSec, maxPoints), line('images/s (smoothed)', 'smoothed', xs, emaSmooth(c.imagesPerSec, settings.smoothing), maxPoints)],
      markers: [],
    },
  ];
  const grads = levelLines(s, mode, 'gradientNorm', maxPoints);
  if (grads.length) charts.push({ id: 'level-gradients', title: 'Gradient norm per level', xAxis: mode, yLog: true, lines: grads, markers: [] });
  const ratios = levelLines(s, mode, 'updateRatio', maxPoints);
  if (ratios.length) charts.push({ id: 'level-ratios', title: 'Update / weight ratio per level', xAxis: mode, yLog: true, lines: ratios, markers: [] });
  charts.push(...bnHealthCharts(s, mode, maxPoints));
  return charts;
}

/**
 * The predicted maps' checkerboard score and its shape ratio. A run from before the score measured
 * amplitude stored only the shape ratio (as `valCheckerboard`): it is drawn as that, and its line
 * says so, so the two definitions never share a line.
 */
function checkerboardChart(s: RunSeries, mode: XAxisMode, maxPoints: number): ChartModel {
  const figures = s.epochs.map((m) => epochCheckerboard(m.extra));
  const older = figures.some((f) => !Number.isFinite(f.score) && Number.isFinite(f.shapeRatio));
  const xs = s.epochs.map((m) => epochX(m, mode));
  return {
    id: 'checkerboard',
    title: 'Checkerboard of predicted maps (validation)',
    xAxis: mode,
    yLog: false,
    lines: [
      line('checkerboard score (period-2 amplitude)', 'epoch', xs, figures.map((f) => f.score), maxPoints),
      line(older ? 'shape ratio (all an older run recorded)' : 'shape ratio (Nyquist share of fine detail)', 'epoch', xs, figures.map((f) => f.shapeRatio), maxPoints),
    ],
    markers: [],
  };
}

/** The BN health figures the monitor draws, one chart each, with one line per BN node. */
const BN_CHARTS: readonly { id: string; title: string; field: 'gap' | 'meanShift' | 'varLogRatio' }[] = [
  { id: 'bn-gap', title: 'BN train/inference gap per BN node (fixed validation batch)', field: 'gap' },
  { id: 'bn-mean-drift', title: 'BN mean drift per BN node (batch vs moving mean, in stds)', field: 'meanShift' },
  { id: 'bn-var-drift', title: 'BN variance drift per BN node (|ln batch / moving variance|)', field: 'varLogRatio' },
];

/** The BN health charts from the run's `bn-health` events; none for a run without them. */
function bnHealthCharts(s: RunSeries, mode: XAxisMode, maxPoints: number): ChartModel[] {
  const byNode = new Map<string, { xs: number[]; rows: BnHealth[] }>();
  for (const e of s.events) {
    for (const row of bnHealthOf(e) ?? []) {
      const n = byNode.get(row.nodeId) ?? { xs: [], rows: [] };
      n.xs.push(eventX(e, mode));
      n.rows.push(row);
      byNode.set(row.nodeId, n);
    }
  }
  if (byNode.size === 0) return [];
  return BN_CHARTS.map((c) => ({
    id: c.id,
    title: c.title,
    xAxis: mode,
    yLog: true,
    lines: [...byNode.entries()].map(([node, n]) => positiveOnly(line(node, 'epoch', n.xs, n.rows.map((r) => r[c.field]), maxPoints))),
    markers: [],
  }));
}

/** What a chart's values mean and when to worry, shown under it; null for charts that need no note. */
export function chartNote(id: string): string | null {
  return CHART_NOTES[id] ?? null;
}

const CHART_NOTES: Readonly<Record<string, string>> = {
  checkerboard:
    'Score: the RMS of the maps\' period-2 pattern over the RMS of the maps themselves; about 0 for smooth maps or a ripple too faint to see (also on an early, featureless prediction), 1 for a pure checkerboard, about 0.3 for white noise; a visible ripple of 20% of the map\'s level reads about 0.2. Shape ratio: the period-2 share of the fine detail alone, high even for an invisible ripple; read it only beside the score.',
  'bn-gap':
    "How differently each BN node's output comes out in inference mode (moving statistics) and in training mode (batch statistics), relative to the output's size, with everything upstream included. Near 0: validation sees the net that was trained. High values (above about 0.1 at full resolution), or a gap that grows with depth or over epochs, mean the validation and checkpoint numbers describe another net than the one trained; the head's gap is what the predictions suffer. One batch's own noise sets a floor, higher at the deep, low-resolution levels and at small batches, so compare nodes and epochs rather than reading one value alone.",
  'bn-mean-drift':
    'How far the moving mean is from the mean a fixed training batch has, in units of the moving std, averaged over channels. A few hundredths is the noise of one batch at full resolution (more at the deep levels and at small batches). High values (above about 0.2) mean inference shifts activations that training never saw shifted: the moving averages lag weights that move fast, or the batches are too small or too unlike each other.',
  'bn-var-drift':
    "How far the moving variance is from a fixed training batch's variance, as |ln(ratio)| averaged over channels: 0.1 is about 10%, 0.69 a factor 2. High values mean inference scales activations by the wrong factor; together with a large gap, a sign the BN is not settled (too few steps for its momentum of 0.99, or batches too small).",
};
