/**
 * What the Experiments tab says about an experiment's results (the lab's experimentResults, built by
 * shared/experiments/view.ts): how far its runs have come, in plain words, and the rows of its
 * tables. Numbers read as in the report (shared/experiments/format.ts). No Vue here.
 */
import { METRIC_NOTES, RESULT_METRICS, type ResultMetric } from '../../shared/experiments/results';
import { intervalText, meanStd, num, signed } from '../../shared/experiments/format';
import type { ExperimentGroupView, ExperimentListItem, ExperimentRunItem, ExperimentVersionItem, ExperimentView } from '../../shared/experiments/view';
import type { VerdictKind } from '../../shared/metrics/groupComparison';
import { higherIsBetter } from '../../shared/metrics/groupComparison';

export { intervalText, meanStd, num, signed };

/** The title of a final metric (`best val score`). */
export function metricTitle(m: ResultMetric): string {
  return RESULT_METRICS.find((x) => x.key === m)?.title ?? m;
}

/** What the tab shows when there is no experiment to show. */
export const NO_EXPERIMENTS =
  'No experiments yet. An experiment is a file naming a base design, the factors to vary, the seeds, the data and a budget; ' +
  '`strata experiment run FILE` trains its runs (see docs/experiments/README.md), and they show up here, grouped, as they are made.';

/** A version in the chooser: `v2 · 10 of 12 runs complete`. */
export function versionLabel(v: ExperimentVersionItem): string {
  return v.planned === null ? `v${v.version} · ${v.complete} of ${v.stored} stored runs complete` : `v${v.version} · ${v.complete} of ${v.planned} runs complete`;
}

/** The experiment and version to show: the one asked for when it is listed, else the first experiment's newest version. */
export function chooseExperiment(list: readonly ExperimentListItem[], wanted: { name: string; version: number | null } | null): { name: string; version: number } | null {
  const e = (wanted && list.find((x) => x.name === wanted.name)) ?? list[0];
  if (!e) return null;
  const v = (wanted && wanted.name === e.name && wanted.version !== null && e.versions.find((x) => x.version === wanted.version)) || e.versions[0];
  return v ? { name: e.name, version: v.version } : null;
}

