/**
 * An experiment's results from its stored runs, as plain data: per group the final metrics (mean ±
 * std and the t interval of the mean), every group compared with the first (Welch and bootstrap
 * intervals of the difference, and the verdict), the detectors' events, and the initialisation
 * analysis of the group's design; and the charts that show them. Only runs with nothing left to
 * train count; every number comes from what the runs stored. `strata experiment report` writes this
 * out, and an app view can show the same.
 */
import { bnHealthOf, type BnHealth } from '../analysis/bnHealth';
import { analyzeInit } from '../analysis/initAnalysis';
import type { SummandEntry } from '../analysis/summands';
import { summarize as summarizeArch } from '../arch/summary';
import { withBnPlacement, withInitializer } from '../arch/placement';
import type { Architecture } from '../arch/types';
import { metricByEpoch, seedBandChart } from '../charts/bandChart';
import type { ChartModel } from '../charts/chartModel';
import type { IntervalBarChart } from '../charts/intervalBarOption';
import { levelMarks, summandSeries, type SummandChart } from '../charts/summandChartOption';
import { compareGroups, higherIsBetter, meanInterval, type GroupComparison, type Interval } from '../metrics/groupComparison';
import { summarize, type Stats } from '../metrics/seedGroups';
import type { EpochMetric, RunEvent, RunRecord } from '../runs/types';

/** One stored run of the experiment, with what the report reads of it. */
export interface ResultRun {
  record: RunRecord;
  epochs: readonly EpochMetric[];
  events: readonly RunEvent[];
  /** Nothing left to train (done, or stopped by its own budget or early stopping); only these count. */
  complete: boolean;
}

/** One group's runs, in the plan's order of groups. */
export interface ResultGroupInput {
  key: string;
  runs: readonly ResultRun[];
}

/** The final metrics a report gives, each with how it is read off a run. */
export const RESULT_METRICS = [
  { key: 'bestScore', title: 'best val score', of: (r: ResultRun) => r.record.best?.score },
  { key: 'valScore', title: 'final val score', of: (r: ResultRun) => r.epochs.at(-1)?.valScore },
  { key: 'valIoU', title: 'final val IoU', of: (r: ResultRun) => r.epochs.at(-1)?.valIoU },
  { key: 'valLoss', title: 'final val loss', of: (r: ResultRun) => r.epochs.at(-1)?.valLoss },
  { key: 'trainLoss', title: 'final train loss', of: (r: ResultRun) => r.epochs.at(-1)?.trainLoss },
  { key: 'testScore', title: 'test score', of: (r: ResultRun) => r.record.test?.score },
] as const;
/** A metric of {@link RESULT_METRICS}. */
export type ResultMetric = (typeof RESULT_METRICS)[number]['key'];

/** One metric of one group: the counted runs' values (in their order), their statistics and the interval of the mean. */
export interface MetricResult {
  metric: ResultMetric;
  values: number[];
  /** Null without a value. */
  stats: Stats | null;
  /** The t interval of the mean (shared/metrics meanInterval); null below 2 values. */
  interval: Interval | null;
}

/** A detector's finding in one run. */
export interface DetectorHit {
  runId: string;
  seed: number;
  /** 0-based epoch the event was recorded at. */
  epoch: number;
  step: number;
  message: string;
}

/** The detectors whose events a report counts (shared/analysis/detectors.ts, written by the trainer's callbacks). */
export const DETECTOR_EVENTS = ['plateau', 'wrong-step'] as const;
/** A detector event type. */
export type DetectorEvent = (typeof DETECTOR_EVENTS)[number];

/**
 * The initialisation analysis (shared/analysis/initAnalysis.ts, the note's analytical model) of a
 * group's design as it trains (its config's initializer and BN placement applied), with the figures
 * that say how the sum at the head splits into its summands s_i (std at the head's input):
 * - `s0Share`: s0² / Σ s_i², the variance share of the stem's summand;
 * - `largestShare`, `largestIndex`: the largest summand's share and its index;
 * - `effectiveSummands`: (Σ s_i²)² / Σ s_i⁴, 1 when one summand carries everything, n when all are equal.
 */
export interface InitResult {
  summands: SummandEntry[];
  s0Share: number;
  largestShare: number;
  largestIndex: number;
  effectiveSummands: number;
}

