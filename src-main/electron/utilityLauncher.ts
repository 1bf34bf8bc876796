/**
 * The desktop app's trainer launcher: Electron's utilityProcess (a crash there never takes the app
 * down), with the trainer's stdout and stderr piped, not inherited (a packaged app has no terminal):
 * every line goes to the trainer log and stderr's tail into the reason of a crash. Written against a
 * small interface of `utilityProcess`, so it is tested without Electron.
 */
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
  /** Electron's kill() takes no signal: it sends SIGTERM. */
  kill(): boolean;
}

/** The parts of `utilityProcess` this module uses. */
export interface UtilityProcessLike {
  fork(modulePath: string, args: string[], options: { serviceName: string; stdio: 'pipe'; env: NodeJS.ProcessEnv; execArgv?: string[] }): UtilityChildLike;
}

/** How long an exit waits for the end of the child's output streams before it is reported. */
export const OUTPUT_DRAIN_MS = 1000;

/** Options of {@link utilityLauncher}. */
export interface UtilityLauncherOptions extends OutputOptions {
  /** Sends a signal to a process (default `process.kill`); replaced in tests. */
  signal?: (pid: number, signal: NodeJS.Signals) => void;
}

/** A TrainerLauncher on `utilityProcess`. */
export function utilityLauncher(up: UtilityProcessLike, opts: UtilityLauncherOptions = {}): TrainerLauncher {
  const sendSignal = opts.signal ?? ((pid, signal) => process.kill(pid, signal));
  return (entry, env) => {
    const child = up.fork(entry.file, [], {
      serviceName: 'Strata trainer',
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
    const api: TrainerChild = {
      get pid() {
        return child.pid;
      },
      send: (c: TrainerCommand) => child.postMessage(c),
      onMessage: (l) => child.on('message', l),
      // utilityProcess reports only an exit code; a crash by signal shows as a non-zero code.
      onExit: (l) => child.on('exit', (code) => void drained().then(() => l(code, null))),
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
