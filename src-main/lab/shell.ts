/**
 * The channels that depend on the shell serving the page: native dialogs and the menu exist only in
 * the desktop app, so browser mode answers them with `unsupported` (its page types paths instead)
 * and a menu stream that never fires. The Electron main process passes its own {@link ShellHandlers}
 * (src-main/electron/desktopShell.ts). Checking a dropped folder and writing a design file do not
 * depend on the shell and live here once.
 */
import { statSync } from 'node:fs';
import type { ApiHandlers, ChannelName } from '../../shared/api/channels';
import type { AppInfo, SavePurpose } from '../../shared/api/types';
import { writeFileAtomic } from '../runs/atomic';
import { LabError } from './errors';
import type { LabDirs } from './paths';
import { strataPackageVersion } from './versions';

/** The shell-specific channels; every other channel is the lab service's (handlers.ts). */
export const SHELL_CHANNELS = ['getAppInfo', 'pickFolder', 'pickSaveFile', 'openDesignFile', 'onMenuCommand'] as const satisfies readonly ChannelName[];
/** A shell-specific channel. */
export type ShellChannel = (typeof SHELL_CHANNELS)[number];
/** What a shell implements: its channels' handlers, and optionally a guard on the files the page may write. */
export type ShellHandlers = Pick<ApiHandlers, ShellChannel> & {
  /**
   * Whether the page may write file `path` for `purpose` (the desktop app: only a path its save
   * dialog answered). Absent: any absolute path (browser mode, where the user types the paths).
   */
  allowWrite?(purpose: SavePurpose, path: string): boolean;
};

/** The channels that write a file the page names, and the save dialog's purpose each belongs to. */
type WriteChannel = 'writeDesignFile' | 'exportSubmission';

/**
 * `handlers` with the file-writing channels checked by `allowWrite` first: a path it refuses is a
 * `forbidden` error ("PATH was not chosen in a save dialog") and nothing is written.
 */
export function guardWrites<H extends Pick<ApiHandlers, WriteChannel>>(handlers: H, allowWrite: (purpose: SavePurpose, path: string) => boolean): H {
  const check = (purpose: SavePurpose, p: string) => {
    if (!allowWrite(purpose, p)) throw new LabError('forbidden', `${p} was not chosen in a save dialog`);
  };
  const writeDesign: ApiHandlers['writeDesignFile'] = (params) => {
    check('design', params.path);
    return handlers.writeDesignFile(params);
  };
  const exportSubmission: ApiHandlers['exportSubmission'] = (params) => {
    check('submission', params.path);
    return handlers.exportSubmission(params);
  };
  return { ...handlers, writeDesignFile: writeDesign, exportSubmission };
}

/** The app info every shell shares; the desktop adds Electron's versions and its logs folder. */
export function appInfo(shell: AppInfo['shell'], dirs: LabDirs, logsDir: string | null): AppInfo {
  const versions: Record<string, string> = { node: process.versions.node };
  for (const k of ['electron', 'chrome', 'v8'] as const) {
    const v = process.versions[k];
    if (v) versions[k] = v;
  }
  return { shell, version: strataPackageVersion(), versions, platform: `${process.platform}-${process.arch}`, dataDir: dirs.dataDir, runsDir: dirs.runsDir, logsDir };
}

function unsupported(what: string): never {
  throw new LabError('unsupported', `${what} is only in the desktop app; in the browser, type the path instead`);
}

/** Browser mode's answers: no native dialogs, no menu. */
export function browserShell(dirs: LabDirs): ShellHandlers {
  return {
    getAppInfo: () => appInfo('browser', dirs, null),
    pickFolder: () => unsupported('the folder dialog'),
    pickSaveFile: () => unsupported('the save dialog'),
    openDesignFile: () => unsupported('the open dialog'),
    onMenuCommand: () => () => undefined,
  };
}

/** The folder at `p`, or an error saying what `p` is instead (a file, nothing at all). */
export function checkDroppedFolder(p: string): { path: string } {
  let st;
  try {
    st = statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LabError('bad-request', `${p} does not exist`);
    if (code === 'EACCES' || code === 'EPERM') throw new LabError('bad-request', `${p} cannot be read (permission denied)`);
    throw new LabError('bad-request', `${p} cannot be read: ${(e as Error).message}`);
  }
  if (st.isDirectory()) return { path: p };
  const what = st.isFile() ? 'a file' : 'not a folder';
  throw new LabError('bad-request', `${p} is ${what}, not a folder: drop the dataset's folder (the one holding images/ and masks/ or train.csv)`);
}

/** Writes design `arch` as indented JSON to `p`, atomically; the folder must exist. */
export function writeDesignFile(p: string, arch: unknown): { path: string; bytes: number } {
  const text = `${JSON.stringify(arch, null, 2)}\n`;
  try {
    writeFileAtomic(p, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LabError('bad-request', `cannot save ${p}: its folder does not exist`);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new LabError('bad-request', `cannot save ${p}: permission denied`);
    throw new LabError('bad-request', `cannot save ${p}: ${(e as Error).message}`);
  }
  return { path: p, bytes: Buffer.byteLength(text) };
}
