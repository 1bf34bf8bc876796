/**
 * An experiment as the lab shows it: the same results a report is written from (results.ts, whose
 * statistics are shared/metrics'), cut down to plain data that crosses the process boundary: per
 * group its runs by id, seed and state, its final metrics with their intervals, its detector
 * events, BN health and initialisation analysis; the comparisons with the first level and their
 * verdicts; the scale; and the chart models (seed-band curves, interval bars, s_i against depth)
 * that shared/charts' option builders draw. Nothing here is computed a second time.
 */
import type { ChartModel } from '../charts/chartModel';
import type { IntervalBarChart } from '../charts/intervalBarOption';
import type { SummandChart } from '../charts/summandChartOption';
import { MIN_SEEDS_FOR_VERDICT } from '../metrics/groupComparison';
import { diverged } from '../runs/divergence';
import type { RunStatus } from '../runs/types';
import {
  RESULT_METRICS,
  curveChart,
  curveMetrics,
  finalBarChart,
  summandChart,
  type CURVE_METRICS,
  type ExperimentResults,
  type GroupResult,
  type LossComparability,
  type ResultComparison,
} from './results';
import { experimentScale, type ExperimentScale } from './scale';
import type { Experiment } from './schema';

/** Where an experiment's plan came from. */
export type PlanSource =
  /** The experiment file, given by its path. */
  | { kind: 'file'; file: string }
  /** The copy of the file stored with the runs: its path, where the file was, and when it was stored. */
  | { kind: 'copy'; path: string; file: string; storedAt: number }
  /** The runs' tags alone; `problem` says why a stored copy could not be used (null: there is none). */
  | { kind: 'tags'; problem: string | null };

/** What is known of an experiment's runs besides their results. */
export interface ExperimentRunsInfo {
  name: string;
  version: number;
  /** Every version with runs in the store, newest first. */
  versions: number[];
  /** The experiment file's content, from the file or its stored copy; null from the tags alone. */
  experiment: Experiment | null;
  source: PlanSource;
  /** Planned runs with no run in the store yet (known only from a plan). */
  missing: { group: string; seed: number }[];
}

/** One version of an experiment in the lab's list. */
export interface ExperimentVersionItem {
  version: number;
  /** Its groups, in the plan's order (without a copy of the file: in the order their first runs were made). */
  groups: string[];
  /** Runs the plan has: the copy's groups x seeds; null without a copy of the file (only the stored runs are known). */
  planned: number | null;
  /** Runs in the store, of the plan when there is one. */
  stored: number;
  /** Runs with nothing left to train (done, or ended by their own budget or early stopping): the ones that count. */
  complete: number;
  claim: string | null;
  description: string | null;
}

/** An experiment in the lab's list, its versions newest first. */
export interface ExperimentListItem {
  name: string;
  versions: ExperimentVersionItem[];
}

/** One stored run of a group. */
export interface ExperimentRunItem {
  id: string;
  seed: number;
  status: RunStatus;
  epochsDone: number;
  bestScore: number | null;
  /** Whether it counts (nothing left to train). */
  complete: boolean;
  /** Whether it diverged (failed with a non-finite loss): complete, and counted as that outcome. */
  diverged: boolean;
}

/**
 * One group as the view shows it: its results' fields as they are (the counted runs that diverged,
 * the loss in words, the metrics, detector events, initialisation analysis and BN health), with its
 * runs as list items and the number counted instead of the runs themselves.
 */
export type ExperimentGroupView = Pick<
  GroupResult,
  'key' | 'diverged' | 'loss' | 'metrics' | 'detectors' | 'init' | 'initProblem' | 'bnHealth'
> & {
  runs: ExperimentRunItem[];
  /** Runs the statistics count. */
  counted: number;
};

/** An experiment's results, as the lab's view shows them. */
export interface ExperimentView {
  name: string;
  version: number;
  versions: number[];
  /** What the file says, when its copy (or the file) is known. */
  about: { description: string; claim: string | null; factors: { name: string; levels: string[] }[] } | null;
  source: PlanSource;
  scale: ExperimentScale;
  /** Confidence level of every interval. */
  level: number;
  /** Complete runs a group needs before a comparison of it gives a verdict. */
  minSeeds: number;
  groups: ExperimentGroupView[];
  /** Every group after the first against the first, per metric (with the diverged runs of each side). */
  comparisons: ResultComparison[];
  /** Whether the groups' losses are compared and drawn, and why not. */
  losses: LossComparability;
  /** The per-epoch metrics curves are drawn for: the losses only when comparable. */
  curveMetrics: (typeof CURVE_METRICS)[number][];
  missing: { group: string; seed: number }[];
  charts: {
    /** Per-epoch curves, mean ± 1 std over each group's counted runs (those with points). */
    curves: ChartModel[];
    /** A bar chart per final metric that has values: group means with their intervals. */
    finals: IntervalBarChart[];
    summands: SummandChart;
  };
}

/** The view of results `r` of the runs `info` describes. */
export function experimentView(info: ExperimentRunsInfo, r: ExperimentResults): ExperimentView {
  const e = info.experiment;
  return {
    name: info.name,
    version: info.version,
    versions: info.versions,
    about: e ? { description: e.description, claim: e.claim ?? null, factors: e.factors.map((f) => ({ name: f.name, levels: f.levels.map((l) => l.label) })) } : null,
    source: info.source,
    scale: experimentScale(r, e, info.missing.length),
    level: r.level,
    minSeeds: MIN_SEEDS_FOR_VERDICT,
    groups: r.groups.map((g) => ({
      key: g.key,
      runs: g.runs.map((run) => ({
        id: run.record.id,
        seed: run.record.experiment?.seed ?? run.record.seed,
        status: run.record.status,
        epochsDone: run.record.epochsDone,
        bestScore: run.record.best?.score ?? null,
        complete: run.complete,
        diverged: diverged(run.record),
      })),
      counted: g.counted.length,
      diverged: g.diverged,
      loss: g.loss,
      metrics: g.metrics,
      detectors: g.detectors,
      init: g.init,
      initProblem: g.initProblem,
      bnHealth: g.bnHealth,
    })),
    comparisons: r.comparisons,
    losses: r.losses,
    curveMetrics: curveMetrics(r),
    missing: info.missing,
    charts: {
      curves: curveMetrics(r).map((m) => curveChart(r, m)).filter((c) => c.lines.some((l) => l.points.length > 0)),
      finals: RESULT_METRICS.map((m) => finalBarChart(r, m.key)).filter((b) => b.bars.length > 0),
      summands: summandChart(r),
    },
  };
}
