/**
 * An experiment report as Markdown: the claim, the scale it was tested at, each group's final
 * metrics, the comparisons with the first group and their verdicts, the detectors' events, the
 * initialisation analysis beside the outcome, the figures and the runs. Every number is read from
 * the results (shared/experiments/results.ts), which read them from the stored runs.
 */
import type { Experiment } from '../../../shared/experiments';
import {
  DETECTOR_EVENTS,
  METRIC_NOTES,
  RESULT_METRICS,
  type DetectorHit,
  type ExperimentResults,
  type GroupResult,
  type ResultMetric,
} from '../../../shared/experiments/results';
import { MIN_SEEDS_FOR_VERDICT, higherIsBetter } from '../../../shared/metrics/groupComparison';
import { intervalText, meanStd, num, signed } from '../../../shared/experiments/format';
import { experimentScale } from '../../../shared/experiments/scale';
import type { PlanSource } from '../../../shared/experiments/view';
import { diverged } from '../../../shared/runs/divergence';

/** A figure of the report: its file (beside the Markdown) and what it shows. */
export interface ReportFigure {
  file: string;
  caption: string;
}

/** What the report is written from. */
export interface ReportInput {
  name: string;
  version: number;
  /** Every version with runs in the store. */
  versions: number[];
  /** The experiment file's content: from the file, or the copy of it stored with the runs. */
  experiment: Experiment | null;
  /** Where the plan came from; default: the file when `experiment` is given, else the runs' tags. */
  source?: PlanSource;
  results: ExperimentResults;
  /** Planned runs with no run in the store yet (known only with the file). */
  missing: { group: string; seed: number }[];
  figures: ReportFigure[];
  /** The command that writes this report again. */
  command: string;
}

export { meanStd, num };

const interval = intervalText;

/** Table cells may not hold `|` or line breaks. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [`| ${head.map(cell).join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

function metricTitle(m: ResultMetric): string {
  return RESULT_METRICS.find((x) => x.key === m)?.title ?? m;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function minutes(ms: number): string {
  return ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : `${(ms / 60_000).toFixed(1)} min`;
}

function scaleLines(input: ReportInput): string[] {
  const sc = experimentScale(input.results, input.experiment, input.missing.length);
  const lines: string[] = ['## Scale', ''];
  if (!sc.data) return [...lines, 'No runs.', ''];
  lines.push(`- **Data**: ${sc.data.datasets.join('; ')}; ${sc.data.subset}.`);
  lines.push(`- **Split** (per run): ${sc.splits.join('; ')}.`);
  lines.push(`- **Budget** (per run): ${sc.budgets.join('; ')}.`);
  const seeds = sc.seeds;
  lines.push(`- **Seeds**: ${seeds.join(', ')} (${plural(seeds.length, 'seed')} per group${seeds.length < MIN_SEEDS_FOR_VERDICT ? `; fewer than ${MIN_SEEDS_FOR_VERDICT}, so no comparison gives a verdict` : ''}).`);
  const { stored, counted, missing } = sc.runs;
  lines.push(`- **Runs**: ${counted} complete of ${stored} stored${missing ? `, ${missing} planned not made yet` : ''}; only complete runs are counted. Training time ${minutes(sc.trainingMs)} in all.`);
  lines.push('');
  const count = (n: number | null) => (n === null ? '—' : String(n));
  lines.push(
    ...table(
      ['Group', 'Design', 'Conv layers', 'Params', 'Init', 'BN', 'Loss', 'Counted runs', 'Epochs trained'],
      sc.groups.map((g) => [
        g.key,
        g.design ?? '—',
        count(g.convLayers),
        count(g.params),
        g.init ?? '—',
        g.bnPlacement ?? '—',
        g.loss ?? '—',
        `${g.counted} of ${g.runs}`,
        g.epochs ? (g.epochs.min === g.epochs.max ? String(g.epochs.min) : `${g.epochs.min}–${g.epochs.max}`) : '—',
      ]),
    ),
  );
  lines.push('');
  return lines;
}

function finalLines(r: ExperimentResults): string[] {
  const shown = RESULT_METRICS.filter((m) => r.groups.some((g) => g.metrics.find((x) => x.metric === m.key)?.stats));
  const lines = ['## Final metrics', '', `Mean ± std over each group's complete runs (sample std); the ${Math.round(r.level * 100)}% t interval of the mean below.`, ''];
  lines.push(
    ...table(
      ['Group', 'n', ...shown.map((m) => m.title)],
      r.groups.map((g) => [g.key, countedText(g), ...shown.map((m) => meanStd(g.metrics.find((x) => x.metric === m.key)?.stats ?? null))]),
    ),
  );
  lines.push('');
  lines.push(
    ...table(
      ['Group', ...shown.map((m) => `${m.title}, ${Math.round(r.level * 100)}% interval of the mean`)],
      r.groups.map((g) => [g.key, ...shown.map((m) => interval(g.metrics.find((x) => x.metric === m.key)?.interval ?? null))]),
    ),
  );
  lines.push('');
  const notes = shown.flatMap((m) => METRIC_NOTES[m.key] ?? []);
  if (notes.length) lines.push(...notes.map((n) => `- ${n}.`), '');
  lines.push(...lossNote(r), ...divergedNote(r));
  return lines;
}

/** A group's counted runs, with how many of them diverged: `3`, `3 (1 diverged)`. */
function countedText(g: GroupResult): string {
  return g.diverged.length ? `${g.counted.length} (${g.diverged.length} diverged)` : String(g.counted.length);
}

