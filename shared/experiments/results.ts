/**
 * An experiment's results from its stored runs, as plain data: per group the final metrics (mean ±
 * std and the t interval of the mean), every group compared with the first (Welch and bootstrap
 * intervals of the difference, and the verdict), the detectors' events, and the initialisation
 * analysis of the group's design; and the charts that show them. Only runs with nothing left to
 * train count; every number comes from what the runs stored. `strata experiment report` writes this
 * out, and an app view can show the same.
 *
 * Two rules keep the comparisons honest:
 * - Losses are each run's own training loss. They are compared and charted across groups only when
 *   every group trains with the same loss (name, eps, Lovász weight, salt head weight; see
 *   {@link lossKey}); otherwise their comparisons and curves are left out and `losses` says why.
 * - A run that diverged (its loss became non-finite; shared/runs/divergence.ts) is a final outcome
 *   and counts: with its best validation score (the best checkpoint it kept) and its last completed
 *   epoch's metrics, from before it diverged; it has no test score (finalize does not run on a failed
 *   run). Each group lists its diverged runs, and every comparison with a group that has any says so
 *   in its verdict's text, so no "better" verdict hides them.
 */
import { bnHealthOf, type BnHealth } from '../analysis/bnHealth';
import { epochCheckerboard } from '../analysis/checkerboard';
import { DEFAULT_PLATEAU } from '../analysis/detectors';
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
import { diverged as isDiverged } from '../runs/divergence';
import { PER_IMAGE_IOU_EPS } from '../runs/request';
import type { EpochMetric, RunEvent, RunRecord } from '../runs/types';
import { canonicalJson } from './hash';

/** One stored run of the experiment, with what the report reads of it. */
export interface ResultRun {
  record: RunRecord;
  epochs: readonly EpochMetric[];
  events: readonly RunEvent[];
  /** Nothing left to train (done, stopped by its own budget or early stopping, or diverged); only these count. */
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
  /** The last epoch's checkerboard amplitude of the predicted validation maps (claim 4); NaN, so no value, for a run that did not record it. */
  { key: 'valNyquistAmplitude', title: 'final checkerboard amplitude', of: (r: ResultRun) => epochCheckerboard(r.epochs.at(-1)?.extra).score },
  /** Training time (pauses excluded, each epoch's validation included) over the epochs done (claim 6's "slower per epoch"); none before an epoch. */
  { key: 'secondsPerEpoch', title: 'training s per epoch', of: (r: ResultRun) => (r.record.epochsDone > 0 ? r.record.durationMs / 1000 / r.record.epochsDone : undefined) },
] as const;
/** A metric of {@link RESULT_METRICS}. */
export type ResultMetric = (typeof RESULT_METRICS)[number]['key'];

/** What the final metrics that are not plain scores or losses measure, in words (the report and the lab print them under the table). */
export const METRIC_NOTES: Readonly<Partial<Record<ResultMetric, string>>> = {
  valNyquistAmplitude:
    "final checkerboard amplitude: the last epoch's valNyquistAmplitude, the RMS of the predicted validation maps' period-2 pattern over the maps' RMS (0: none, 1: a pure checkerboard); lower is better, and runs that did not record it give no value",
  secondsPerEpoch: "training s per epoch: each run's training time (pauses excluded, each epoch's validation included) over the epochs it completed; lower is faster",
};

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

