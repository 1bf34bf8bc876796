/**
 * An experiment report as Markdown: the claim, the scale it was tested at, each group's final
 * metrics, the comparisons with the first group and their verdicts, the detectors' events, the
 * initialisation analysis beside the outcome, the figures and the runs. Every number is read from
 * the results (shared/experiments/results.ts), which read them from the stored runs.
 */
import type { Experiment } from '../../../shared/experiments';
import {
  DETECTOR_EVENTS,
  RESULT_METRICS,
  groupDesign,
  type DetectorHit,
  type ExperimentResults,
  type GroupResult,
  type ResultMetric,
} from '../../../shared/experiments/results';
import { MIN_SEEDS_FOR_VERDICT, higherIsBetter, type Interval } from '../../../shared/metrics/groupComparison';
import type { Stats } from '../../../shared/metrics/seedGroups';
import { isOpenEnded } from '../../../shared/runs/request';
import type { RunRecord } from '../../../shared/runs/types';

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
  /** The experiment file's content, when the report was asked for with the file. */
  experiment: Experiment | null;
  results: ExperimentResults;
  /** Planned runs with no run in the store yet (known only with the file). */
  missing: { group: string; seed: number }[];
  figures: ReportFigure[];
  /** The command that writes this report again. */
  command: string;
}

/** Numbers in the report: 4 decimals, `—` for none; a value that rounds to zero is 0.0000 whatever its sign. */
export function num(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const s = v.toFixed(4);
  return s === '-0.0000' ? '0.0000' : s;
}

function signed(v: number): string {
  const n = num(v);
  return n.startsWith('-') ? n : `+${n}`;
}

/** `mean ± std` of a metric's statistics. */
export function meanStd(s: Stats | null): string {
  return s ? `${num(s.mean)} ± ${num(s.std)}` : '—';
}

function interval(i: Interval | null): string {
  return i ? `[${num(i.low)}, ${num(i.high)}]` : '—';
}

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

function firstRun(r: ExperimentResults): RunRecord | null {
  for (const g of r.groups) {
    const run = g.counted[0] ?? g.runs[0];
    if (run) return run.record;
  }
  return null;
}

/** The values of `f` over every stored run, each once, in order of first appearance. */
function distinct<T>(r: ExperimentResults, f: (run: RunRecord) => T): T[] {
  const out: T[] = [];
  for (const g of r.groups) for (const run of g.runs) if (!out.includes(f(run.record))) out.push(f(run.record));
  return out;
}

