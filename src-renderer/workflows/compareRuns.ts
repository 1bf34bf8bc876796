/**
 * Comparing runs: what differs between their configurations (for the legend and the table),
 * groups of runs that differ only in seed with their mean ± std bands and final-metric statistics,
 * and the deep-against-wide trade-off points. Pure: the compare store feeds it.
 */
import { seedBands, summarize, type BandPoint, type Stats } from '../../shared/metrics/seedGroups';
import { downsampleSeries } from '../../shared/metrics/smoothing';
import type { EpochMetric, RunSummary } from '../../shared/runs/types';
import { metricByEpoch, seedBandChart } from '../../shared/charts/bandChart';
import type { ChartLine, ChartModel } from './trainingCharts';

/** What of a run the comparison reads. */
export type ComparedRun = Pick<RunSummary, 'id' | 'name' | 'archName' | 'config' | 'dataset' | 'best' | 'test' | 'status' | 'epochsDone' | 'durationMs'>;

/** A setting by dotted name, as text. */
export type FlatConfig = Record<string, string>;

function flattenInto(out: FlatConfig, prefix: string, v: unknown): void {
  if (v === undefined) return;
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, inner] of Object.entries(v as Record<string, unknown>)) flattenInto(out, prefix ? `${prefix}.${k}` : k, inner);
    return;
  }
  out[prefix] = Array.isArray(v) ? v.join(',') : String(v);
}

/** Shorter names for the settings people compare most. */
const SHORT: Readonly<Record<string, string>> = {
  'optimizer.name': 'optimizer',
  'optimizer.lr': 'lr',
  'optimizer.momentum': 'momentum',
  'loss.name': 'loss',
  'schedule.kind': 'schedule',
  bnPlacement: 'bn',
  'loss.lovaszWeight': 'lovász weight',
  saltHeadWeight: 'salt head weight',
  'initFrom.runId': 'init from',
  'initFrom.checkpoint': 'init checkpoint',
  'inference.tta': 'tta',
  'inference.snapshots': 'snapshots',
  'inference.threshold': 'threshold',
  'inference.minArea': 'min area',
};

/** A run's settings flattened (`optimizer.lr` → `lr`), with its design and data. */
export function flatConfig(r: ComparedRun): FlatConfig {
  const raw: FlatConfig = {};
  flattenInto(raw, '', r.config);
  const out: FlatConfig = { design: r.archName, data: `${r.dataset.name} (${r.dataset.count})` };
  for (const [k, v] of Object.entries(raw)) out[SHORT[k] ?? k] = v;
  return out;
}

/** One setting that differs, with each run's value (in the order of the runs; "—" when unset). */
export interface ConfigDifference {
  key: string;
  values: string[];
}

/** The settings whose values are not all the same across `runs`. */
export function configDiff(runs: readonly ComparedRun[]): ConfigDifference[] {
  const flats = runs.map(flatConfig);
  const keys = new Set<string>();
  for (const f of flats) for (const k of Object.keys(f)) keys.add(k);
  const out: ConfigDifference[] = [];
  for (const key of keys) {
    const values = flats.map((f) => f[key] ?? '—');
    if (new Set(values).size > 1) out.push({ key, values });
  }
  return out;
}

/** "init: glorot_normal vs he_uniform; lr: 0.01 vs 0.001": the differences in a line (each value once). */
export function diffSummary(diffs: readonly ConfigDifference[], keys = 3): string {
  if (diffs.length === 0) return 'same configuration';
  const shown = diffs.slice(0, keys).map((d) => `${d.key}: ${[...new Set(d.values)].join(' vs ')}`);
  if (diffs.length > keys) shown.push(`+${diffs.length - keys} more`);
  return shown.join('; ');
}

/** The legend entry of run `index`: its name and its own values of what differs. */
export function legendLabel(run: ComparedRun, index: number, diffs: readonly ConfigDifference[]): string {
  const own = diffs.filter((d) => d.key !== 'seed' || diffs.length === 1).map((d) => `${d.key}=${d.values[index] ?? '—'}`);
  return own.length ? `${run.name} (${own.join(', ')})` : run.name;
}

/** The identity of a configuration without its seed: runs with equal keys differ only in seed. */
export function seedGroupKey(r: ComparedRun): string {
  const f = flatConfig(r);
  delete f['seed'];
  f['fingerprint'] = r.dataset.fingerprint;
  return JSON.stringify(Object.keys(f).sort().map((k) => [k, f[k]]));
}

/** Runs that share a configuration and differ only in seed. */
export interface SeedGroup {
  key: string;
  /** The runs, oldest first as listed. */
  runs: ComparedRun[];
  /** What sets this group apart from the other groups. */
  label: string;
}

