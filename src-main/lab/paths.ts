/** Where the lab keeps its data unless told otherwise: Strata's home (src-main/runs/home.ts). */
import path from 'node:path';
import type { HomeContext } from '../runs/home';
import { ensureFolder, strataHome } from '../runs/home';

/** The lab's folders: `dataDir` holds datasets.json and designs/; `runsDir` is the run store (the queue included). */
export interface LabDirs {
  dataDir: string;
  runsDir: string;
}

/**
 * `dataDir`: the option, else Strata's home ($STRATA_HOME, else the platform's app-data folder
 * `.../Strata`). `runsDir`: the option, else $STRATA_RUNS_DIR, else `runs` in the data folder (with
 * neither option that is `<home>/runs`, the same default as `strata train`). Options and relative
 * variables resolve against the working folder. Pure: creates nothing (see {@link ensureLabDirs}).
 * The desktop app, `npm run lab` and the CLI all take their defaults from here.
 */
export function resolveLabDirs(
  opts: { dataDir?: string; runsDir?: string },
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
  system: Pick<HomeContext, 'platform' | 'homedir'> = {},
): LabDirs {
  const context: HomeContext = { ...system, env, cwd };
  const p = (system.platform ?? process.platform) === 'win32' ? path.win32 : path.posix;
  const dataDir = opts.dataDir === undefined ? strataHome(context) : p.resolve(cwd, opts.dataDir);
  const runsDir = p.resolve(cwd, opts.runsDir ?? (env['STRATA_RUNS_DIR'] || p.join(dataDir, 'runs')));
  return { dataDir, runsDir };
}

/**
 * Creates both folders when missing. Throws a FolderError naming the folder that cannot be created
 * or written and why, e.g. "cannot create the runs folder /x/y: permission denied (set ...)".
 */
export function ensureLabDirs(dirs: LabDirs): LabDirs {
  ensureFolder(dirs.dataDir, 'data folder');
  ensureFolder(dirs.runsDir, 'runs folder');
  return dirs;
}