/** Why the losses are neither compared nor drawn, when the groups train with different ones. */
function lossNote(r: ExperimentResults): string[] {
  if (r.losses.comparable) return [];
  return [`**Losses are not compared.** Each group's losses above are its own; ${r.losses.reason ?? 'the groups train with different losses'}.`, ''];
}

/** How diverged runs are counted, when any group has one. */
function divergedNote(r: ExperimentResults): string[] {
  if (r.groups.every((g) => g.diverged.length === 0)) return [];
  return [
    "**Diverged runs count.** A run whose loss became NaN or infinite is a final outcome of what it trains, not retried: it counts with its best validation score (the best checkpoint it kept) and its last completed epoch's metrics, from before it diverged; it has no test score. Every comparison with a group that has one says so in its verdict. See [Diverged runs](#diverged-runs).",
    '',
  ];
}

/** Every diverged run, by group. */
function divergedLines(r: ExperimentResults): string[] {
  const rows = r.groups.flatMap((g) => g.diverged.map((d) => `- ${g.key}, seed ${d.seed} (run ${d.runId}): after ${plural(d.epochsDone, 'epoch')}, best val score ${num(d.bestScore)}; ${d.reason}`));
  if (rows.length === 0) return [];
  const counts = r.groups.map((g) => `${g.key} ${g.diverged.length} of ${g.counted.length}`).join(', ');
  return ['## Diverged runs', '', `Runs whose loss became non-finite, per group: ${counts}.`, '', ...rows, ''];
}

function comparisonLines(r: ExperimentResults): string[] {
  const base = r.groups[0];
  if (!base) return [];
  const lines = [`## Comparisons with ${base.key}`, ''];
  if (r.groups.length < 2) return [...lines, 'One group only: nothing to compare.', ''];
  const pct = Math.round(r.level * 100);
  lines.push(
    `Each group against the first level, ${base.key}: the difference of the means (group − ${base.key}), Welch's ${pct}% interval of it (Welch–Satterthwaite degrees of freedom) and a percentile bootstrap ${pct}% interval (seeded). ` +
      `The verdict is read off Welch's interval: wholly on the better side of 0, that group is better; holding 0, no difference at this scale; ` +
      `fewer than ${MIN_SEEDS_FOR_VERDICT} complete runs in either group, too few seeds to tell. Scores and IoUs are better higher; losses, the checkerboard amplitude and the training seconds per epoch lower.`,
  );
  lines.push('');
  lines.push(
    ...table(
      ['Metric', 'Better', 'Group', 'n (group, base)', 'Difference', `Welch ${pct}%`, 'df', `Bootstrap ${pct}%`, 'Verdict'],
      r.comparisons.map((c) => [
        metricTitle(c.metric),
        higherIsBetter(c.metric) ? 'higher' : 'lower',
        c.group,
        `${c.comparison.a.n}, ${c.comparison.b.n}`,
        signed(c.comparison.difference),
        interval(c.comparison.welch),
        c.comparison.welch?.df === null || c.comparison.welch === null ? '—' : c.comparison.welch.df.toFixed(1),
        interval(c.comparison.bootstrap),
        `**${c.comparison.verdict.text}**`,
      ]),
    ),
  );
  lines.push('');
  if (!r.losses.comparable) lines.push(`Losses are left out of the comparisons: ${r.losses.reason ?? 'the groups train with different losses'}.`, '');
  return lines;
}

const DETECTOR_TITLES: Readonly<Record<(typeof DETECTOR_EVENTS)[number], string>> = {
  plateau: 'Started on a plateau',
  'wrong-step': 'Wrong step',
};

function hitList(hits: readonly DetectorHit[], counted: number): string {
  if (hits.length === 0) return `0 of ${counted}`;
  const runs = new Set(hits.map((h) => h.runId)).size;
  return `${runs} of ${counted} (${hits.map((h) => `seed ${h.seed} at epoch ${h.epoch + 1}`).join(', ')})`;
}

function detectorLines(r: ExperimentResults): string[] {
  const lines = [
    '## Detectors',
    '',
    "The runs' own detector events (shared/analysis/detectors.ts): a start on a plateau (the loss did not move over the run's first batches; one judged on a resumed session's first batches is not counted) and a wrong step (a jump in the loss not recovered). Complete runs only.",
    '',
  ];
  lines.push(...table(['Group', ...DETECTOR_EVENTS.map((d) => DETECTOR_TITLES[d])], r.groups.map((g) => [g.key, ...DETECTOR_EVENTS.map((d) => hitList(g.detectors[d], g.counted.length))])));
  lines.push('');
  const details = r.groups.flatMap((g) => DETECTOR_EVENTS.flatMap((d) => g.detectors[d].map((h) => `- ${g.key}, seed ${h.seed} (run ${h.runId}): ${h.message}`)));
  if (details.length) lines.push(...details, '');
  return lines;
}

