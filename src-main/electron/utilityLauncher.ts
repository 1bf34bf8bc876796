/**
 * The desktop app's trainer launcher: Electron's utilityProcess (a crash there never takes the app
 * down), with the trainer's stdout and stderr piped, not inherited (a packaged app has no terminal):
 * every line goes to the trainer log and stderr's tail into the reason of a crash. Written against a
 * small interface of `utilityProcess`, so it is tested without Electron.
 */
import { constants } from 'node:os';
import type { TrainerCommand } from '../../shared/training/protocol';
import { captureOutput, type OutputOptions, type TrainerChild, type TrainerLauncher } from '../lab/trainerHost';

/** The parts of a UtilityProcess this module uses. */
export interface UtilityChildLike {
  readonly pid: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'error', listener: (type: string, location: string) => void): unknown;
  on(event: 'spawn', listener: () => void): unknown;
  /** Electron's kill() takes no signal: it sends SIGTERM. */
  kill(): boolean;
}

/** The parts of `utilityProcess` this module uses. */
export interface UtilityProcessLike {
  fork(modulePath: string, args: string[], options: { serviceName: string; stdio: 'pipe'; env: NodeJS.ProcessEnv; execArgv?: string[] }): UtilityChildLike;
}

/** How long an exit waits for the end of the child's output streams before it is reported. */
export const OUTPUT_DRAIN_MS = 1000;

/** The parts of Electron's `child-process-gone` details this module uses. */
export interface ProcessGoneDetails {
  type: string;
  /** `clean-exit`, `abnormal-exit`, `killed`, `crashed`, `oom`, `launch-failed`, `integrity-failure`. */
  reason: string;
  exitCode: number;
  serviceName?: string;
  /** The process's id, where the details carry one (Electron's documented details do not). */
  pid?: number;
}

/**
 * Longest a `child-process-gone` report without a pid is taken for an exit, from its arrival to the
 * exit's: Electron sends it within moments of the exit, so an older one is another trainer's leftover.
 */
export const GONE_MAX_AGE_MS = 2000;

/** Subscribes to Electron's `child-process-gone` details; returns the unsubscribe. */
export type ProcessGoneSource = (listener: (details: ProcessGoneDetails) => void) => () => void;

/** `app.on('child-process-gone')` as a {@link ProcessGoneSource}. */
export function childProcessGone(app: {
  on(event: 'child-process-gone', listener: (event: unknown, details: ProcessGoneDetails) => void): unknown;
  off(event: 'child-process-gone', listener: (event: unknown, details: ProcessGoneDetails) => void): unknown;
}): ProcessGoneSource {
  return (listener) => {
    const h = (_event: unknown, details: ProcessGoneDetails) => listener(details);
    app.on('child-process-gone', h);
    return () => void app.off('child-process-gone', h);
  };
}

const SERVICE_NAME = 'Strata trainer';
/** Reasons for which Chromium's exit code of a POSIX process is the number of the signal that ended it (WTERMSIG). */
const BY_SIGNAL = new Set(['killed', 'crashed', 'oom']);

/** The name of signal number `n` (`9`: `SIGKILL`), or null. */
export function signalName(n: number): NodeJS.Signals | null {
  const found = Object.entries(constants.signals).find(([, v]) => v === n);
  return found ? (found[0] as NodeJS.Signals) : null;
}

/**
 * How a utility process ended, as a Node child's exit reads: `(code, null)`, or `(null, signal)` when
 * Electron's details say a signal ended it. utilityProcess's own 'exit' gives only a number, the
 * signal's for a process killed by one, so without the details SIGKILL and `exit(9)` look alike.
 */
export function utilityExit(code: number, gone: ProcessGoneDetails | undefined, platform: NodeJS.Platform = process.platform): { code: number | null; signal: NodeJS.Signals | null } {
  if (platform === 'win32' || !gone || !BY_SIGNAL.has(gone.reason) || gone.exitCode !== code) return { code, signal: null };
  const signal = signalName(code);
  return signal ? { code: null, signal } : { code, signal: null };
}

