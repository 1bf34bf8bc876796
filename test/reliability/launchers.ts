/**
 * Trainer launchers for fault tests: the real trainer entry file, started as a real process under a
 * real resource limit. Only how the process is started differs from the app's launcher.
 */
import { spawn } from 'node:child_process';
import { forkLauncher, type TrainerChild, type TrainerLauncher } from '../../src-main/lab/trainerHost';

/** The real trainer under a V8 heap limit of `mb` MiB: it dies of a real out-of-memory abort. */
export function heapLimitedLauncher(mb: number): TrainerLauncher {
  return (entry, env) => forkLauncher({ file: entry.file, execArgv: [...entry.execArgv, `--max-old-space-size=${mb}`] }, env);
}

/**
 * The real trainer under `ulimit -f kib` (1 KiB blocks): any file it writes past that size fails
 * with EFBIG, the same failure a full disk gives halfway through a write (Node ignores SIGXFSZ).
 */
export function fileSizeLimitedLauncher(kib: number): TrainerLauncher {
  return (entry, env) => {
    const child = spawn('bash', ['-c', `ulimit -f ${kib} && exec "$0" "$@"`, process.execPath, ...entry.execArgv, entry.file], {
      stdio: ['ignore', 2, 'inherit', 'ipc'],
      serialization: 'advanced',
      // tsx's transform cache is shared with every other process: a cache file cut short by the limit
      // would break them all, so this process does not write it.
      env: { ...env, TSX_DISABLE_CACHE: '1' },
    });
    const handle: TrainerChild = {
      pid: child.pid,
      send: (c) => {
        if (child.connected) child.send(c);
      },
      onMessage: (l) => child.on('message', l),
      onExit: (l) => child.on('exit', l),
      onError: (l) => child.on('error', l),
      kill: (signal) => {
        child.kill(signal);
      },
    };
    return handle;
  };
}