/** A counted run that diverged: its loss became non-finite (the reason says where), after `epochsDone` epochs. */
export interface DivergedRun {
  runId: string;
  seed: number;
  epochsDone: number;
  /** Its best validation score before it diverged; null without a completed epoch. */
  bestScore: number | null;
  reason: string;
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
  /** The runs the statistics count: the complete ones (diverged ones included). */
  counted: readonly ResultRun[];
  /** The counted runs that diverged, in the order of `counted`. */
  diverged: DivergedRun[];
  /** The loss its counted runs trained with, in words (`per-image-iou, eps 0.62`); null without a counted run, `mixed: ...` when they differ. */
  loss: string | null;
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

/**
 * One group compared with the first group on one metric: mean(group) - mean(baseline). When either
 * group has diverged runs, `diverged` counts them and the verdict's text says so.
 */
export interface ResultComparison {
  metric: ResultMetric;
  group: string;
  baseline: string;
  comparison: GroupComparison;
  diverged: { group: number; baseline: number };
}

/**
 * Whether the groups' losses can be compared: every counted run of every group trained with the same
 * loss. When not, `reason` says what differs, and loss metrics are neither compared nor charted.
 */
export interface LossComparability {
  comparable: boolean;
  reason: string | null;
}

/** The metrics that are a run's own training loss: comparable across groups only when the loss is the same. */
export const LOSS_METRICS: readonly string[] = ['valLoss', 'trainLoss'];

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
  /** Every group after the first against the first, per metric that both have values of (losses only when comparable). */
  comparisons: ResultComparison[];
  /** Whether the groups' losses are compared and charted, and why not. */
  losses: LossComparability;
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

/**
 * Whether a plateau event judged the run's own start: it was written at most as many steps into the
 * run as the batches it judged (its data's `batches`, else the detector's default). A session
 * resumed halfway that judged its own first batches (trainers before the detector ran only on a
 * fresh start did) is not about the start of training, and does not count.
 */
export function plateauAtStart(e: Pick<RunEvent, 'step' | 'data'>): boolean {
  const judged = e.data && typeof e.data['batches'] === 'number' ? e.data['batches'] : DEFAULT_PLATEAU.batches;
  return e.step <= judged;
}

function detectorHits(runs: readonly ResultRun[], type: DetectorEvent): DetectorHit[] {
  return runs.flatMap((r) =>
    r.events
      .filter((e) => e.type === type && (type !== 'plateau' || plateauAtStart(e)))
      .map((e) => ({ runId: r.record.id, seed: r.record.experiment?.seed ?? r.record.seed, epoch: e.epoch, step: e.step, message: e.message })),
  );
}

/** The salt head's loss weight of a design, null without one. */
function saltWeight(arch: Architecture): number | null {
  for (const n of arch.nodes) if (n.kind === 'saltHead') return n.lossWeight;
  return null;
}

/**
 * What a run's training loss is, as a key: two runs with the same key minimise the same function.
 * The loss's name; its eps for the IoU losses (per-image IoU's default filled in: the same value
 * given or not; batch IoU's default stays null, the trainer's own); its Lovász weight for
 * bce-lovasz; and the salt head's loss weight (null without a salt head).
 */
export function lossKey(r: Pick<RunRecord, 'arch' | 'config'>): string {
  const l = r.config.loss;
  const eps = l.name === 'per-image-iou' ? (l.eps ?? PER_IMAGE_IOU_EPS) : l.name === 'batch-iou' ? (l.eps ?? null) : null;
  return canonicalJson({ name: l.name, eps, lovaszWeight: l.name === 'bce-lovasz' ? l.lovaszWeight : null, salt: saltWeight(r.arch) });
}

/** A run's loss in words: `per-image-iou, eps 0.62`, `bce-lovasz, Lovász weight 1, salt head weight 0.5`. */
export function lossText(r: Pick<RunRecord, 'arch' | 'config'>): string {
  const l = r.config.loss;
  const parts: string[] = [l.name];
  if (l.name === 'per-image-iou') parts.push(`eps ${l.eps ?? PER_IMAGE_IOU_EPS}`);
  if (l.name === 'batch-iou') parts.push(l.eps === undefined ? 'default eps' : `eps ${l.eps}`);
  if (l.name === 'bce-lovasz') parts.push(`Lovász weight ${l.lovaszWeight}`);
  const salt = saltWeight(r.arch);
  if (salt !== null) parts.push(`salt head weight ${salt}`);
  return parts.join(', ');
}

/** Whether every counted run of every group trained with the same loss. */
export function lossComparability(groups: readonly Pick<GroupResult, 'key' | 'counted'>[]): LossComparability {
  const texts = new Map<string, { text: string; groups: string[] }>();
  for (const g of groups) {
    for (const run of g.counted) {
      const key = lossKey(run.record);
      const t = texts.get(key) ?? { text: lossText(run.record), groups: [] };
      if (!t.groups.includes(g.key)) t.groups.push(g.key);
      texts.set(key, t);
    }
  }
  if (texts.size <= 1) return { comparable: true, reason: null };
  const which = [...texts.values()].map((t) => `${t.text} (${t.groups.join(', ')})`).join('; ');
  return {
    comparable: false,
    reason: `the groups train with different losses: ${which}. A loss value is the run's own training objective, so losses of different losses are not compared or drawn together; the scores and IoUs are`,
  };
}

function divergedRuns(runs: readonly ResultRun[]): DivergedRun[] {
  return runs
    .filter((r) => isDiverged(r.record))
    .map((r) => ({ runId: r.record.id, seed: r.record.experiment?.seed ?? r.record.seed, epochsDone: r.record.epochsDone, bestScore: r.record.best?.score ?? null, reason: r.record.statusReason ?? '' }));
}

/** The loss of a group's counted runs in words; `mixed: ...` when they differ. */
function groupLoss(runs: readonly ResultRun[]): string | null {
  const texts = [...new Set(runs.map((r) => lossText(r.record)))];
  if (texts.length === 0) return null;
  return texts.length === 1 ? (texts[0] as string) : `mixed: ${texts.join('; ')}`;
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
    diverged: divergedRuns(counted),
    loss: groupLoss(counted),
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
  const losses = lossComparability(results);
  const comparisons: ResultComparison[] = [];
  const [baseline, ...rest] = results;
  if (baseline) {
    for (const { key: metric } of RESULT_METRICS) {
      if (!losses.comparable && LOSS_METRICS.includes(metric)) continue;
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
        const diverged = { group: g.diverged.length, baseline: baseline.diverged.length };
        comparisons.push({ metric, group: g.key, baseline: baseline.key, comparison: withDivergence(comparison, metric, g, baseline), diverged });
      }
    }
  }
  return { groups: results, comparisons, losses, level };
}