/**
 * BN health at each counted run's last measured epoch (shared/analysis/bnHealth.ts), the largest
 * figure over the design's BN sites per run, then mean ± std over the runs: the train/inference
 * gap, the mean drift and the variance drift. `runs` counts the runs that recorded any.
 */
export interface BnHealthResult {
  runs: number;
  gap: Stats | null;
  meanShift: Stats | null;
  varLogRatio: Stats | null;
}

/** One group's results. */
export interface GroupResult {
  key: string;
  /** Every stored run, counted or not. */
  runs: readonly ResultRun[];
  /** The runs the statistics count: the complete ones. */
  counted: readonly ResultRun[];
  metrics: MetricResult[];
  detectors: Record<DetectorEvent, DetectorHit[]>;
  /** Null when the design cannot be analysed (its message in `initProblem`). */
  init: InitResult | null;
  initProblem: string | null;
  /** Epochs trained by the counted runs. */
  epochs: Stats | null;
  /** Null when no counted run recorded BN health (a design without BNs on the main path, or runs from before it was measured). */
  bnHealth: BnHealthResult | null;
}

/** One group compared with the first group on one metric: mean(group) - mean(baseline). */
export interface ResultComparison {
  metric: ResultMetric;
  group: string;
  baseline: string;
  comparison: GroupComparison;
}

/** Options of {@link experimentResults}. */
export interface ResultOptions {
  /** Confidence level of every interval; default 0.95. */
  level?: number;
  /** Bootstrap resamples (default 10000) and seed (default 1): a report's intervals are reproducible. */
  resamples?: number;
  seed?: number;
}

/** An experiment's results. */
export interface ExperimentResults {
  groups: GroupResult[];
  /** Every group after the first against the first, per metric that both have values of. */
  comparisons: ResultComparison[];
  level: number;
}

function finite(v: number | undefined | null): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** The design a run trains: its stored design with its config's BN placement and initializer applied (as training does). */
export function trainedArch(r: Pick<RunRecord, 'arch' | 'config'>): Architecture {
  return withInitializer(withBnPlacement(r.arch, r.config.bnPlacement), r.config.init);
}

/** The analysis of a design and its summand figures. */
export function initResult(arch: Architecture): { ok: true; init: InitResult } | { ok: false; message: string } {
  const r = analyzeInit(arch);
  if (!r.ok) return { ok: false, message: r.errors.map((e) => e.message).join('; ') };
  const summands = r.analysis.summands;
  const sq = summands.map((s) => s.std * s.std);
  const total = sq.reduce((a, v) => a + v, 0);
  const fourth = sq.reduce((a, v) => a + v * v, 0);
  let largestIndex = 0;
  sq.forEach((v, i) => {
    if (v > (sq[largestIndex] ?? 0)) largestIndex = i;
  });
  return {
    ok: true,
    init: {
      summands,
      s0Share: total > 0 ? (sq[0] ?? 0) / total : 0,
      largestShare: total > 0 ? (sq[largestIndex] ?? 0) / total : 0,
      largestIndex: summands[largestIndex]?.index ?? 0,
      effectiveSummands: fourth > 0 ? (total * total) / fourth : 0,
    },
  };
}

function detectorHits(runs: readonly ResultRun[], type: DetectorEvent): DetectorHit[] {
  return runs.flatMap((r) =>
    r.events.filter((e) => e.type === type).map((e) => ({ runId: r.record.id, seed: r.record.experiment?.seed ?? r.record.seed, epoch: e.epoch, step: e.step, message: e.message })),
  );
}

function bnHealthResult(runs: readonly ResultRun[]): BnHealthResult | null {
  const lasts: BnHealth[][] = [];
  for (const r of runs) {
    const last = r.events.filter((e) => bnHealthOf(e) !== null).at(-1);
    const rows = last ? (bnHealthOf(last) ?? []) : [];
    if (rows.length) lasts.push(rows);
  }
  if (lasts.length === 0) return null;
  const largest = (f: (h: BnHealth) => number) => {
    const values = lasts.map((rows) => Math.max(...rows.map(f).filter(finite))).filter(finite);
    return values.length ? summarize(values) : null;
  };
  return { runs: lasts.length, gap: largest((h) => h.gap), meanShift: largest((h) => h.meanShift), varLogRatio: largest((h) => h.varLogRatio) };
}

