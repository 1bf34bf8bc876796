/**
 * The desktop app's log files, through electron-log: `main.log` (start-up, runs, errors) and
 * `trainer.log` (every line the trainer processes write to stdout and stderr), in the folder the app
 * passes in (Electron's `app.getPath('logs')`). Each file is rotated at `maxBytes`: main.log becomes
 * main.1.log, main.1.log becomes main.2.log, and so on; `keep` archives are kept.
 *
 * Uses electron-log's Node build with the folder given explicitly, so this module runs and is tested
 * under plain Node (no Electron).
 */
import log from 'electron-log/node';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { TrainerOutputListener } from '../lab/trainerHost';

/** The logging calls the app makes. */
export interface AppLogger {
  info(...params: unknown[]): void;
  warn(...params: unknown[]): void;
  error(...params: unknown[]): void;
}

/** The app's two logs. */
export interface AppLogs {
  dir: string;
  mainFile: string;
  trainerFile: string;
  main: AppLogger;
  trainer: AppLogger;
  /** Writes a trainer's line to trainer.log, tagged with its pid and stream. */
  trainerLine: TrainerOutputListener;
}

/** Options of {@link openLogs}. */
export interface LogOptions {
  /** Size at which a file is rotated (default 2 MiB). */
  maxBytes?: number;
  /** Archived files kept per log (default 5). */
  keep?: number;
  /** Also print to the console (the terminal of `npm start`); default false. */
  console?: boolean;
}

/** The archive names of `file`: main.log → main.1.log ... main.{keep}.log. */
export function archiveName(file: string, n: number): string {
  const p = path.parse(file);
  return path.join(p.dir, `${p.name}.${n}${p.ext}`);
}

/** Shifts `file`'s archives up by one (dropping the oldest) and makes `file` the first archive. */
export function rotateLogFile(file: string, keep: number): void {
  rmSync(archiveName(file, keep), { force: true });
  for (let n = keep - 1; n >= 1; n--) {
    try {
      renameSync(archiveName(file, n), archiveName(file, n + 1));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  if (keep >= 1) renameSync(file, archiveName(file, 1));
  else rmSync(file, { force: true });
}

let nextId = 1;

function fileLogger(dir: string, fileName: string, opts: Required<LogOptions>): AppLogger {
  // Each logger its own instance: electron-log's default one is global.
  const logger = log.create({ logId: `strata-${fileName}-${nextId++}` });
  const file = path.join(dir, fileName);
  logger.transports.file.resolvePathFn = () => file;
  logger.transports.file.maxSize = opts.maxBytes;
  logger.transports.file.archiveLogFn = (f) => {
    try {
      rotateLogFile(f.toString(), opts.keep);
    } catch {
      // Rotation failed (a file held open elsewhere, say): keep only the newest quarter, as electron-log
      // itself does (its File has crop(); the typings leave it out).
      const crop = (f as { crop?: (bytesAfter: number) => void }).crop;
      if (crop) crop.call(f, Math.round(opts.maxBytes / 4));
      else f.clear();
    }
  };
  logger.transports.console.level = opts.console ? 'info' : false;
  // Nothing is sent to a renderer or a server (the Node build has no ipc transport at all).
  for (const name of ['ipc', 'remote'] as const) {
    const t = logger.transports[name] as { level: unknown } | null | undefined;
    if (t) t.level = false;
  }
  return logger;
}

/** Opens main.log and trainer.log in `dir` (created if missing). */
export function openLogs(dir: string, options: LogOptions = {}): AppLogs {
  const opts: Required<LogOptions> = { maxBytes: 2 * 1024 * 1024, keep: 5, console: false, ...options };
  try {
    mkdirSync(dir, { recursive: true });
  } catch {
    // electron-log reports each failed write on the console; the app runs on without its log.
  }
  const main = fileLogger(dir, 'main.log', opts);
  const trainer = fileLogger(dir, 'trainer.log', opts);
  return {
    dir,
    mainFile: path.join(dir, 'main.log'),
    trainerFile: path.join(dir, 'trainer.log'),
    main,
    trainer,
    trainerLine: (line, stream, pid) => trainer.info(`[${pid ?? '?'} ${stream}] ${line}`),
  };
}

