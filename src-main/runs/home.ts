/**
 * Where Strata keeps its data: one home shared by the desktop app, `npm run lab` and the CLI, so a
 * run trained from any of them shows up in the others.
 *
 * - home: `$STRATA_HOME`, else the platform's app-data folder for an app named "Strata", exactly as
 *   Electron's `app.getPath('userData')` gives it (Linux `$XDG_CONFIG_HOME/Strata` or
 *   `~/.config/Strata`, macOS `~/Library/Application Support/Strata`, Windows `%APPDATA%\Strata`);
 * - runs (the run store): `$STRATA_RUNS_DIR`, else `<home>/runs`;
 * - lab data (datasets.json, designs/, the queue): the home itself.
 *
 * The path functions are pure functions of the environment, the platform, the user's home folder
 * and the working folder (for relative variables), so every platform is tested on any platform.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The app's name in its app-data folder (electron-builder.yml's productName). */
export const APP_NAME = 'Strata';

/** What the path functions read; each defaults to this process's own. */
export interface HomeContext {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  homedir?: string;
  cwd?: string;
}

interface Ctx {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  homedir: string;
  cwd: string;
  p: path.PlatformPath;
}

function ctxOf(c: HomeContext): Ctx {
  const platform = c.platform ?? process.platform;
  return {
    env: c.env ?? process.env,
    platform,
    homedir: c.homedir ?? os.homedir(),
    cwd: c.cwd ?? process.cwd(),
    p: platform === 'win32' ? path.win32 : path.posix,
  };
}

/** A variable's value; an empty one counts as unset (resolving '' would mean the working folder). */
function variable(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** The platform's per-user app-data folder, as Electron's `app.getPath('appData')`. */
export function appDataDir(context: HomeContext = {}): string {
  const { env, platform, homedir, p } = ctxOf(context);
  switch (platform) {
    case 'win32':
      return variable(env, 'APPDATA') ?? p.join(homedir, 'AppData', 'Roaming');
    case 'darwin':
      return p.join(homedir, 'Library', 'Application Support');
    default:
      return variable(env, 'XDG_CONFIG_HOME') ?? p.join(homedir, '.config');
  }
}

/** Strata's home: `$STRATA_HOME`, else `<app data>/Strata` (Electron's userData for the app). */
export function strataHome(context: HomeContext = {}): string {
  const c = ctxOf(context);
  const set = variable(c.env, 'STRATA_HOME');
  return set === undefined ? c.p.join(appDataDir(context), APP_NAME) : c.p.resolve(c.cwd, set);
}

/** The run store's folder: `$STRATA_RUNS_DIR`, else `runs` in Strata's home. */
export function defaultRunsDir(context: HomeContext = {}): string {
  const c = ctxOf(context);
  const set = variable(c.env, 'STRATA_RUNS_DIR');
  return set === undefined ? c.p.join(strataHome(context), 'runs') : c.p.resolve(c.cwd, set);
}

/** What to do about a folder that cannot be used, by what it holds. */
export const FOLDER_HINTS = {
  'runs folder': 'set STRATA_RUNS_DIR or --runs-dir to a writable folder',
  'data folder': 'set STRATA_HOME or --data-dir to a writable folder',
} as const;
export type FolderKind = keyof typeof FOLDER_HINTS;

/**
 * A folder Strata needs that cannot be created or written. It carries `code`, `path` (the folder
 * asked for) and `syscall` as Node's own file-system errors do, so code that reports those reads it too.
 */
export class FolderError extends Error {
  override readonly name = 'FolderError';
  constructor(
    message: string,
    /** The folder asked for. */
    readonly path: string,
    /** The errno code: ENOTDIR / EEXIST when a file is in the way, EACCES, EROFS... */
    readonly code: string,
    readonly syscall: 'mkdir' | 'access',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function codeOf(e: unknown): string {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : '';
}

function reason(e: unknown): string {
  switch (codeOf(e)) {
    case 'EACCES':
      return 'permission denied';
    case 'EPERM':
      return 'operation not permitted';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}

/**
 * Creates `dir` (and its missing parents) unless it exists, and checks it is a writable folder;
 * returns its absolute path. Throws {@link FolderError}, e.g. "cannot create the runs folder /x/y:
 * permission denied (set STRATA_RUNS_DIR or --runs-dir to a writable folder)". Each missing level
 * is made on its own rather than with `recursive`, which in Node 20 spins forever below /proc.
 */
export function ensureFolder(dir: string, kind: FolderKind): string {
  const abs = path.resolve(dir);
  const fail = (why: string, code: string, syscall: 'mkdir' | 'access', cause?: unknown): never => {
    const verb = syscall === 'access' ? 'cannot write to' : 'cannot create';
    throw new FolderError(`${verb} the ${kind} ${abs}: ${why} (${FOLDER_HINTS[kind]})`, abs, code, syscall, cause === undefined ? undefined : { cause });
  };
  // Walk up to the nearest thing that exists; everything below it is to be made.
  const missing: string[] = [];
  let at = abs;
  for (;;) {
    let st: fs.Stats | null = null;
    try {
      st = fs.statSync(at);
    } catch (e) {
      const code = codeOf(e);
      // ENOTDIR: a file further up; keep walking to name it.
      if ((code === 'ENOENT' || code === 'ENOTDIR') && path.dirname(at) !== at) {
        missing.push(at);
        at = path.dirname(at);
        continue;
      }
      return fail(reason(e), code || 'EIO', 'mkdir', e);
    }
    if (!st.isDirectory()) {
      return at === abs ? fail('a file of that name is in the way', 'EEXIST', 'mkdir') : fail(`${at} is a file, not a folder`, 'ENOTDIR', 'mkdir');
    }
    break;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      // Another process may have made it meanwhile.
      if (!(codeOf(e) === 'EEXIST' && fs.statSync(d).isDirectory())) return fail(reason(e), codeOf(e) || 'EIO', 'mkdir', e);
    }
  }
  try {
    fs.accessSync(abs, fs.constants.W_OK);
  } catch (e) {
    return fail(reason(e), codeOf(e) || 'EACCES', 'access', e);
  }
  return abs;
}