/** How far the runs have come, and what that means for the numbers below. */
export interface Progress {
  complete: number;
  /** Stored runs not complete: queued, training, stopped, failed. */
  unfinished: number;
  /** Planned runs with no run yet. */
  missing: number;
  /** One line, e.g. `10 of 12 planned runs are complete; 1 is queued or unfinished, 1 not made yet.` */
  text: string;
  /** Null when every planned run is complete; else what the statistics count, in plain words. */
  partial: string | null;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The progress of view `v`. */
export function progressOf(v: ExperimentView): Progress {
  const runs = v.groups.flatMap((g) => g.runs);
  const complete = runs.filter((r) => r.complete).length;
  const unfinished = runs.length - complete;
  const missing = v.missing.length;
  const total = runs.length + missing;
  const rest = [unfinished ? `${unfinished} ${unfinished === 1 ? 'is' : 'are'} queued, training or unfinished` : null, missing ? `${missing} not made yet` : null].filter((x) => x !== null);
  const known = v.source.kind === 'tags' ? `${complete} of ${plural(runs.length, 'stored run')} ${complete === 1 ? 'is' : 'are'} complete` : `${complete} of ${plural(total, 'planned run')} ${complete === 1 ? 'is' : 'are'} complete`;
  const text = `${known}${rest.length ? `; ${rest.join(', ')}` : ''}.`;
  const few = v.groups.filter((g) => g.counted < v.minSeeds).map((g) => g.key);
  const partial =
    unfinished + missing === 0
      ? null
      : `Runs are still to come. The numbers below count only the complete runs${few.length ? `, and a group with fewer than ${v.minSeeds} complete runs (${few.join(', ')}) gives no verdict yet` : ''}; run the experiment again to train the rest, then Refresh.`;
  return { complete, unfinished, missing, text, partial };
}

/** Where the experiment's plan came from, in words; null when it came from the file as usual. */
export function sourceNote(v: ExperimentView): string | null {
  if (v.source.kind === 'copy') return `From the copy of the experiment file stored with its runs (${v.source.path}); the file was ${v.source.file}.`;
  if (v.source.kind === 'tags') {
    return `${v.source.problem ?? 'No copy of the experiment file is stored with these runs (they were queued before Strata kept one, or made by hand)'}: the claim and the planned runs are not known; the groups are the runs' tags.`;
  }
  return null;
}

/** A verdict's tone: a group better or worse than the first level, no difference, or no verdict. */
export type VerdictTone = 'better' | 'worse' | 'same' | 'unknown';

/** The tone of a verdict of group A (the compared group) against B (the first level). */
export function verdictTone(kind: VerdictKind): VerdictTone {
  switch (kind) {
    case 'a-better':
      return 'better';
    case 'b-better':
      return 'worse';
    case 'no-difference':
      return 'same';
    case 'too-few-seeds':
      return 'unknown';
  }
}

/** One row of the comparisons table. */
export interface ComparisonRow {
  metric: ResultMetric;
  title: string;
  better: 'higher' | 'lower';
  group: string;
  n: string;
  difference: string;
  welch: string;
  df: string;
  bootstrap: string;
  verdict: string;
  tone: VerdictTone;
}

/** The comparisons of `metric` (every metric when null), as the table shows them. */
export function comparisonRows(v: ExperimentView, metric: ResultMetric | null): ComparisonRow[] {
  return v.comparisons
    .filter((c) => metric === null || c.metric === metric)
    .map((c) => ({
      metric: c.metric,
      title: metricTitle(c.metric),
      better: higherIsBetter(c.metric) ? 'higher' : 'lower',
      group: c.group,
      n: `${c.comparison.a.n}, ${c.comparison.b.n}`,
      difference: signed(c.comparison.difference),
      welch: intervalText(c.comparison.welch),
      df: c.comparison.welch?.df === null || c.comparison.welch === null ? '—' : c.comparison.welch.df.toFixed(1),
      bootstrap: intervalText(c.comparison.bootstrap),
      verdict: c.comparison.verdict.text,
      tone: verdictTone(c.comparison.verdict.kind),
    }));
}

/** The final metrics with a value in any group, in the report's order. */
export function shownMetrics(v: ExperimentView): ResultMetric[] {
  return RESULT_METRICS.map((m) => m.key).filter((k) => v.groups.some((g) => g.metrics.some((m) => m.metric === k && m.stats !== null)));
}

/** A group's cell of a final metric: mean ± std and the interval of the mean. */
export function metricCell(g: ExperimentGroupView, metric: ResultMetric): { meanStd: string; interval: string } {
  const m = g.metrics.find((x) => x.metric === metric);
  return { meanStd: meanStd(m?.stats ?? null), interval: intervalText(m?.interval ?? null) };
}

/** A detector's count in a group: `1 of 3 runs`. */
export function detectorCount(g: ExperimentGroupView, kind: keyof ExperimentGroupView['detectors']): string {
  const runs = new Set(g.detectors[kind].map((h) => h.runId)).size;
  return `${runs} of ${plural(g.counted, 'run')}`;
}

/** A group's counted runs, with how many diverged: `3`, `3 (1 diverged)` (as the report writes it). */
export function countedText(g: ExperimentGroupView): string {
  return g.diverged.length ? `${g.counted} (${g.diverged.length} diverged)` : String(g.counted);
}

/** A run's state in the runs table: `diverged` for a run whose loss became non-finite, else its status. */
export function runState(r: ExperimentRunItem): string {
  return r.diverged ? 'diverged' : r.status;
}

/** The diverged runs, in plain words, and how they count; null when no run diverged. */
export function divergedNote(v: ExperimentView): { text: string; runs: { group: string; runId: string; text: string }[] } | null {
  const runs = v.groups.flatMap((g) =>
    g.diverged.map((d) => ({
      group: g.key,
      runId: d.runId,
      text: `${g.key}, seed ${d.seed}: its loss became NaN or infinite after ${plural(d.epochsDone, 'complete epoch')}${d.bestScore === null ? '' : `, with a best val score of ${num(d.bestScore)} before it`} (${d.reason || 'a non-finite loss'}).`,
    })),
  );
  if (runs.length === 0) return null;
  const counts = v.groups.filter((g) => g.diverged.length > 0).map((g) => `${g.diverged.length} of ${plural(g.counted, 'run')} of ${g.key}`);
  return {
    text:
      `${counts.join(', ')} diverged. A diverged run is a final outcome of what it trains and is not trained again: it counts, with its best val score and its last complete epoch's metrics from before it diverged, and has no test score. ` +
      'Every comparison with a group that has one says so in its verdict.',
    runs,
  };
}

/** Why the losses are neither compared nor drawn, in plain words; null when they are. */
export function lossNote(v: ExperimentView): string | null {
  if (v.losses.comparable) return null;
  return `Losses are not compared or drawn together: ${v.losses.reason ?? 'the groups train with different losses'}.`;
}

/** What the shown final metrics that are not plain scores or losses measure. */
export function metricNotes(metrics: readonly ResultMetric[]): string[] {
  return metrics.flatMap((m) => METRIC_NOTES[m] ?? []);
}
