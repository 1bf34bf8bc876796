/**
 * A report's digest: the figures of an experiment's report that the summary page of every claim
 * (`strata experiment summary`) is made from, written beside the report as NAME.digest.json by
 * `strata experiment report`. Run stores are local, so the summary reads the committed digests, not
 * the runs: every number on it still comes from the runs, through the report that was made from them.
 */
import type { Interval } from '../metrics/groupComparison';
import type { VerdictKind } from '../metrics/groupComparison';
import type { Stats } from '../metrics/seedGroups';
import type { ExperimentResults, ResultMetric } from './results';
import type { Experiment } from './schema';

export const DIGEST_FORMAT = 'strata-experiment-digest';
export const DIGEST_VERSION = 1;

/** The metrics a digest keeps per group, and compares. */
export const DIGEST_METRICS = ['testScore', 'bestScore'] as const satisfies readonly ResultMetric[];
type DigestMetric = (typeof DIGEST_METRICS)[number];

/** One group of the report, as the summary gives it. */
export interface DigestGroup {
  key: string;
  /** Runs counted (complete ones, diverged included) and stored. */
  counted: number;
  stored: number;
  diverged: number;
  metrics: Record<DigestMetric, Stats | null>;
  /** The initialisation analysis (claim 7): s0's variance share and the effective number of summands; null where the design could not be analysed. */
  init: { s0Share: number; effectiveSummands: number } | null;
  /** Plateau events at the start, over the counted runs. */
  plateaus: number;
}

/** One comparison of the report with its verdict. */
export interface DigestComparison {
  metric: DigestMetric;
  group: string;
  baseline: string;
  difference: number;
  /** Welch's interval of the difference; null below 2 values a group. */
  welch: Interval | null;
  verdict: { kind: VerdictKind; text: string };
}

export interface ReportDigest {
  format: typeof DIGEST_FORMAT;
  version: typeof DIGEST_VERSION;
  name: string;
  experimentVersion: number;
  claim: string | null;
  description: string | null;
  /** The report's file name, beside the digest. */
  report: string;
  /** The command that writes the report and this digest again. */
  command: string;
  seeds: number[];
  /** Planned runs with no run in the store when the report was made. */
  missing: number;
  groups: DigestGroup[];
  comparisons: DigestComparison[];
}

/** What a report was made of, as the digest needs it. */
export interface DigestInput {
  name: string;
  version: number;
  experiment: Experiment | null;
  missing: readonly unknown[];
  results: ExperimentResults;
  report: string;
  command: string;
}

/** The digest of a report (plain JSON: no NaN, no undefined). */
export function reportDigest(d: DigestInput): ReportDigest {
  const seeds = new Set<number>();
  const groups = d.results.groups.map((g): DigestGroup => {
    for (const r of g.runs) if (r.record.experiment) seeds.add(r.record.experiment.seed);
    const metric = (m: DigestMetric) => g.metrics.find((x) => x.metric === m)?.stats ?? null;
    return {
      key: g.key,
      counted: g.counted.length,
      stored: g.runs.length,
      diverged: g.diverged.length,
      metrics: { testScore: metric('testScore'), bestScore: metric('bestScore') },
      init: g.init ? { s0Share: g.init.s0Share, effectiveSummands: g.init.effectiveSummands } : null,
      plateaus: g.detectors.plateau.length,
    };
  });
  const comparisons = d.results.comparisons.flatMap((c): DigestComparison[] => {
    const metric = DIGEST_METRICS.find((m) => m === c.metric);
    if (metric === undefined) return [];
    const w = c.comparison.welch;
    return [{ metric, group: c.group, baseline: c.baseline, difference: c.comparison.difference, welch: w ? { low: w.low, high: w.high, level: w.level } : null, verdict: { kind: c.comparison.verdict.kind, text: c.comparison.verdict.text } }];
  });
  return {
    format: DIGEST_FORMAT,
    version: DIGEST_VERSION,
    name: d.name,
    experimentVersion: d.version,
    claim: d.experiment?.claim ?? null,
    description: d.experiment?.description ?? null,
    report: d.report,
    command: d.command,
    seeds: d.experiment ? [...d.experiment.seeds] : [...seeds].sort((a, b) => a - b),
    missing: d.missing.length,
    groups,
    comparisons,
  };
}