function scaleLines(input: ReportInput): string[] {
  const r = input.results;
  const e = input.experiment;
  const run = firstRun(r);
  const lines: string[] = ['## Scale', ''];
  if (!run) return [...lines, 'No runs.', ''];
  const datasets = distinct(r, (x) => `${x.dataset.name}: ${x.dataset.count} images${x.dataset.synthetic ? ' (synthetic)' : ''}, fingerprint ${x.dataset.fingerprint.slice(0, 12)}`);
  const splits = distinct(r, (x) => `${x.split.train.length} train / ${x.split.val.length} validation / ${x.split.test.length} test images`);
  const source = run.dataset.source;
  const subset = source.kind === 'folder' ? (source.subset === undefined ? 'the whole folder' : `the first ${source.subset} ids of the folder`) : `the demo set (${source.count} samples)`;
  lines.push(`- **Data**: ${datasets.join('; ')}; ${subset}.`);
  lines.push(`- **Split** (per run): ${splits.join('; ')}.`);
  const budgets = distinct(r, (x) => {
    const epochs = isOpenEnded(x.config.epochs) ? 'until the time budget' : `${x.config.epochs} epochs`;
    return `${epochs}${x.config.maxMinutes === undefined ? '' : `, at most ${x.config.maxMinutes} min of training`}, batch ${x.config.batch}`;
  });
  lines.push(`- **Budget** (per run): ${budgets.join('; ')}.`);
  const seeds = e ? e.seeds : distinct(r, (x) => x.experiment?.seed ?? x.seed).sort((a, b) => a - b);
  lines.push(`- **Seeds**: ${seeds.join(', ')} (${plural(seeds.length, 'seed')} per group${seeds.length < MIN_SEEDS_FOR_VERDICT ? `; fewer than ${MIN_SEEDS_FOR_VERDICT}, so no comparison gives a verdict` : ''}).`);
  const stored = r.groups.reduce((n, g) => n + g.runs.length, 0);
  const counted = r.groups.reduce((n, g) => n + g.counted.length, 0);
  const time = r.groups.reduce((n, g) => n + g.runs.reduce((m, x) => m + x.record.durationMs, 0), 0);
  lines.push(
    `- **Runs**: ${counted} complete of ${stored} stored${input.missing.length ? `, ${input.missing.length} planned not made yet` : ''}; only complete runs are counted. Training time ${minutes(time)} in all.`,
  );
  lines.push('');
  lines.push(
    ...table(
      ['Group', 'Design', 'Conv layers', 'Params', 'Init', 'BN', 'Loss', 'Counted runs', 'Epochs trained'],
      r.groups.map((g) => {
        const d = groupDesign(g);
        const c = (g.counted[0] ?? g.runs[0])?.record.config;
        const ep = g.epochs;
        return [
          g.key,
          d?.name ?? '—',
          d?.convLayers === null || d === null ? '—' : String(d.convLayers),
          d?.params === null || d === null ? '—' : String(d.params),
          c?.init ?? '—',
          c?.bnPlacement ?? '—',
          c?.loss.name ?? '—',
          `${g.counted.length} of ${g.runs.length}`,
          ep ? (ep.min === ep.max ? String(ep.min) : `${ep.min}–${ep.max}`) : '—',
        ];
      }),
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
      r.groups.map((g) => [g.key, String(g.counted.length), ...shown.map((m) => meanStd(g.metrics.find((x) => x.metric === m.key)?.stats ?? null))]),
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
  return lines;
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
      `fewer than ${MIN_SEEDS_FOR_VERDICT} complete runs in either group, too few seeds to tell. Scores and IoUs are better higher, losses lower.`,
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
    "The runs' own detector events (shared/analysis/detectors.ts): a start on a plateau (the loss did not move over the first batches) and a wrong step (a jump in the loss not recovered). Complete runs only.",
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
      rows.push([g.key, String(x.experiment?.seed ?? x.seed), x.id, x.status, String(x.epochsDone), num(x.best?.score), run.complete ? 'yes' : 'no'] as string[]);
    }
  }
  for (const m of input.missing) rows.push([m.group, String(m.seed), '—', 'not made yet', '0', '—', 'no']);
  lines.push(...table(['Group', 'Seed', 'Run', 'Status', 'Epochs', 'best val score', 'Counted'], rows));
  lines.push('');
  return lines;
}

/** The report's Markdown. */
export function reportMarkdown(input: ReportInput): string {
  const e = input.experiment;
  const lines: string[] = [`# Experiment ${input.name}, version ${input.version}`, ''];
  lines.push(e?.claim ? `**Claim.** ${e.claim}` : "**Claim.** Not known: the runs do not store the experiment file's claim; give the file to `strata experiment report` to include it.");
  lines.push('');
  if (e?.description) lines.push(e.description, '');
  if (input.versions.length > 1) lines.push(`The store also has runs of version${input.versions.length > 2 ? 's' : ''} ${input.versions.filter((v) => v !== input.version).join(', ')}; they are not part of this report.`, '');
  lines.push(...scaleLines(input), ...finalLines(input.results), ...comparisonLines(input.results), ...detectorLines(input.results), ...bnHealthLines(input.results), ...initLines(input.results));
  if (input.figures.length) {
    lines.push('## Figures', '');
    for (const f of input.figures) lines.push(`![${f.caption}](${f.file})`, '', `*${f.caption}*`, '');
  }
  lines.push(...runLines(input));
  lines.push(`Written by \`${input.command}\` from the stored runs; no number in it was written by hand.`, '');
  return lines.join('\n');
}