function bnHealthLines(r: ExperimentResults): string[] {
  if (r.groups.every((g) => g.bnHealth === null)) return [];
  const lines = [
    '## BN health',
    '',
    "At each complete run's last measured epoch, the largest figure over the design's BN sites (shared/analysis/bnHealth.ts), then mean ± std over the runs: the train/inference gap (near 0: validation sees the net that was trained), the mean drift (in stds) and the variance drift (|ln ratio|) between the moving and the batch statistics.",
    '',
  ];
  lines.push(
    ...table(
      ['Group', 'Runs measured', 'Largest gap', 'Largest mean drift', 'Largest variance drift'],
      r.groups.map((g) => {
        const h = g.bnHealth;
        return h ? [g.key, `${h.runs} of ${g.counted.length}`, meanStd(h.gap), meanStd(h.meanShift), meanStd(h.varLogRatio)] : [g.key, `0 of ${g.counted.length}`, '—', '—', '—'];
      }),
    ),
  );
  lines.push('');
  return lines;
}

function initLines(r: ExperimentResults): string[] {
  const lines = [
    '## Initialisation analysis beside the outcome',
    '',
    "The note's analytical model of each group's design as it trains (its initializer and BN placement applied): the std of every summand s_i of the sum at the head's input. " +
      's0 share: s0² / Σ s_i²; largest: the summand with the largest share; effective summands: (Σ s_i²)² / Σ s_i⁴ (1 when one summand carries everything, n when all are equal).',
    '',
  ];
  const score = (g: GroupResult) => meanStd(g.metrics.find((m) => m.metric === 'bestScore')?.stats ?? null);
  lines.push(
    ...table(
      ['Group', 'Summands', 's0 share', 'Largest (index: share)', 'Effective summands', 'best val score'],
      r.groups.map((g) =>
        g.init
          ? [g.key, String(g.init.summands.length), num(g.init.s0Share), `s${g.init.largestIndex}: ${num(g.init.largestShare)}`, num(g.init.effectiveSummands), score(g)]
          : [g.key, `— (${g.initProblem ?? 'not analysed'})`, '—', '—', '—', score(g)],
      ),
    ),
  );
  lines.push('');
  return lines;
}

function runLines(input: ReportInput): string[] {
  const lines = ['## Runs', ''];
  const rows: string[][] = [];
  for (const g of input.results.groups) {
    for (const run of g.runs) {
      const x = run.record;
      rows.push([g.key, String(x.experiment?.seed ?? x.seed), x.id, diverged(x) ? 'diverged' : x.status, String(x.epochsDone), num(x.best?.score), run.complete ? 'yes' : 'no'] as string[]);
    }
  }
  for (const m of input.missing) rows.push([m.group, String(m.seed), '—', 'not made yet', '0', '—', 'no']);
  lines.push(...table(['Group', 'Seed', 'Run', 'Status', 'Epochs', 'best val score', 'Counted'], rows));
  lines.push('');
  return lines;
}

/** The claim as the report states it, or why it cannot. */
function claimText(e: Experiment | null, source: PlanSource | undefined): string {
  if (e) return e.claim ? e.claim : 'None: the experiment file states no claim.';
  const why = source?.kind === 'tags' && source.problem ? `; ${source.problem}` : ', and no copy of the file is stored with them (runs queued before Strata kept one, or made by hand)';
  return `Not known: the runs do not store the experiment file's claim${why}. Give the file to \`strata experiment report\` to include it.`;
}

/** The report's Markdown. */
export function reportMarkdown(input: ReportInput): string {
  const e = input.experiment;
  const lines: string[] = [`# Experiment ${input.name}, version ${input.version}`, ''];
  lines.push(`**Claim.** ${claimText(e, input.source)}`);
  lines.push('');
  if (input.source?.kind === 'copy') lines.push(`*From the copy of the experiment file stored with its runs (${input.source.path}; the file was ${input.source.file}).*`, '');
  if (e?.description) lines.push(e.description, '');
  if (input.versions.length > 1) lines.push(`The store also has runs of version${input.versions.length > 2 ? 's' : ''} ${input.versions.filter((v) => v !== input.version).join(', ')}; they are not part of this report.`, '');
  lines.push(...scaleLines(input), ...finalLines(input.results), ...divergedLines(input.results), ...comparisonLines(input.results), ...detectorLines(input.results), ...bnHealthLines(input.results), ...initLines(input.results));
  if (input.figures.length) {
    lines.push('## Figures', '');
    for (const f of input.figures) lines.push(`![${f.caption}](${f.file})`, '', `*${f.caption}*`, '');
  }
  lines.push(...runLines(input));
  lines.push(`Written by \`${input.command}\` from the stored runs; no number in it was written by hand.`, '');
  return lines.join('\n');
}
