import path from 'node:path';
import { EXPERIMENT_NAME_PATTERN } from '../../../shared/runs/request';
import { ExperimentFileError, isFileArg, loadExperiment } from '../../experiments/load';
import { ReportError, runsOfName, runsOfPlan, writeReport, type ReportRuns } from '../../experiments/report/report';
import { RunStore } from '../../runs/store';
import { CliError, numberArg, parseCommandArgs, printJson } from '../args';
import { runsDirArg } from '../runsDir';

const OPTIONS = {
  'runs-dir': { type: 'string' },
  out: { type: 'string' },
  version: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/**
 * `experiment report NAME|FILE [--version N] [--out DIR] [--runs-dir DIR] [--json]`: writes DIR/NAME.md
 * and its figures DIR/NAME-*.svg (DIR defaults to the working folder) from the experiment's stored
 * runs. Given the file, the report covers its plan and opens with its claim; given the name, the
 * newest version with runs (or `--version`), through the copy of its file stored with the runs.
 */
export async function experimentReportCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('experiment report', argv, OPTIONS);
  const [target, extra] = positionals;
  if (extra !== undefined) throw new CliError(`experiment report: unexpected argument '${extra}'`);
  if (!target) throw new CliError('experiment report: an experiment name or file is required');
  const version = v.version === undefined ? undefined : numberArg('version', v.version, 1, { min: 1, integer: true });
  const file = isFileArg(target);
  if (file && version !== undefined) throw new CliError('experiment report: --version applies to an experiment name; a file reports its own version');
  if (!file && !EXPERIMENT_NAME_PATTERN.test(target)) throw new CliError(`experiment report: '${target}' is neither an experiment file nor an experiment name`);
  const loaded = file ? await loadFile(target) : null;
  const runsDir = runsDirArg(v['runs-dir']);
  const outDir = path.resolve(v.out ?? '.');
  const store = RunStore.open(runsDir);
  try {
    let runs: ReportRuns;
    try {
      runs = loaded ? runsOfPlan(store, loaded) : runsOfName(store, target, version);
    } catch (err) {
      if (err instanceof ReportError) throw new CliError(`experiment report: ${err.message}`);
      throw err;
    }
    const command = ['strata experiment report', target, ...(version === undefined ? [] : ['--version', String(version)]), ...(v.out === undefined ? [] : ['--out', v.out]), ...(v['runs-dir'] === undefined ? [] : ['--runs-dir', v['runs-dir']])].join(' ');
    const written = writeReport(runs, { outDir, command });
    const counted = written.results.groups.reduce((n, g) => n + g.counted.length, 0);
    const stored = written.results.groups.reduce((n, g) => n + g.runs.length, 0);
    if (v.json) {
      printJson({
        experiment: { name: runs.name, version: runs.version, file: loaded?.file ?? null },
        // Where the plan came from: the file given, the copy of it stored with the runs, or the runs' tags alone.
        source: runs.source,
        runsDir,
        markdown: written.markdown,
        digest: written.digest,
        figures: written.figures,
        groups: written.results.groups.map((g) => ({ key: g.key, runs: g.runs.length, counted: g.counted.length })),
        comparisons: written.results.comparisons.map((c) => ({ metric: c.metric, group: c.group, baseline: c.baseline, difference: c.comparison.difference, welch: c.comparison.welch, bootstrap: c.comparison.bootstrap, verdict: c.comparison.verdict })),
      });
    } else {
      process.stdout.write(`experiment ${runs.name} v${runs.version}: ${counted} of ${stored} runs counted; wrote ${written.markdown} and ${written.figures.length} figure${written.figures.length === 1 ? '' : 's'}\n`);
    }
    return 0;
  } finally {
    store.close();
  }
}

async function loadFile(file: string) {
  try {
    return await loadExperiment(file);
  } catch (err) {
    if (err instanceof ExperimentFileError) throw new CliError(err.message);
    throw err;
  }
}
