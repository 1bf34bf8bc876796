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
  const reportsDir = path.resolve(v.reports ?? path.join(dir, 'reports'));
  const out = path.resolve(v.out ?? path.join(dir, 'summary.md'));
  const outDir = path.dirname(out);
  const rel = (p: string) => path.relative(outDir, p).split(path.sep).join('/');

  const entries: SummaryEntry[] = [];
  const problems: string[] = [];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const file = path.join(dir, name);
    const raw = readJson(file);
    if (!isExperimentJson(raw)) continue;
    const check = planExperiment(raw);
    if (!check.ok) {
      problems.push(`${file}: ${check.problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ')}`);
      continue;
    }
    const e = check.plan.experiment;
    const digestFile = path.join(reportsDir, `${e.name}.digest.json`);
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
      reportLink: digest ? rel(path.join(reportsDir, digest.report)) : null,
      stale,
    });
  }
  if (problems.length) throw new CliError(`experiment summary: ${problems.length} experiment file${problems.length === 1 ? ' has' : 's have'} problems:\n${problems.join('\n')}`);
  if (entries.length === 0) throw new CliError(`experiment summary: no experiment files (format '${EXPERIMENT_FORMAT}') in ${dir}`);
  const command = ['strata experiment summary', target, ...(v.reports === undefined ? [] : ['--reports', v.reports]), ...(v.out === undefined ? [] : ['--out', v.out])].join(' ');
  writeFileAtomic(out, summaryMarkdown(entries, command));
  const reported = entries.filter((e) => e.digest).length;
  if (v.json) printJson({ summary: out, experiments: entries.map((e) => ({ name: e.experiment.name, version: e.experiment.version, reported: e.digest !== null, stale: e.stale })) });
  else process.stdout.write(`experiment summary: ${reported} of ${entries.length} experiments reported; wrote ${out}\n`);
  return 0;
}
