import fs from 'node:fs';
import path from 'node:path';
import { digestProblem, summaryMarkdown, type ReportDigest, type SummaryEntry } from '../../../shared/experiments/digest';
import { planExperiment } from '../../../shared/experiments/expand';
import { EXPERIMENT_FORMAT } from '../../../shared/experiments/schema';
import { writeFileAtomic } from '../../runs/atomic';
import { CliError, parseCommandArgs, printJson } from '../args';

const OPTIONS = {
  reports: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Whether a parsed JSON file is an experiment file (its format says so). */
function isExperimentJson(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as { format?: unknown }).format === EXPERIMENT_FORMAT;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    throw new CliError(`experiment summary: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Where a summary page is made from and written to. */
export interface SummaryPaths {
  /** The folder of experiment files. */
  dir: string;
  /** The folder of reports and their digests. */
  reportsDir: string;
  /** The page. */
  out: string;
  /** The command line quoted on the page. */
  command: string;
}

/**
 * The summary page of every experiment file in `dir` (its Markdown and entries), from the digests in
 * `reportsDir`; links are relative to the page's folder. Throws CliError for a bad file or digest.
 */
export function buildSummary(p: SummaryPaths): { markdown: string; entries: SummaryEntry[] } {
  const outDir = path.dirname(p.out);
  const rel = (f: string) => path.relative(outDir, f).split(path.sep).join('/');
  const entries: SummaryEntry[] = [];
  const problems: string[] = [];
  for (const name of fs.readdirSync(p.dir).filter((n) => n.endsWith('.json')).sort()) {
    const file = path.join(p.dir, name);
    const raw = readJson(file);
    if (!isExperimentJson(raw)) continue;
    const check = planExperiment(raw);
    if (!check.ok) {
      problems.push(`${file}: ${check.problems.map((q) => (q.path ? `${q.path}: ${q.message}` : q.message)).join('; ')}`);
      continue;
    }
    const e = check.plan.experiment;
    const digestFile = path.join(p.reportsDir, `${e.name}.digest.json`);
    let digest: ReportDigest | null = null;
    let stale: SummaryEntry['stale'] = null;
    if (fs.existsSync(digestFile)) {
      const d = readJson(digestFile);
      const bad = digestProblem(d);
      if (bad) throw new CliError(`experiment summary: ${digestFile} is not a report digest: ${bad}`);
      const ok = d as ReportDigest;
      if (ok.experimentVersion === e.version) digest = ok;
      else stale = { reportedVersion: ok.experimentVersion };
    }
    entries.push({
      file: rel(file),
      experiment: { name: e.name, version: e.version, claim: e.claim, description: e.description, seeds: e.seeds },
      planned: check.plan.runs.length,
      digest,
      reportLink: digest ? rel(path.join(p.reportsDir, digest.report)) : null,
      stale,
    });
  }
  if (problems.length) throw new CliError(`experiment summary: ${problems.length} experiment file${problems.length === 1 ? ' has' : 's have'} problems:\n${problems.join('\n')}`);
  if (entries.length === 0) throw new CliError(`experiment summary: no experiment files (format '${EXPERIMENT_FORMAT}') in ${p.dir}`);
  return { markdown: summaryMarkdown(entries, p.command), entries };
}

/**
 * `experiment summary DIR [--reports DIR] [--out FILE] [--json]`: the summary page of every
 * experiment file in DIR (claim, what Strata measured, the verdicts), from the digests that
 * `experiment report` wrote into the reports folder (default DIR/reports); written to DIR/summary.md
 * unless --out. An experiment without a digest of its version is listed as not run yet.
 */
export function experimentSummaryCommand(argv: string[]): number {
  const { values: v, positionals } = parseCommandArgs('experiment summary', argv, OPTIONS);
  const [target, extra] = positionals;
  if (extra !== undefined) throw new CliError(`experiment summary: unexpected argument '${extra}'`);
  if (!target) throw new CliError('experiment summary: the folder of experiment files is required');
  const dir = path.resolve(target);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new CliError(`experiment summary: ${dir} is not a folder`);
  const out = path.resolve(v.out ?? path.join(dir, 'summary.md'));
  const command = ['strata experiment summary', target, ...(v.reports === undefined ? [] : ['--reports', v.reports]), ...(v.out === undefined ? [] : ['--out', v.out])].join(' ');
  const { markdown, entries } = buildSummary({ dir, reportsDir: path.resolve(v.reports ?? path.join(dir, 'reports')), out, command });
  writeFileAtomic(out, markdown);
  const reported = entries.filter((e) => e.digest).length;
  if (v.json) printJson({ summary: out, experiments: entries.map((e) => ({ name: e.experiment.name, version: e.experiment.version, reported: e.digest !== null, stale: e.stale })) });
  else process.stdout.write(`experiment summary: ${reported} of ${entries.length} experiments reported; wrote ${out}\n`);
  return 0;
}
