/**
 * Whether the process recorded as a run's owner still runs it. An owner is a pid and the time the
 * operating system says that process started: a pid alone is not enough, since pids are reused
 * (quickly in containers, where a new trainer often gets the pid a killed one had).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** A process that owns (or claims) a run: its pid and when it started (ms since the epoch, as the OS reports it). */
export interface ProcessOwner {
  pid: number;
  startedAt: number;
}

/**
 * Two start times closer than this are one process start read twice. On Linux the start time is
 * exact to a clock tick, but the boot time it is counted from (/proc/stat btime) is rounded to the
 * second and moves by a second now and then as the clock is adjusted; macOS's `ps` gives seconds.
 */
const SAME_START_MS = 1500;

/**
 * Linux's clock tick for /proc times (USER_HZ). It is 100 on every architecture Linux exports to
 * user space (the kernel converts its internal HZ to it), so it is not asked of sysconf here.
 */
const LINUX_TICKS_PER_SECOND = 100;

let bootTimeMs: number | null | undefined;

/** Linux: when the machine booted (ms since the epoch), from /proc/stat's btime; null when unreadable. */
function linuxBootTimeMs(): number | null {
  if (bootTimeMs !== undefined) return bootTimeMs;
  try {
    const m = /^btime\s+(\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'));
    bootTimeMs = m ? Number(m[1]) * 1000 : null;
  } catch {
    bootTimeMs = null;
  }
  return bootTimeMs;
}

/** Linux: field 22 of /proc/<pid>/stat (starttime, clock ticks after boot) as ms since the epoch. */
function linuxStartedAt(pid: number): number | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Field 2 (the command name) is in parentheses and may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // The fields after the name start at field 3 (state); starttime is field 22.
  const ticks = Number(fields[22 - 3]);
  const boot = linuxBootTimeMs();
  if (!Number.isFinite(ticks) || boot === null) return null;
  return boot + (ticks * 1000) / LINUX_TICKS_PER_SECOND;
}

/** macOS and the BSDs: `ps -o lstart=` (local time, to the second). */
function psStartedAt(pid: number): number | null {
  try {
    const text = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    const t = Date.parse(text);
    return Number.isFinite(t) ? t : null;
  } catch {
    return null;
  }
}

/**
 * When process `pid` started (ms since the epoch), as the operating system reports it; null when
 * there is no such process or the platform gives no way to ask. Windows is such a platform here
 * (it would take a WMI query per check), so there liveness falls back to the pid alone.
 */
export function processStartedAt(pid: number): number | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  if (process.platform === 'linux') return linuxStartedAt(pid);
  if (process.platform === 'win32') return null;
  return psStartedAt(pid);
}

/**
 * When this process started (ms), as the OS reports it (the same value another process reads for
 * this pid), else measured from its uptime. The same in every worker thread of the process, so a
 * worker's store and the main thread's store agree on which runs are this process's own.
 */
export const PROCESS_STARTED_AT: number = processStartedAt(process.pid) ?? Date.now() - process.uptime() * 1000;

/** This process as a run's owner. */
export function thisProcessOwner(): ProcessOwner {
  return { pid: process.pid, startedAt: PROCESS_STARTED_AT };
}

/** The start time to record with `pid` as a run's owner: this process's own, another live one's from the OS, else null. */
export function ownerStartTime(pid: number): number | null {
  return pid === process.pid ? PROCESS_STARTED_AT : processStartedAt(pid);
}

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

/** True when two start times are one process start. */
export function sameStart(a: number, b: number): boolean {
  return Math.abs(a - b) <= SAME_START_MS;
}

/**
 * True when a run owned by `pid` (started at `pidStartedAt`) has lost its owner: no process has
 * that pid any more, or the process that has it now started at another time (the pid was reused).
 * A record without a start time (written before start times were kept for every pid) is judged
 * by its pid and, given `lastActiveAt` (when the run was last written to: its last metric or event,
 * else its start), by when the process with that pid started: one that started after the run was
 * last active cannot have been training it, so the pid was reused. Without `lastActiveAt` the pid
 * alone decides. This process's own pid is the exception: this process records its start time with
 * every run it owns, so such a record was left by an earlier process that had the same pid.
 */
export function ownerGone(pid: number | null, pidStartedAt: number | null, lastActiveAt: number | null = null): boolean {
  if (pid === null) return true;
  if (pid === process.pid) return pidStartedAt === null || !sameStart(pidStartedAt, PROCESS_STARTED_AT);
  if (!isProcessAlive(pid)) return true;
  if (pidStartedAt === null) {
    if (lastActiveAt === null) return false;
    const started = processStartedAt(pid);
    // No start time to read here (Windows), or the process exited just now: the pid decides.
    if (started === null) return !isProcessAlive(pid);
    return started > lastActiveAt + SAME_START_MS;
  }
  const now = processStartedAt(pid);
  // No way to read the start time here (Windows), or the process exited just now: the pid decides.
  if (now === null) return !isProcessAlive(pid);
  return !sameStart(pidStartedAt, now);
}
