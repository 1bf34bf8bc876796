/** Where the lab keeps its data unless told otherwise: Strata's home (src-main/runs/home.ts). */
import fs from 'node:fs';
import path from 'node:path';
import type { HomeContext } from '../runs/home';
import { ensureFolder, strataHome } from '../runs/home';
import { LabError } from './errors';

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

/**
 * `p` with its links followed as far as it exists (a path not there yet: its nearest existing
 * folder's real path, then the rest). The native realpath: it gives the name the file system holds,
 * where the JS one keeps the caller's letter case, so on a case-insensitive file system `.../DATA`
 * would not read as the data folder `.../data`.
 */
export function realPath(p: string): string {
  const abs = path.resolve(p);
  try {
    return fs.realpathSync.native(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(realPath(parent), path.basename(abs));
  }
}

/**
 * Whether `p` is `dir` or inside it (both absolute). A child named `..x` is inside: only `..` itself
 * or a `../` start leaves it, and a relative path that is absolute is on another root (a Windows drive).
 */
export function within(p: string, dir: string, paths: path.PlatformPath = path): boolean {
  const rel = paths.relative(dir, p);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${paths.sep}`) && !paths.isAbsolute(rel));
}

/**
 * Refuses a path the page names (a dataset folder, a folder to predict, a submission to write) that
 * leads, links followed, into the lab's own data or runs folder: those are the lab's to write, and
 * the page may name any other absolute folder. `what` names the path in the message.
 */
export function refuseLabFolder(p: string, dirs: LabDirs, what: string): void {
  const real = realPath(p);
  // The runs folder first: it is often inside the data folder, and the more precise name helps.
  for (const [dir, name] of [[dirs.runsDir, 'runs folder'], [dirs.dataDir, 'data folder']] as const) {
    const home = realPath(dir);
    if (within(real, home)) {
      // A link, or on a case-insensitive file system another letter case, leads there.
      const via = real === path.resolve(p) ? '' : ` (that is ${real})`;
      throw new LabError('forbidden', `${what} ${path.resolve(p)} is inside the lab's own ${name} ${home}${via}; the lab keeps its own files there, so use a folder outside it`, [{ path: 'path', message: `inside the lab's ${name}` }]);
    }
  }
}
