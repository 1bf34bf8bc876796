/**
 * One run's curves as the monitor holds them: every training step, every epoch and every event,
 * rebuilt from the run store when the view opens and extended by the trainer's live messages.
 * Pure: the training store feeds it. Steps are kept column by column, so a 100k-step run is a few
 * flat arrays rather than 100k objects, and nothing is ever dropped (display downsamples a copy).
 */
import type { BatchMetric, EpochMetric, RunBest, RunEvent, RunRecord, RunStatus } from '../../shared/runs/types';
import { bestEpoch } from '../../shared/runs/bestEpoch';
import type { TrainerMessage } from '../../shared/training/protocol';
import { formatBackend } from './format';

/** Every training step of a run, one array per field, in step order. */
export interface BatchColumns {
  step: number[];
  epoch: number[];
  batch: number[];
  loss: number[];
  iou: number[];
  lr: number[];
  imagesPerSec: number[];
  time: number[];
}

/** Where the run stands, for the monitor's header. */
export interface SeriesProgress {
  /** 0-based epoch in progress (equal to `epochs` once all are done). */
  epoch: number;
  epochs: number;
  /** Last finished batch of `epoch`, or -1. */
  batch: number;
  batches: number | null;
  etaSeconds: number | null;
}

/** The monitor's data of one run. */
export interface RunSeries {
  runId: string;
  name: string;
  status: RunStatus;
  statusReason: string | null;
  backend: string | null;
  startedAt: number | null;
  best: RunBest | null;
  progress: SeriesProgress;
  batches: BatchColumns;
  epochs: EpochMetric[];
  events: RunEvent[];
}

/** What changes the monitor's data. */
export type SeriesAction =
  /** The run as the store has it: the starting point (also after a reconnect). */
  | { type: 'loaded'; record: RunRecord; batches: readonly BatchMetric[]; epochs: readonly EpochMetric[]; events: readonly RunEvent[] }
  /** Live trainer messages, in arrival order (the store hands them over a frame at a time). */
  | { type: 'messages'; messages: readonly TrainerMessage[] };

/** No steps yet. */
export function emptyColumns(): BatchColumns {
  return { step: [], epoch: [], batch: [], loss: [], iou: [], lr: [], imagesPerSec: [], time: [] };
}

function columnsOf(metrics: readonly BatchMetric[]): BatchColumns {
  const c = emptyColumns();
  pushBatches(c, metrics);
  return c;
}

/** Appends steps newer than the last one held (a step already held is a duplicate from the overlap of load and live). */
function pushBatches(c: BatchColumns, metrics: readonly BatchMetric[]): void {
  let last = c.step.length ? (c.step[c.step.length - 1] ?? -1) : -1;
  for (const m of metrics) {
    if (m.step <= last) continue;
    c.step.push(m.step);
    c.epoch.push(m.epoch);
    c.batch.push(m.batch);
    c.loss.push(m.loss);
    c.iou.push(m.iou);
    c.lr.push(m.lr);
    c.imagesPerSec.push(m.imagesPerSec);
    c.time.push(m.time);
    last = m.step;
  }
}

function copyColumns(c: BatchColumns): BatchColumns {
  return {
    step: c.step.slice(),
    epoch: c.epoch.slice(),
    batch: c.batch.slice(),
    loss: c.loss.slice(),
    iou: c.iou.slice(),
    lr: c.lr.slice(),
    imagesPerSec: c.imagesPerSec.slice(),
    time: c.time.slice(),
  };
}

const eventKey = (e: RunEvent) => `${e.time}|${e.type}|${e.step}`;

/** Events in time order without duplicates (the same event can arrive by load and live). */
function mergeEvents(held: readonly RunEvent[], more: readonly RunEvent[]): RunEvent[] {
  if (more.length === 0) return held as RunEvent[];
  const seen = new Set(held.map(eventKey));
  const out = held.slice();
  for (const e of more) {
    const k = eventKey(e);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(e);
  }
  return out;
}

