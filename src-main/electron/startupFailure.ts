/**
 * What a failed start shows and logs, with nothing but Node's built-ins, so that it works when the
 * rest of the main process does not: the main entry (main.ts) uses it when app.js cannot load (a
 * package missing from the install, the logging library among them), and the start-up sequence
 * (startup.ts) when the logs cannot be opened. One wording for the error box either way.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import type { AppLogger } from './logging';

/** The error box's title for any failed start. */
export const ERROR_BOX_TITLE = 'Strata could not start';

/** The error box's text: what failed, and where the details are. */
export function errorBoxText(message: string, logFile: string): string {
  return `${message}\n\nThe log has the details: ${logFile}`;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** One log line in electron-log's own format: `[2026-01-31 12:00:00.000] [error] text`. */
export function logLineText(level: 'info' | 'warn' | 'error', parts: unknown[], now = new Date()): string {
  const stamp = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}.${pad(now.getMilliseconds(), 3)}`;
  const text = parts.map((p) => (typeof p === 'string' ? p : inspect(p, { depth: 4 }))).join(' ');
  return `[${stamp}] [${level}] ${text}\n`;
}

/** Appends one line to `file` (creating its folder); false when it cannot be written. Never throws. */
export function appendLogLine(file: string, level: 'info' | 'warn' | 'error', ...parts: unknown[]): boolean {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    appendFileSync(file, logLineText(level, parts));
    return true;
  } catch {
    return false;
  }
}

/** A logger that appends plain lines to `file`, for when the logging library could not be opened. */
export function plainLogger(file: string): AppLogger {
  return {
    info: (...parts) => void appendLogLine(file, 'info', ...parts),
    warn: (...parts) => void appendLogLine(file, 'warn', ...parts),
    error: (...parts) => void appendLogLine(file, 'error', ...parts),
  };
}

/** A load failure in people's words: the module's own message, and what to do when a file is missing. */
export function loadFailureMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
  return `The main process could not load: ${message}${missing ? '\n\nA part of the installed app is missing; installing Strata again should repair it.' : ''}`;
}
