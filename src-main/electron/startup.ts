/**
 * The desktop app's start-up sequence, with everything it touches injected so that it is tested
 * without Electron: open the logs, take the single-instance lock, set up what the lab needs (the
 * trainer launcher), wait for Electron, resolve the lab's folders, open the lab, build the window.
 * Any failure on the way, opening the logs included, is logged (with plain fs when the logs could not
 * be opened), shown in an error box with the message and where the log is, and the app exits with
 * code 1 after closing what it had opened (the lab, so its data-folder lock is released) and
 * releasing the single-instance lock.
 */
import type { RunsChanged, BackendInfo } from '../../shared/api/types';
import type { RunStatus } from '../../shared/runs/types';
import path from 'node:path';
import type { LabDirs } from '../lab/paths';
import { RunStoreOpenError, storeOpenAdvice } from '../runs/errors';
import { FOLDER_HINTS, type FolderKind } from '../runs/home';
import type { AppLogger } from './logging';
import { ERROR_BOX_TITLE, errorBoxText, plainLogger } from './startupFailure';

/** The parts of the lab the start-up sequence and its log use. */
export interface StartupLab {
  close(): Promise<void>;
  getBackendInfo(): BackendInfo;
  onRunsChanged(params: Record<string, never>, listener: (e: RunsChanged) => void): () => void;
  getRun(params: { id: string }): { status: RunStatus; statusReason: string | null; name?: string };
}

/** What {@link startDesktop} needs. */
export interface StartupDeps<L extends StartupLab> {
  /** The logs folder (Electron's `app.getPath('logs')`): its main.log is named in the error box. */
  logsDir: string;
  /** Opens the logs: main.log's logger and file. */
  openLogs(): { log: AppLogger; logFile: string };
  /** Runtime versions and the like, logged first. */
  describe(): Record<string, unknown>;
  requestSingleInstanceLock(): boolean;
  releaseSingleInstanceLock(): void;
  /** Wires what the lab needs before it opens (the trainer launcher, which writes the trainer log). */
  setUp(): void;
  whenReady(): Promise<void>;
  resolveDirs(): LabDirs;
  openLab(dirs: LabDirs): L;
  /** Builds the window, the IPC API and the menu on the open lab. */
  createUi(lab: L, dirs: LabDirs): Promise<void>;
  showErrorBox(title: string, content: string): void;
  quit(): void;
  exit(code: number): void;
}

/** How start-up ended. */
export type StartupOutcome = { kind: 'started' } | { kind: 'second-instance' } | { kind: 'failed'; message: string };

const FS_PROBLEMS: Record<string, string> = {
  ENOTDIR: 'a file is in the way of that folder',
  EEXIST: 'a file is in the way of that folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the disk is read-only',
  ENOSPC: 'the disk is full',
};

/**
 * What to do about a folder, for the desktop app: it has no `--runs-dir` or `--data-dir` (the CLI's
 * and the lab's options that FolderError's own hint names), only the environment.
 */
export const DESKTOP_FOLDER_HINTS: Record<FolderKind, string> = {
  'runs folder': 'set STRATA_RUNS_DIR, or STRATA_HOME, to a writable folder',
  'data folder': 'set STRATA_HOME to a writable folder',
};

/**
 * A failure in people's words. A FolderError (src-main/runs/home.ts) keeps its own text, which names
 * the folder, what it is for and why it cannot be used, with the hint given for the desktop app; any
 * other file-system error names its folder and the problem.
 */
export function startupMessage(err: unknown): string {
  if (err instanceof RunStoreOpenError) return storeOpenAdvice(err, 'set STRATA_RUNS_DIR (or STRATA_HOME) to use another runs folder');
  if (err instanceof Error && err.name === 'FolderError') {
    for (const [kind, hint] of Object.entries(FOLDER_HINTS) as [FolderKind, string][]) {
      const suffix = ` (${hint})`;
      if (err.message.endsWith(suffix)) return `${err.message.slice(0, -suffix.length)} (${DESKTOP_FOLDER_HINTS[kind]})`;
    }
    return err.message;
  }
  const e = err as NodeJS.ErrnoException;
  const problem = e?.code ? FS_PROBLEMS[e.code] : undefined;
  if (problem && typeof e.path === 'string') return `Strata cannot use the folder ${e.path}: ${problem} (${e.code}, ${e.syscall ?? 'fs'})`;
  return err instanceof Error ? err.message : String(err);
}

/** The error box's text: what failed, and where the details are. */
export function startupErrorText(err: unknown, logFile: string): string {
  return errorBoxText(startupMessage(err), logFile);
}

/** Runs the start-up sequence; never rejects. */
export async function startDesktop<L extends StartupLab>(deps: StartupDeps<L>): Promise<StartupOutcome> {
  // Until the logs are open: plain lines in the same main.log.
  let logFile = path.join(deps.logsDir, 'main.log');
  let log: AppLogger = plainLogger(logFile);
  let locked = false;
  let ready = false;
  let lab: L | null = null;
  try {
    ({ log, logFile } = deps.openLogs());
    log.info('Strata starting', deps.describe());
    if (!deps.requestSingleInstanceLock()) {
      log.info('another Strata window is already open; handing over to it');
      deps.quit();
      return { kind: 'second-instance' };
    }
    locked = true;
    deps.setUp();
    await deps.whenReady();
    ready = true;
    const dirs = deps.resolveDirs();
    log.info(`lab folders: data ${dirs.dataDir}, runs ${dirs.runsDir}`);
    lab = deps.openLab(dirs);
    logLabActivity(lab, log);
    await deps.createUi(lab, dirs);
    log.info('window loaded');
    return { kind: 'started' };
  } catch (err) {
    const message = startupMessage(err);
    log.error('start-up failed:', err);
    // On Linux an error box shown before Electron is ready only goes to stderr.
    if (!ready) await Promise.resolve().then(() => deps.whenReady()).catch((e: unknown) => log.error('Electron did not get ready for the error box:', e));
    try {
      deps.showErrorBox(ERROR_BOX_TITLE, startupErrorText(err, logFile));
    } catch (e) {
      log.error('could not show the error box:', e);
    }
    if (lab) {
      try {
        await lab.close();
      } catch (e) {
        log.error('closing the lab after the failed start-up failed too:', e);
      }
    }
    if (locked) deps.releaseSingleInstanceLock();
    deps.exit(1);
    return { kind: 'failed', message };
  }
}

/** Logs the lab's backend (once the probe answers) and each run's status changes. */
export function logLabActivity(lab: StartupLab, log: AppLogger): () => void {
  let backendLogged = false;
  const lastStatus = new Map<string, RunStatus>();
  return lab.onRunsChanged({}, (e) => {
    if (!backendLogged) {
      const info = lab.getBackendInfo();
      if (info.available) {
        backendLogged = true;
        log.info('backend', info.available.backend, 'skipped', info.available.skipped);
      } else if (info.probeProblem) {
        backendLogged = true;
        log.warn('backend check failed:', info.probeProblem);
      }
    }
    if (e.runId === null || (e.change !== 'status' && e.change !== 'created')) return;
    let run;
    try {
      run = lab.getRun({ id: e.runId });
    } catch {
      return; // deleted meanwhile
    }
    if (lastStatus.get(e.runId) === run.status) return;
    lastStatus.set(e.runId, run.status);
    const line = `run ${e.runId}: ${run.status}${run.statusReason ? ` (${run.statusReason})` : ''}`;
    if (run.status === 'failed' || run.status === 'interrupted') log.warn(line);
    else log.info(line);
  });
}