/** What a diverged run contributes to `metric`. */
function divergedCounts(metric: ResultMetric): string {
  if (metric === 'bestScore') return 'counted with its best score before diverging';
  if (metric === 'testScore') return 'left out: a diverged run has no test score';
  if (metric === 'secondsPerEpoch') return 'counted with its training time over the epochs it completed, left out without one';
  return 'counted with its last epoch before diverging';
}

/** The comparison with its verdict's text saying which of the two groups had runs diverge, when either did. */
function withDivergence(c: GroupComparison, metric: ResultMetric, group: GroupResult, baseline: GroupResult): GroupComparison {
  const notes = [group, baseline]
    .filter((g) => g.diverged.length > 0)
    .map((g) => `${g.diverged.length} of ${g.counted.length} runs of ${g.key} diverged`);
  if (notes.length === 0) return c;
  return { ...c, verdict: { ...c.verdict, text: `${c.verdict.text} (but ${notes.join(' and ')}; ${divergedCounts(metric)})` } };
}

/** Per-epoch metrics a curve chart can be drawn for. */
export const CURVE_METRICS = [
  { key: 'valScore', title: 'val score' },
  { key: 'valLoss', title: 'val loss' },
  { key: 'trainLoss', title: 'train loss' },
] as const;

/** The curve metrics that can be drawn for `r`: the losses only when the groups' losses are comparable. */
export function curveMetrics(r: Pick<ExperimentResults, 'losses'>): (typeof CURVE_METRICS)[number][] {
  return CURVE_METRICS.filter((m) => r.losses.comparable || !LOSS_METRICS.includes(m.key));
}

/**
 * The curve of `metric` per epoch: each group's mean over its counted runs, with a ± 1 std band. A
 * loss curve of groups that train with different losses has no lines (see {@link curveMetrics}).
 */
export function curveChart(r: ExperimentResults, metric: (typeof CURVE_METRICS)[number]): ChartModel {
  if (!r.losses.comparable && LOSS_METRICS.includes(metric.key)) return seedBandChart([], { id: `curves-${metric.key}`, title: `${metric.title} per epoch: not drawn (${r.losses.reason ?? 'the losses differ'})` });
  return seedBandChart(
    r.groups.map((g) => ({ label: g.key, series: g.counted.map((run) => metricByEpoch(run.epochs, (e) => e[metric.key])) })),
    { id: `curves-${metric.key}`, title: `${metric.title} per epoch: mean ± 1 std over seeds` },
  );
}

/**
 * The bar chart of a final metric: each group's mean with the t interval of its mean (groups without
 * a value left out); a loss of groups that train with different losses has no bars.
 */
export function finalBarChart(r: ExperimentResults, metric: ResultMetric): IntervalBarChart {
  const title = RESULT_METRICS.find((m) => m.key === metric)?.title ?? metric;
  if (!r.losses.comparable && LOSS_METRICS.includes(metric)) {
    return { id: `final-${metric}`, title: `${title}: not drawn (${r.losses.reason ?? 'the losses differ'})`, yTitle: title, bars: [] };
  }
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
