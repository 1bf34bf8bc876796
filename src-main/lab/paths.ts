/** Where the lab keeps its data unless told otherwise. */
import path from 'node:path';

/** The lab's folders: `dataDir` holds datasets.json, designs/ and the queue; `runsDir` is the run store. */
export interface LabDirs {
  dataDir: string;
  runsDir: string;
}

/**
 * `dataDir`: the option, else $STRATA_HOME, else `.strata` under `cwd`. `runsDir`: the option, else
 * $STRATA_RUNS_DIR, else `runs` inside the home (the same default as `strata train`).
 */
export function resolveLabDirs(opts: { dataDir?: string; runsDir?: string }, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): LabDirs {
  // An empty variable counts as unset: resolving '' would put the lab's files in the working folder.
  const home = path.resolve(cwd, env['STRATA_HOME'] || '.strata');
  const dataDir = path.resolve(cwd, opts.dataDir ?? home);
  const runsDir = path.resolve(cwd, opts.runsDir ?? (env['STRATA_RUNS_DIR'] || path.join(dataDir, 'runs')));
  return { dataDir, runsDir };
}