function groupResult(g: ResultGroupInput, level: number): GroupResult {
  const counted = g.runs.filter((r) => r.complete);
  const metrics = RESULT_METRICS.map(({ key, of }): MetricResult => {
    const values = counted.map(of).filter(finite);
    return { metric: key, values, stats: values.length ? summarize(values) : null, interval: values.length ? meanInterval(values, level) : null };
  });
  const first = counted[0] ?? g.runs[0];
  const init = first ? initResult(trainedArch(first.record)) : { ok: false as const, message: 'the group has no runs' };
  return {
    key: g.key,
    runs: g.runs,
    counted,
    metrics,
    detectors: { plateau: detectorHits(counted, 'plateau'), 'wrong-step': detectorHits(counted, 'wrong-step') },
    init: init.ok ? init.init : null,
    initProblem: init.ok ? null : init.message,
    epochs: counted.length ? summarize(counted.map((r) => r.record.epochsDone)) : null,
    bnHealth: bnHealthResult(counted),
  };
}

/** The results of `groups` (the first is the baseline every other group is compared with). */
export function experimentResults(groups: readonly ResultGroupInput[], opts: ResultOptions = {}): ExperimentResults {
  const level = opts.level ?? 0.95;
  const results = groups.map((g) => groupResult(g, level));
  const comparisons: ResultComparison[] = [];
  const [baseline, ...rest] = results;
  if (baseline) {
    for (const { key: metric } of RESULT_METRICS) {
      const b = baseline.metrics.find((m) => m.metric === metric)?.values ?? [];
      for (const g of rest) {
        const a = g.metrics.find((m) => m.metric === metric)?.values ?? [];
        if (a.length === 0 || b.length === 0) continue;
        const comparison = compareGroups(a, b, {
          higherIsBetter: higherIsBetter(metric),
          names: { a: g.key, b: baseline.key },
          level,
          ...(opts.resamples === undefined ? {} : { resamples: opts.resamples }),
          seed: opts.seed ?? 1,
        });
        comparisons.push({ metric, group: g.key, baseline: baseline.key, comparison });
      }
    }
  }
  return { groups: results, comparisons, level };
}

/** Per-epoch metrics a curve chart can be drawn for. */
export const CURVE_METRICS = [
  { key: 'valScore', title: 'val score' },
  { key: 'valLoss', title: 'val loss' },
  { key: 'trainLoss', title: 'train loss' },
] as const;

/** The curve of `metric` per epoch: each group's mean over its counted runs, with a ± 1 std band. */
export function curveChart(r: ExperimentResults, metric: (typeof CURVE_METRICS)[number]): ChartModel {
  return seedBandChart(
    r.groups.map((g) => ({ label: g.key, series: g.counted.map((run) => metricByEpoch(run.epochs, (e) => e[metric.key])) })),
    { id: `curves-${metric.key}`, title: `${metric.title} per epoch: mean ± 1 std over seeds` },
  );
}

/** The bar chart of a final metric: each group's mean with the t interval of its mean (groups without a value left out). */
export function finalBarChart(r: ExperimentResults, metric: ResultMetric): IntervalBarChart {
  const title = RESULT_METRICS.find((m) => m.key === metric)?.title ?? metric;
  const bars = r.groups.flatMap((g) => {
    const m = g.metrics.find((x) => x.metric === metric);
    if (!m?.stats) return [];
    return [{ name: g.key, value: m.stats.mean, low: m.interval?.low ?? null, high: m.interval?.high ?? null, n: m.stats.n }];
  });
  return { id: `final-${metric}`, title: `${title}: group means with ${Math.round(r.level * 100)}% intervals of the mean`, yTitle: title, bars };
}

/** s_i against depth (its index): each group's summand stds at the head's input, marks at the first group's levels. */
export function summandChart(r: ExperimentResults): SummandChart {
  const analysed = r.groups.filter((g): g is GroupResult & { init: InitResult } => g.init !== null);
  return {
    series: analysed.map((g) => summandSeries(g.key, g.key, g.init.summands)[0]),
    marks: analysed[0] ? levelMarks(analysed[0].init.summands) : [],
    summands: Math.max(1, ...analysed.map((g) => g.init.summands.length)),
  };
}

/** The design of each group as its runs stored it, by name and size. */
export function groupDesign(g: GroupResult): { name: string; convLayers: number | null; params: number | null } | null {
  const run = g.counted[0] ?? g.runs[0];
  if (!run) return null;
  const s = summarizeArch(trainedArch(run.record));
  return { name: run.record.arch.name, convLayers: s.ok ? s.summary.convLayers : null, params: s.ok ? s.summary.params : null };
}