/** Groups `runs` by configuration without the seed; groups in order of first appearance. */
export function groupBySeed(runs: readonly ComparedRun[]): SeedGroup[] {
  const byKey = new Map<string, ComparedRun[]>();
  for (const r of runs) {
    const k = seedGroupKey(r);
    const g = byKey.get(k) ?? [];
    g.push(r);
    byKey.set(k, g);
  }
  const groups = [...byKey.entries()].map(([key, rs]) => ({ key, runs: rs }));
  const representatives = groups.map((g) => g.runs[0] as ComparedRun);
  const diffs = configDiff(representatives).filter((d) => d.key !== 'seed');
  return groups.map((g, i) => {
    const own = diffs.map((d) => `${d.key}=${d.values[i] ?? '—'}`);
    const first = g.runs[0] as ComparedRun;
    return { ...g, label: own.length ? own.join(', ') : `${first.archName} · ${first.config.init}` };
  });
}

/** Per-epoch metrics a band can be drawn for. */
export const BAND_METRICS = ['valScore', 'valIoU', 'valLoss', 'trainLoss', 'trainIoU'] as const;
/** A metric with a band. */
export type BandMetric = (typeof BAND_METRICS)[number];

/** Titles of the band metrics. */
export const BAND_METRIC_TITLES: Readonly<Record<BandMetric, string>> = {
  valScore: 'val score',
  valIoU: 'val IoU',
  valLoss: 'val loss',
  trainLoss: 'train loss',
  trainIoU: 'train IoU',
};

/** Epoch metrics by run id. */
export type EpochsByRun = ReadonlyMap<string, readonly EpochMetric[]>;

/** The series of `metric` by epoch index for each of the group's runs. */
function groupSeries(group: SeedGroup, epochs: EpochsByRun, metric: BandMetric): number[][] {
  return group.runs.map((r) => metricByEpoch(epochs.get(r.id) ?? [], (e) => e[metric]));
}

/** Mean ± one standard deviation of `metric` per epoch over the group's runs. */
export function groupBand(group: SeedGroup, epochs: EpochsByRun, metric: BandMetric): BandPoint[] {
  return seedBands(groupSeries(group, epochs, metric));
}

/** The final value of each metric over a group's runs: mean, std, min and max. */
export interface FinalStats {
  metric: BandMetric | 'bestScore';
  stats: Stats | null;
}

/**
 * Final metrics of a group: each run's last epoch value per metric, and its best score; runs with
 * no finished epoch (or no finite value) are left out of that metric's statistics.
 */
export function groupFinalStats(group: SeedGroup, epochs: EpochsByRun): FinalStats[] {
  const out: FinalStats[] = BAND_METRICS.map((metric) => {
    const finals: number[] = [];
    for (const r of group.runs) {
      const last = (epochs.get(r.id) ?? []).at(-1);
      const v = last?.[metric];
      if (v !== undefined && Number.isFinite(v)) finals.push(v);
    }
    return { metric, stats: finals.length ? summarize(finals) : null };
  });
  const bests = group.runs.map((r) => r.best?.score).filter((v): v is number => v !== undefined && Number.isFinite(v));
  out.unshift({ metric: 'bestScore', stats: bests.length ? summarize(bests) : null });
  return out;
}

/** One run on the trade-off chart. */
export interface TradeOffPoint {
  runId: string;
  name: string;
  design: string;
  /** Best validation score. */
  score: number;
  /** Mean measured seconds per epoch. */
  secondsPerEpoch: number;
}

/** Runs with a best score and at least one timed epoch, as trade-off points. */
export function tradeOffPoints(runs: readonly ComparedRun[], epochs: EpochsByRun): TradeOffPoint[] {
  const out: TradeOffPoint[] = [];
  for (const r of runs) {
    const es = (epochs.get(r.id) ?? []).filter((e) => Number.isFinite(e.epochSeconds) && e.epochSeconds > 0);
    if (!r.best || !Number.isFinite(r.best.score) || es.length === 0) continue;
    const seconds = es.reduce((a, e) => a + e.epochSeconds, 0) / es.length;
    out.push({ runId: r.id, name: r.name, design: r.archName, score: r.best.score, secondsPerEpoch: seconds });
  }
  return out;
}

/** Mean measured seconds per epoch of each design, for the cost rule's comparison. */
export function measuredByDesign(points: readonly TradeOffPoint[]): Map<string, number> {
  const acc = new Map<string, { sum: number; n: number }>();
  for (const p of points) {
    const a = acc.get(p.design) ?? { sum: 0, n: 0 };
    a.sum += p.secondsPerEpoch;
    a.n++;
    acc.set(p.design, a);
  }
  return new Map([...acc.entries()].map(([d, a]) => [d, a.sum / a.n]));
}

/** Columns of the all-runs table that sort by a metric. */
export const COMPARE_COLUMNS = ['name', 'design', 'status', 'bestScore', 'testScore', 'valIoU', 'valLoss', 'epochs', 'secondsPerEpoch'] as const;
/** A column of the all-runs table. */
export type CompareColumn = (typeof COMPARE_COLUMNS)[number];

