/**
 * `strata`: the command line. Each subcommand lives in commands/. With `--json`, stdout carries
 * exactly one JSON object; progress and logs go to stderr. Bad arguments or input exit with 2.
 */
import fs from 'node:fs';
import { RunStoreOpenError } from '../runs/errors';
import { asksForHelp, CliError, HelpRequest } from './args';
import { analyzeCommand } from './commands/analyze';
import { runsCommand } from './commands/runs';
import { evalCommand } from './commands/eval';
import { experimentCommand } from './commands/experiment';
import { exportCommand } from './commands/export';
import { predictCommand } from './commands/predict';
import { scoreCommand } from './commands/score';
import { summaryCommand } from './commands/summary';
import { trainCommand } from './commands/train';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  summary: { run: summaryCommand, help: 'summary --arch <preset|file.json> [--batch N] [--json]' },
  train: { run: trainCommand, help: 'train --data <dir|demo> [--arch A] [options] [--json]' },
  eval: { run: evalCommand, help: 'eval --run ID --data DIR [--postprocess run|none] [--threshold T] [--out masks.csv] [--per-image] [--json]' },
  predict: { run: predictCommand, help: 'predict --run ID --images DIR --out submission.csv [--postprocess run|none] [--threshold T] [--json]' },
  export: { run: exportCommand, help: 'export --run ID --format onnx|tfjs|keras --out PATH [--checkpoint best|last|before-jump] [--force] [--json]' },
  score: { run: scoreCommand, help: 'score --truth <train.csv|masks dir> --pred submission.csv [--lenient] [--json]' },
  analyze: { run: analyzeCommand, help: 'analyze --arch A [--init I] [--bn P] [--input-channels C] [--fan note|taps] [--relu second-moment|centred] [--empirical --data DIR [--images N] [--seed S]] [--json]' },
  runs: { run: runsCommand, help: 'runs list|show ID|resume ID|finalize ID|delete ID [--runs-dir DIR] [--json]' },
  experiment: { run: experimentCommand, help: 'experiment run FILE [--dry-run] | status FILE|NAME | report NAME|FILE [--version N] [--out DIR] [--runs-dir DIR] [--json] | summary DIR [--reports DIR] [--out FILE]' },
};

function usage(): string {
  return `usage: strata <command> [options]\n\n${Object.values(COMMANDS)
    .map((c) => `  strata ${c.help}`)
    .join('\n')}\n\nSee README.md for every option.`;
}

/** The version of package.json, two folders up from this file (src-main/cli). */
function version(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/** A command's help: its usage line, the options its parser takes (when it got that far), and where the rest is. */
function commandHelp(name: string, request?: HelpRequest): string {
  const line = COMMANDS[name]?.help ?? name;
  const options = request ? `\n\noptions of ${request.command}:\n${request.optionLines().join('\n')}` : '';
  return `usage: strata ${line}${options}\n\nSee README.md ("The command line") for what each option does.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`strata ${version()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new CliError(`unknown command '${name}'\n\n${usage()}`);
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof HelpRequest) {
      process.stdout.write(`${commandHelp(name, err)}\n`);
      return 0;
    }
    // A command that refuses its arguments before parsing them (e.g. a missing subcommand) still answers --help.
    if (asksForHelp(rest)) {
      process.stdout.write(`${commandHelp(name)}\n`);
      return 0;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`strata: ${err.message}\n`);
      process.exitCode = err.exitCode;
    } else if (err instanceof RunStoreOpenError) {
      // A runs folder this Strata cannot read (not an index, a newer one, no WAL): say which and what to do.
      process.stderr.write(`strata: ${err.message}.\nNothing in it was changed. Open it with a Strata that reads it, or point --runs-dir (or STRATA_RUNS_DIR) at another runs folder.\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`strata: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
