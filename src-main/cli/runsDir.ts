import path from 'node:path';
import { defaultRunsDir, ensureFolder, FolderError } from '../runs/home';
import { CliError } from './args';

export { defaultRunsDir };

/**
 * The run store a command works on: `--runs-dir` (relative to the working folder), else
 * $STRATA_RUNS_DIR, else `runs` in Strata's home (see src-main/runs/home.ts), created when missing.
 * A folder that cannot be created or written is a bad input (exit 2) naming the folder and why.
 */
export function runsDirArg(option: string | undefined): string {
  const dir = option === undefined ? defaultRunsDir() : path.resolve(option);
  try {
    return ensureFolder(dir, 'runs folder');
  } catch (e) {
    if (e instanceof FolderError) throw new CliError(e.message);
    throw e;
  }
}