/** One row of the all-runs table. */
export interface CompareRow {
  run: ComparedRun;
  /** Best epoch's validation score. */
  bestScore: number | null;
  /** Held-out test score (never a validation figure); null without a test set or before it is scored. */
  testScore: number | null;
  valIoU: number | null;
  valLoss: number | null;
  secondsPerEpoch: number | null;
}

/** The table's rows: each run with its last epoch's figures. */
export function compareRows(runs: readonly ComparedRun[], epochs: EpochsByRun): CompareRow[] {
  return runs.map((run) => {
    const es = epochs.get(run.id) ?? [];
    const last = es.at(-1);
    const timed = es.filter((e) => Number.isFinite(e.epochSeconds) && e.epochSeconds > 0);
    return {
      run,
      bestScore: run.best && Number.isFinite(run.best.score) ? run.best.score : null,
      testScore: run.test ? run.test.score : null,
      valIoU: last && Number.isFinite(last.valIoU) ? last.valIoU : null,
      valLoss: last && Number.isFinite(last.valLoss) ? last.valLoss : null,
      secondsPerEpoch: timed.length ? timed.reduce((a, e) => a + e.epochSeconds, 0) / timed.length : null,
    };
  });
}

function rowKey(r: CompareRow, c: CompareColumn): string | number | null {
  switch (c) {
    case 'name':
      return r.run.name.toLowerCase();
    case 'design':
      return r.run.archName.toLowerCase();
    case 'status':
      return r.run.status;
    case 'epochs':
      return r.run.epochsDone;
    case 'bestScore':
    case 'testScore':
    case 'valIoU':
    case 'valLoss':
    case 'secondsPerEpoch':
      return r[c];
  }
}

/**
 * Rows sorted by `column`; rows without a value come last either way. Test scores are ranked only
 * with `rankTest` (every scored run on one test set, see testSetView); otherwise a sort by them
 * keeps the rows in their listed order.
 */
export function sortRows(rows: readonly CompareRow[], column: CompareColumn, desc: boolean, rankTest = false): CompareRow[] {
  if (column === 'testScore' && !rankTest) return [...rows];
  const dir = desc ? -1 : 1;
  return [...rows].sort((a, b) => {
    const ka = rowKey(a, column);
    const kb = rowKey(b, column);
    if (ka === null || kb === null) return ka === kb ? 0 : ka === null ? 1 : -1;
    if (ka === kb) return 0;
    return (typeof ka === 'string' && typeof kb === 'string' ? ka.localeCompare(kb) : (ka as number) - (kb as number)) * dir;
  });
}

/** The overlay chart: `metric` per epoch for each run, named by what sets it apart. */
export function overlayChart(runs: readonly ComparedRun[], epochs: EpochsByRun, metric: BandMetric, maxPoints: number): ChartModel {
  const diffs = configDiff(runs);
  const lines: ChartLine[] = runs.map((r, i) => {
    const es = epochs.get(r.id) ?? [];
    const pts: [number, number][] = es.map((e) => [e.epoch + 1, Number.isFinite(e[metric]) ? e[metric] : Number.NaN]);
    const d = pts.length > maxPoints ? downsampleSeries(pts.map((p) => p[0]), pts.map((p) => p[1]), maxPoints) : null;
    return {
      name: legendLabel(r, i, diffs),
      style: 'epoch',
      points: d ? d.xs.map((x, k) => [x, d.ys[k] ?? Number.NaN]) : pts,
      total: pts.length,
    };
  });
  return { id: 'overlay', title: `${BAND_METRIC_TITLES[metric]} per epoch`, yLog: false, xAxis: 'epoch', lines, markers: [] };
}

/** The seed-band chart: each group's mean of `metric` per epoch with a ± one std band. */
export function bandChart(groups: readonly SeedGroup[], epochs: EpochsByRun, metric: BandMetric): ChartModel {
  return seedBandChart(
    groups.map((g) => ({ label: g.label, series: groupSeries(g, epochs, metric) })),
    { id: 'bands', title: `${BAND_METRIC_TITLES[metric]}: mean ± 1 std over seeds` },
  );
}

/** The deep-against-wide chart: best validation score against measured seconds per epoch, one point per run, a colour per design. */
export function tradeOffChart(points: readonly TradeOffPoint[]): ChartModel {
  const byDesign = new Map<string, TradeOffPoint[]>();
  for (const p of points) byDesign.set(p.design, [...(byDesign.get(p.design) ?? []), p]);
  const lines: ChartLine[] = [...byDesign.entries()].map(([design, ps]) => ({
    name: design,
    style: 'points',
    points: ps.map((p) => [p.secondsPerEpoch, p.score]),
    total: ps.length,
  }));
  return { id: 'trade-off', title: 'Best validation score against time per epoch', yLog: false, xAxis: 'step', xTitle: 'seconds per epoch', lines, markers: [] };
}
