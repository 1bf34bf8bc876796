/** Whether the process recorded as a run's owner still runs it. */

/**
 * When this process started (ms). The same in every worker thread of the process, so a worker's
 * store and the main thread's store agree on which runs are this process's own.
 */
export const PROCESS_STARTED_AT = Date.now() - process.uptime() * 1000;

/** Two start times closer than this are one process start, measured twice. */
const SAME_START_MS = 2000;

/** True when a process with this pid exists (EPERM: it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e instanceof Error && 'code' in e && e.code === 'EPERM';
  }
}

/**
 * True when a run owned by `pid` has lost its owner: the process is gone, or the pid is this
 * process's but was recorded by an earlier process that had the same pid (common in containers).
 */
export function ownerGone(pid: number | null, pidStartedAt: number | null): boolean {
  if (pid === null) return true;
  if (pid === process.pid) return pidStartedAt === null || Math.abs(pidStartedAt - PROCESS_STARTED_AT) > SAME_START_MS;
  return !isProcessAlive(pid);
}