/** Epochs by number, a later report of the same epoch replacing the earlier one. */
function mergeEpochs(held: readonly EpochMetric[], more: readonly EpochMetric[]): EpochMetric[] {
  if (more.length === 0) return held as EpochMetric[];
  const byEpoch = new Map(held.map((e) => [e.epoch, e]));
  for (const e of more) byEpoch.set(e.epoch, e);
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

/** The best epoch by validation score, by the trainer's own rule (shared/runs/bestEpoch.ts). */
const bestOf = bestEpoch;

/** The monitor's data of a run as the store has it. */
export function seriesFromStore(record: RunRecord, batches: readonly BatchMetric[], epochs: readonly EpochMetric[], events: readonly RunEvent[]): RunSeries {
  const sortedEpochs = mergeEpochs([], epochs);
  const lastBatch = batches[batches.length - 1];
  const inEpoch = lastBatch && lastBatch.epoch === record.epochsDone;
  return {
    runId: record.id,
    name: record.name,
    status: record.status,
    statusReason: record.statusReason,
    backend: record.backend ? formatBackend(record.backend) : null,
    startedAt: record.startedAt,
    best: bestOf(sortedEpochs, record.best),
    progress: {
      epoch: record.epochsDone,
      epochs: record.config.epochs,
      batch: inEpoch ? lastBatch.batch : -1,
      batches: null,
      etaSeconds: null,
    },
    batches: columnsOf(batches),
    epochs: sortedEpochs,
    events: mergeEvents([], [...events].sort((a, b) => a.time - b.time)),
  };
}

/**
 * The next state. Live messages about another run are ignored; messages that repeat what the
 * load already brought (the load and the subscription overlap) are dropped by step, epoch and
 * event identity, so the order of load and subscription does not matter.
 */
export function seriesReducer(state: RunSeries | null, action: SeriesAction): RunSeries | null {
  if (action.type === 'loaded') {
    const fresh = seriesFromStore(action.record, action.batches, action.epochs, action.events);
    // A reload of the run being watched keeps what arrived live meanwhile.
    if (state && state.runId === fresh.runId) return seriesReducer(fresh, { type: 'messages', messages: [] });
    return fresh;
  }
  if (!state) return null;
  const mine = action.messages.filter((m) => m.runId === state.runId);
  if (mine.length === 0) return state;
  const batchMetrics: BatchMetric[] = [];
  const epochMetrics: EpochMetric[] = [];
  const events: RunEvent[] = [];
  let { status, statusReason, backend, progress } = state;
  for (const m of mine) {
    switch (m.type) {
      case 'status':
        status = m.status;
        statusReason = m.reason ?? null;
        break;
      case 'backend':
        backend = formatBackend(m);
        break;
      case 'batch':
        batchMetrics.push(m.metric);
        progress = { epoch: m.metric.epoch, epochs: m.epochs, batch: m.metric.batch, batches: m.batches, etaSeconds: m.etaSeconds };
        break;
      case 'epoch':
        epochMetrics.push(m.metric);
        progress = { epoch: m.metric.epoch + 1, epochs: m.epochs, batch: -1, batches: progress.batches, etaSeconds: m.etaSeconds };
        break;
      case 'event':
        events.push(m.event);
        break;
      case 'ended':
        status = m.status;
        statusReason = m.reason ?? null;
        progress = { ...progress, etaSeconds: null };
        break;
      case 'log':
        break;
    }
  }
  const batches = batchMetrics.length ? copyColumns(state.batches) : state.batches;
  pushBatches(batches, batchMetrics);
  const epochs = mergeEpochs(state.epochs, epochMetrics);
  return {
    ...state,
    status,
    statusReason,
    backend,
    progress,
    batches,
    epochs,
    events: mergeEvents(state.events, events),
    best: bestOf(epochMetrics, state.best),
  };
}

/** Share of the run done, 0..1, counting finished batches of the epoch in progress. */
export function seriesFraction(p: SeriesProgress): number {
  if (p.epochs <= 0) return 0;
  const inEpoch = p.batches && p.batches > 0 && p.batch >= 0 ? (p.batch + 1) / p.batches : 0;
  return Math.min(1, Math.max(0, (p.epoch + inEpoch) / p.epochs));
}
