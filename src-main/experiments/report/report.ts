/**
 * `strata experiment report`: an experiment's stored runs made into a Markdown report with its
 * figures (DIR/NAME.md and DIR/NAME-*.svg). The runs are found by their experiment tag: through the
 * experiment file's plan when the file is given (its claim and description then head the report),
 * else through the tags alone (the newest version, or the one asked for).
 */
import fs from 'node:fs';
import path from 'node:path';
import { LIGHT_COLORS } from '../../../shared/charts/colors';
import { intervalBarOption } from '../../../shared/charts/intervalBarOption';
import { lineChartOption } from '../../../shared/charts/lineChartOption';
import { summandChartOption } from '../../../shared/charts/summandChartOption';
import type { Experiment } from '../../../shared/experiments';
import { CURVE_METRICS, curveChart, experimentResults, finalBarChart, summandChart, type ExperimentResults, type ResultGroupInput, type ResultRun } from '../../../shared/experiments/results';
import { writeFileAtomic } from '../../runs/atomic';
import type { RunStore } from '../../runs/store';
import type { LoadedExperiment } from '../load';
import { experimentRuns, storedVersions } from '../runs';
import { reportMarkdown, type ReportFigure } from './markdown';
import { renderSvg } from './svg';

/** No report can be written: no runs, or no such version. */
export class ReportError extends Error {
  override readonly name = 'ReportError';
}

/** An experiment's runs as the report reads them. */
export interface ReportRuns {
  name: string;
  version: number;
  /** Every version with runs in the store, newest first. */
  versions: number[];
  experiment: Experiment | null;
  groups: ResultGroupInput[];
  missing: { group: string; seed: number }[];
}

function resultRun(store: RunStore, id: string, complete: boolean): ResultRun {
  return { record: store.get(id), epochs: store.epochMetrics(id), events: store.events(id), complete };
}

/**
 * The runs of the experiment planned by `loaded` (its name and version), in the plan's order of
 * groups and seeds; runs of another fingerprint are not the plan's and are left out.
 */
export function runsOfPlan(store: RunStore, loaded: LoadedExperiment): ReportRuns {
  const e = loaded.plan.experiment;
  const versions = storedVersions(store, e.name).map((v) => v.version);
  const groups: ResultGroupInput[] = [];
  const missing: { group: string; seed: number }[] = [];
  for (const g of experimentRuns(store, loaded.plan)) {
    const runs: ResultRun[] = [];
    for (const s of g.runs) {
      if (s.run) runs.push(resultRun(store, s.run.id, s.complete));
      else missing.push({ group: g.group.key, seed: s.seed });
    }
    groups.push({ key: g.group.key, runs });
  }
  if (groups.every((g) => g.runs.length === 0)) {
    throw new ReportError(`experiment ${e.name} version ${e.version} has no runs in this store${versions.length ? ` (it has runs of version ${versions.join(', ')})` : ''}; run it with strata experiment run ${loaded.file}`);
  }
  return { name: e.name, version: e.version, versions, experiment: e, groups, missing };
}

/** The runs of experiment `name` found by their tags: version `version`, or the newest with runs. */
export function runsOfName(store: RunStore, name: string, version?: number): ReportRuns {
  const stored = storedVersions(store, name);
  if (stored.length === 0) throw new ReportError(`no runs of experiment ${name} in this store`);
  const versions = stored.map((v) => v.version);
  const chosen = version === undefined ? stored[0] : stored.find((v) => v.version === version);
  if (!chosen) throw new ReportError(`experiment ${name} has no runs of version ${version} in this store (it has version ${versions.join(', ')})`);
  const groups = chosen.groups.map((g) => {
    if (g.fingerprints.length > 1) throw new ReportError(`experiment ${name} version ${chosen.version}: group ${g.key} has runs planned from different files (${g.fingerprints.length} fingerprints); give the experiment file to report the runs of its plan`);
    return { key: g.key, runs: g.runs.map((r) => resultRun(store, r.run.id, r.complete)) };
  });
  return { name, version: chosen.version, versions, experiment: null, groups, missing: [] };
}

/** Where a report is written, and how. */
export interface ReportOptions {
  outDir: string;
  /** The command line that writes it again, quoted in the report. */
  command: string;
}

/** What was written. */
export interface WrittenReport {
  markdown: string;
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
  for (const metric of ['bestScore', 'testScore'] as const) {
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

/** Writes the report of `runs` into `opts.outDir` (created if missing): NAME.md and its NAME-*.svg figures. */
export function writeReport(runs: ReportRuns, opts: ReportOptions): WrittenReport {
  const results = experimentResults(runs.groups);
  const figs = figures(runs.name, results);
  const markdown = reportMarkdown({
    name: runs.name,
    version: runs.version,
    versions: runs.versions,
    experiment: runs.experiment,
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
  return { markdown: md, figures: written, results };
}
