/**
 * The desktop app's start-up sequence, with everything it touches injected so that it is tested
 * without Electron: take the single-instance lock, wait for Electron, resolve the lab's folders,
 * open the lab, build the window. Any failure on the way is logged, shown in an error box with the
 * message and where the log is, and the app exits with code 1 after closing what it had opened
 * (the lab, so its data-folder lock is released) and releasing the single-instance lock.
 */
import type { RunsChanged, BackendInfo } from '../../shared/api/types';
import type { RunStatus } from '../../shared/runs/types';
import type { LabDirs } from '../lab/paths';
import type { AppLogger } from './logging';

/** The parts of the lab the start-up sequence and its log use. */
export interface StartupLab {
  close(): Promise<void>;
  getBackendInfo(): BackendInfo;
  onRunsChanged(params: Record<string, never>, listener: (e: RunsChanged) => void): () => void;
  getRun(params: { id: string }): { status: RunStatus; statusReason: string | null; name?: string };
}

/** What {@link startDesktop} needs. */
export interface StartupDeps<L extends StartupLab> {
  log: AppLogger;
  /** The main log file, named in the error box. */
  logFile: string;
  /** Runtime versions and the like, logged first. */
  describe(): Record<string, unknown>;
  requestSingleInstanceLock(): boolean;
  releaseSingleInstanceLock(): void;
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

/** A failure in people's words: a file-system error names its folder and the problem. */
export function startupMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const problem = e?.code ? FS_PROBLEMS[e.code] : undefined;
  if (problem && typeof e.path === 'string') return `Strata cannot use the folder ${e.path}: ${problem} (${e.code}, ${e.syscall ?? 'fs'})`;
  return err instanceof Error ? err.message : String(err);
}

/** The error box's text: what failed, and where the details are. */
export function startupErrorText(err: unknown, logFile: string): string {
  return `${startupMessage(err)}\n\nThe log has the details: ${logFile}`;
}

/** Runs the start-up sequence; never rejects. */
export async function startDesktop<L extends StartupLab>(deps: StartupDeps<L>): Promise<StartupOutcome> {
  const { log } = deps;
  log.info('Strata starting', deps.describe());
  if (!deps.requestSingleInstanceLock()) {
    log.info('another Strata window is already open; handing over to it');
    deps.quit();
    return { kind: 'second-instance' };
  }
  let lab: L | null = null;
  try {
    await deps.whenReady();
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
    try {
      deps.showErrorBox('Strata could not start', startupErrorText(err, deps.logFile));
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
    deps.releaseSingleInstanceLock();
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
