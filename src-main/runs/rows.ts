/**
 * Index rows to typed values and back. SQLite hands rows over untyped; each column is checked
 * here, and a row that does not fit is reported with the run it belongs to.
 */
import type {
  BatchMetric,
  EpochMetric,
  RunEvent,
  RunStatus,
  RunSummary,
} from '../../shared/runs/types';
import { RUN_STATUSES } from '../../shared/runs/types';
import { RunStoreCorruptError } from './errors';
import { runPostprocessSchema, runTestResultSchema } from '../../shared/runs/postprocess';
import { experimentTagSchema } from '../../shared/runs/request';
import { parseJson, runBackendSchema, runConfigSchema, runDatasetSchema, runHostSchema, runVersionsSchema } from './parse';
import { z } from 'zod';

/** One row, read column by column with checks. */
export class Row {
  private constructor(
    private readonly r: Record<string, unknown>,
    private readonly where: string,
  ) {}

  /** Wraps a row returned by the SQLite driver (see ./sqlite). */
  static of(v: unknown, where: string): Row {
    if (typeof v !== 'object' || v === null) throw new RunStoreCorruptError(where, 'row is not an object');
    return new Row(v as Record<string, unknown>, where);
  }

  private bad(k: string, want: string): never {
    throw new RunStoreCorruptError(this.where, `column ${k} holds ${String(this.r[k])}, expected ${want}`);
  }

  num(k: string): number {
    const v = this.r[k];
    return typeof v === 'number' ? v : this.bad(k, 'a number');
  }

  /** A metric: NULL is how SQLite keeps NaN. */
  metric(k: string): number {
    const v = this.r[k];
    if (v === null) return NaN;
    return typeof v === 'number' ? v : this.bad(k, 'a number');
  }

  numOrNull(k: string): number | null {
    const v = this.r[k];
    return v === null || typeof v === 'number' ? v : this.bad(k, 'a number or NULL');
  }

  str(k: string): string {
    const v = this.r[k];
    return typeof v === 'string' ? v : this.bad(k, 'text');
  }

  strOrNull(k: string): string | null {
    const v = this.r[k];
    return v === null || typeof v === 'string' ? v : this.bad(k, 'text or NULL');
  }

  status(k: string): RunStatus {
    const v = this.r[k];
    const s = RUN_STATUSES.find((x) => x === v);
    return s ?? this.bad(k, `one of ${RUN_STATUSES.join(', ')}`);
  }

  json<T>(k: string, schema: z.ZodType<T>): T {
    return parseJson(schema, this.str(k), `${this.where} column ${k}`);
  }
}

/** The run columns a summary is read from. */
export const SUMMARY_COLUMNS =
  'id, name, created_at, started_at, ended_at, status, status_reason, arch_name, train_count, val_count, config, ' +
  'dataset, seed, backend, versions, host, epochs_done, best_epoch, best_score, best_metric, last_ckpt_epoch, ' +
  'last_ckpt_step, duration_ms, pid, pid_started_at, postprocess, test_result, experiment';

/** A run row as a summary. */
export function summaryFromRow(v: unknown, indexFile: string): RunSummary {
  const id = Row.of(v, indexFile).str('id');
  const r = Row.of(v, `${indexFile} (run ${id})`);
  const bestEpoch = r.numOrNull('best_epoch');
  const ckptEpoch = r.numOrNull('last_ckpt_epoch');
  const backend = r.strOrNull('backend');
  const pid = r.numOrNull('pid');
  const postprocess = r.strOrNull('postprocess');
  const test = r.strOrNull('test_result');
  const experiment = r.strOrNull('experiment');
  return {
    id,
    name: r.str('name'),
    createdAt: r.num('created_at'),
    startedAt: r.numOrNull('started_at'),
    endedAt: r.numOrNull('ended_at'),
    status: r.status('status'),
    statusReason: r.strOrNull('status_reason'),
    archName: r.str('arch_name'),
    trainCount: r.num('train_count'),
    valCount: r.num('val_count'),
    config: r.json('config', runConfigSchema),
    dataset: r.json('dataset', runDatasetSchema),
    seed: r.num('seed'),
    backend: backend === null ? null : r.json('backend', runBackendSchema),
    versions: r.json('versions', runVersionsSchema),
    host: r.json('host', runHostSchema),
    epochsDone: r.num('epochs_done'),
    best: bestEpoch === null ? null : { epoch: bestEpoch, score: r.metric('best_score'), metric: r.str('best_metric') },
    lastCheckpoint: ckptEpoch === null ? null : { epoch: ckptEpoch, step: r.num('last_ckpt_step') },
    durationMs: r.num('duration_ms'),
    postprocess: postprocess === null ? null : r.json('postprocess', runPostprocessSchema),
    test: test === null ? null : r.json('test_result', runTestResultSchema),
    ...(pid === null ? {} : { pid }),
    ...(experiment === null ? {} : { experiment: r.json('experiment', experimentTagSchema) }),
  };
}

/** A batch_metrics row. */
export function batchFromRow(v: unknown, where: string): BatchMetric {
  const r = Row.of(v, where);
  return {
    step: r.num('step'),
    epoch: r.num('epoch'),
    batch: r.num('batch'),
    loss: r.metric('loss'),
    iou: r.metric('iou'),
    lr: r.metric('lr'),
    imagesPerSec: r.metric('images_per_sec'),
    time: r.num('time'),
  };
}

const extraSchema = z.record(z.string(), z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]));

/** JSON for an epoch's extra figures; JSON has no NaN or infinities, so those are kept as their names. */
export function extraToJson(extra: Record<string, number> | undefined): string | null {
  if (!extra) return null;
  const out: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(extra)) out[k] = Number.isFinite(v) ? v : String(v);
  return JSON.stringify(out);
}

/** An epoch_metrics row. */
export function epochFromRow(v: unknown, where: string): EpochMetric {
  const r = Row.of(v, where);
  const extraText = r.strOrNull('extra');
  const m: EpochMetric = {
    epoch: r.num('epoch'),
    step: r.num('step'),
    trainLoss: r.metric('train_loss'),
    trainIoU: r.metric('train_iou'),
    valLoss: r.metric('val_loss'),
    valIoU: r.metric('val_iou'),
    valPixelIoU: r.metric('val_pixel_iou'),
    valScore: r.metric('val_score'),
    bestThreshold: r.metric('best_threshold'),
    lr: r.metric('lr'),
    imagesPerSec: r.metric('images_per_sec'),
    epochSeconds: r.metric('epoch_seconds'),
    time: r.num('time'),
  };
  if (extraText !== null) {
    const raw = parseJson(extraSchema, extraText, `${where} column extra`);
    m.extra = Object.fromEntries(Object.entries(raw).map(([k, x]) => [k, Number(x)]));
  }
  return m;
}

/** An events row. */
export function eventFromRow(v: unknown, where: string): RunEvent {
  const r = Row.of(v, where);
  const data = r.strOrNull('data');
  return {
    time: r.num('time'),
    step: r.num('step'),
    epoch: r.num('epoch'),
    type: r.str('type'),
    message: r.str('message'),
    ...(data === null ? {} : { data: r.json('data', z.record(z.string(), z.unknown())) }),
  };
}
