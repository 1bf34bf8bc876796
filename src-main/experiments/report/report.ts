/**
 * `strata experiment report`: an experiment's stored runs made into a Markdown report with its
 * figures (DIR/NAME.md and DIR/NAME-*.svg). The runs are found by their experiment tag
 * (../storedRuns.ts): through the experiment file's plan when the file is given, else through the
 * copy of the file stored with the runs, or the tags alone without one (the newest version, or the
 * one asked for). The file's claim and description head the report.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LIGHT_COLORS } from '../../../shared/charts/colors';
import { intervalBarOption } from '../../../shared/charts/intervalBarOption';
import { lineChartOption } from '../../../shared/charts/lineChartOption';
import { summandChartOption } from '../../../shared/charts/summandChartOption';
import { reportDigest } from '../../../shared/experiments/digest';
import { CURVE_METRICS, curveChart, experimentResults, finalBarChart, summandChart, type ExperimentResults } from '../../../shared/experiments/results';
import { writeFileAtomic } from '../../runs/atomic';
import type { ReportRuns } from '../storedRuns';
import { reportMarkdown, type ReportFigure } from './markdown';
import { renderSvg } from './svg';

export { ReportError, runsOfName, runsOfPlan, type ReportRuns } from '../storedRuns';

/** Where a report is written, and how. */
export interface ReportOptions {
  outDir: string;
  /** The command line that writes it again, quoted in the report. */
  command: string;
}

/** What was written. */
export interface WrittenReport {
  markdown: string;
  /** NAME.digest.json: what `strata experiment summary` reads (shared/experiments/digest.ts). */
  digest: string;
  figures: string[];
  results: ExperimentResults;
}

/** The report's figures: file name (under the output folder) and SVG. */
function figures(name: string, r: ExperimentResults): { figure: ReportFigure; svg: string }[] {
  const out: { figure: ReportFigure; svg: string }[] = [];
  for (const metric of CURVE_METRICS) {
    const model = curveChart(r, metric);
    if (model.lines.every((l) => l.points.length === 0)) continue;
    out.push({ figure: { file: `${name}-${model.id}.svg`, caption: model.title }, svg: renderSvg(lineChartOption(model, LIGHT_COLORS, { interactive: false })) });
  }
  // The outcome, and claim 4's checkerboard and claim 6's time per epoch (each drawn only where runs have it).
  for (const metric of ['bestScore', 'testScore', 'valNyquistAmplitude', 'secondsPerEpoch'] as const) {
    const bars = finalBarChart(r, metric);
    if (bars.bars.length === 0) continue;
    out.push({ figure: { file: `${name}-${bars.id}.svg`, caption: bars.title }, svg: renderSvg(intervalBarOption(bars, LIGHT_COLORS, { interactive: false })) });
  }
  const summands = summandChart(r);
  if (summands.series.length) {
    out.push({
      figure: { file: `${name}-summands.svg`, caption: "s_i against depth: each summand's std at the head's input, by its index (log scale), one line per group; dotted lines mark the levels" },
      svg: renderSvg(summandChartOption(summands, LIGHT_COLORS, { log: true, showOrigin: false, interactive: false })),
    });
  }
  return out;
}

/** Writes the report of `runs` into `opts.outDir` (created if missing): NAME.md, its NAME-*.svg figures and NAME.digest.json. */
export function writeReport(runs: ReportRuns, opts: ReportOptions): WrittenReport {
  const results = experimentResults(runs.groups);
  const figs = figures(runs.name, results);
  const markdown = reportMarkdown({
    name: runs.name,
    version: runs.version,
    versions: runs.versions,
    experiment: runs.experiment,
    source: runs.source,
    results,
    missing: runs.missing,
    figures: figs.map((f) => f.figure),
    command: opts.command,
  });
  fs.mkdirSync(opts.outDir, { recursive: true });
  const written: string[] = [];
  for (const f of figs) {
    const file = path.join(opts.outDir, f.figure.file);
    writeFileAtomic(file, f.svg);
    written.push(file);
  }
  const md = path.join(opts.outDir, `${runs.name}.md`);
  writeFileAtomic(md, markdown);
  const digest = path.join(opts.outDir, `${runs.name}.digest.json`);
  const d = reportDigest({ name: runs.name, version: runs.version, experiment: runs.experiment, missing: runs.missing, results, report: `${runs.name}.md`, command: opts.command });
  writeFileAtomic(digest, `${JSON.stringify(d, null, 2)}\n`);
  return { markdown: md, digest, figures: written, results };
}