/** Why `v` is not a digest this Strata reads, or null. */
export function digestProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return 'not a JSON object';
  const o = v as Partial<ReportDigest>;
  if (o.format !== DIGEST_FORMAT) return `its format is not '${DIGEST_FORMAT}'`;
  if (o.version !== DIGEST_VERSION) return `its version ${String(o.version)} is not ${DIGEST_VERSION} (written by another Strata)`;
  if (typeof o.name !== 'string' || !Array.isArray(o.groups) || !Array.isArray(o.comparisons)) return 'it has no name, groups or comparisons';
  return null;
}

/** One experiment on the summary page: its file's claim, and its report's digest if there is one. */
export interface SummaryEntry {
  /** The experiment file, relative to the summary page. */
  file: string;
  experiment: Pick<Experiment, 'name' | 'version' | 'claim' | 'description' | 'seeds'>;
  /** Runs it plans. */
  planned: number;
  /** The digest of its report, relative link to the report; null when not reported yet, or reported at another version (`stale`). */
  digest: ReportDigest | null;
  reportLink: string | null;
  stale: { reportedVersion: number } | null;
}

const f3 = (x: number) => x.toFixed(3);
const stat = (s: Stats | null) => (s === null ? '-' : `${f3(s.mean)} ± ${f3(s.std)} (n=${s.n})`);
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/** The summary page: per experiment, the claim, what Strata measured and the verdicts, from the digests alone. */
export function summaryMarkdown(entries: readonly SummaryEntry[], command: string): string {
  const lines: string[] = [
    '# The note\'s claims, measured',
    '',
    `Written by \`${command}\` from the digests that \`strata experiment report\` writes beside each report; no number on this page is written by hand. ` +
      'Each claim is tested at a scaled analogue (see [scale.md](scale.md)): the verdicts hold at that scale, for those seeds and that budget, not for the note\'s nets. ' +
      'The verdict of a comparison is read off Welch\'s 95% interval of the difference of the means; with fewer than 3 seeds a group gives none.',
    '',
    '| Experiment | The note\'s claim | Status |',
    '| --- | --- | --- |',
  ];
  for (const e of entries) {
    const status = e.digest ? `reported: [${e.digest.report}](${e.reportLink ?? e.digest.report})` : e.stale ? `reported at version ${e.stale.reportedVersion}, file is version ${e.experiment.version}: not yet run again` : `not run yet (${e.planned} runs planned)`;
    lines.push(`| [${e.experiment.name}](${e.file}) v${e.experiment.version} | ${cell(e.experiment.claim ?? '(no claim in the file)')} | ${status} |`);
  }
  for (const e of entries) {
    lines.push('', `## ${e.experiment.name} (version ${e.experiment.version})`, '', `**The note's claim.** ${e.experiment.claim ?? '(no claim in the file)'}`, '', `**Scale.** ${e.experiment.description ?? ''}`, '');
    const d = e.digest;
    if (!d) {
      lines.push(e.stale ? `**Measured.** Nothing at this version: the report beside it is of version ${e.stale.reportedVersion}.` : `**Measured.** Not yet: \`strata experiment run ${e.file}\` trains its ${e.planned} runs, then \`strata experiment report\` and this page's command.`);
      continue;
    }
    const counted = d.groups.reduce((n, g) => n + g.counted, 0);
    lines.push(`**Measured** (${counted} runs counted${d.missing ? `, ${d.missing} planned runs not made` : ''}; the report: [${d.report}](${e.reportLink ?? d.report})):`, '');
    lines.push('| Group | test score | best val score | runs (diverged) | plateaus at the start | s0 share at init | effective summands |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const g of d.groups) {
      lines.push(`| ${cell(g.key)} | ${stat(g.metrics.testScore)} | ${stat(g.metrics.bestScore)} | ${g.counted} (${g.diverged}) | ${g.plateaus} | ${g.init ? f3(g.init.s0Share) : '-'} | ${g.init ? g.init.effectiveSummands.toFixed(1) : '-'} |`);
    }
    lines.push('', '**Verdicts** (each group against the first):', '');
    if (d.comparisons.length === 0) lines.push('- none: the report compares nothing on these metrics.');
    for (const c of d.comparisons) {
      const ci = c.welch ? `, 95% interval ${f3(c.welch.low)} to ${f3(c.welch.high)}` : '';
      lines.push(`- ${c.metric === 'testScore' ? 'test score' : 'best val score'}: ${cell(c.group)} - ${cell(c.baseline)} = ${f3(c.difference)}${ci}: **${c.verdict.text}**`);
    }
  }
  lines.push('');
  return lines.join('\n');
}