/** Options of {@link utilityLauncher}. */
export interface UtilityLauncherOptions extends OutputOptions {
  /** Sends a signal to a process (default `process.kill`); replaced in tests. */
  signal?: (pid: number, signal: NodeJS.Signals) => void;
  /** Electron's `child-process-gone` (childProcessGone(app)): tells a signal from an exit code. */
  processGone?: ProcessGoneSource;
  /** The clock the reports' ages are read on (default `Date.now`); replaced in tests. */
  now?: () => number;
}

/** A TrainerLauncher on `utilityProcess`. */
export function utilityLauncher(up: UtilityProcessLike, opts: UtilityLauncherOptions = {}): TrainerLauncher {
  const sendSignal = opts.signal ?? ((pid, signal) => process.kill(pid, signal));
  const now = opts.now ?? Date.now;
  // Details of trainers gone, with when they came, until their 'exit' takes them (it may come before
  // or after them). Without a pid a report is matched by exit code, so a stale one must not linger:
  // a later trainer's exit(9) would read as SIGKILL.
  const gone: { details: ProcessGoneDetails; at: number }[] = [];
  const prune = (t: number) => {
    while (gone.length > 0 && (gone.length > 16 || t - (gone[0]?.at ?? t) > GONE_MAX_AGE_MS)) gone.shift();
  };
  opts.processGone?.((d) => {
    if (d.type !== 'Utility' || d.serviceName !== SERVICE_NAME) return;
    const t = now();
    gone.push({ details: d, at: t });
    prune(t);
  });
  /** The report of the trainer `pid` that exited with `code` at `exitAt`: by pid where both have one, else by code and age. */
  const takeGone = (code: number, pid: number | undefined, exitAt: number): ProcessGoneDetails | undefined => {
    const i = gone.findIndex(({ details: d, at }) =>
      d.pid !== undefined && pid !== undefined ? d.pid === pid : d.exitCode === code && exitAt - at <= GONE_MAX_AGE_MS,
    );
    return i < 0 ? undefined : gone.splice(i, 1)[0]?.details;
  };
  return (entry, env) => {
    const child = up.fork(entry.file, [], {
      serviceName: SERVICE_NAME,
      stdio: 'pipe',
      env,
      ...(entry.execArgv.length > 0 ? { execArgv: entry.execArgv } : {}),
    });
    const captured = captureOutput(child, () => child.pid, opts);
    // 'exit' can come before the last of stderr has been read: wait for both streams to end.
    const ended = Promise.all(
      [child.stdout, child.stderr].map(
        (s) =>
          new Promise<void>((resolve) => {
            if (!s) return resolve();
            s.once('end', () => resolve());
            s.once('close', () => resolve());
            s.once('error', () => resolve());
          }),
      ),
    );
    const drained = () =>
      Promise.race([ended, new Promise<void>((resolve) => setTimeout(resolve, OUTPUT_DRAIN_MS).unref())]).then(() => captured.flush());
    // utilityProcess reports only a number; Electron's child-process-gone details (which come by the
    // time the output has drained) say whether it is a signal's, so the reason names the signal.
    // The pid is there once the process has spawned, and gone once 'exit' is emitted: keep it.
    let pid = child.pid;
    child.on('spawn', () => {
      pid = child.pid ?? pid;
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code) => {
        pid = child.pid ?? pid;
        const exitAt = now();
        void drained().then(() => resolve(utilityExit(code, takeGone(code, pid, exitAt))));
      }),
    );
    const api: TrainerChild = {
      get pid() {
        return child.pid;
      },
      send: (c: TrainerCommand) => child.postMessage(c),
      onMessage: (l) => child.on('message', l),
      onExit: (l) => void exited.then((e) => l(e.code, e.signal)),
      onError: (l) => child.on('error', (type, location) => l(new Error(`${type} at ${location}`))),
      kill: (signal) => {
        // utilityProcess.kill() sends SIGTERM whatever is asked; a real signal (SIGKILL for a
        // force quit, SIGABRT in fault tests) goes through the pid.
        const pid = child.pid;
        if (pid !== undefined) {
          try {
            sendSignal(pid, signal);
            return;
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === 'ESRCH') return;
          }
        }
        child.kill();
      },
      stderrTail: () => captured.tail.text(),
    };
    return api;
  };
}
