/**
 * Crash-safe file replacement: a reader sees either the whole old file or the whole new one,
 * never a mix, whatever moment the process is killed or the disk fills up.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { isProcessAlive } from './liveness';

/** What writeFileAtomic can write: text (UTF-8), bytes, or a list of byte chunks written one after another. */
export type AtomicData = string | Uint8Array | readonly Uint8Array[];

const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EFBIG: 'file too large for this file system or process limit',
  EISDIR: 'a directory is in the way',
  ENOTDIR: 'a path component is not a directory',
  ENOENT: 'the folder does not exist',
  EIO: 'input/output error (failing disk?)',
  EMFILE: 'too many open files',
};

/** A failed write; the old file, if any, is untouched and no temporary file is left behind. */
export class AtomicWriteError extends Error {
  override readonly name = 'AtomicWriteError';
  constructor(
    /** The file that was to be written. */
    readonly path: string,
    /** The errno code, e.g. ENOSPC, EROFS, EACCES; `UNKNOWN` when the cause had none. */
    readonly code: string,
    /** The step that failed: `open`, `write`, `fsync`, `rename` or `fsync-dir`. */
    readonly step: string,
    options?: { cause?: unknown },
  ) {
    super(`Could not write ${path}: ${ERRNO_TEXT[code] ?? 'system error'} (${code}, during ${step})`, options);
  }
}

/** The errno code of a node system error, or `UNKNOWN`. */
export function errnoCode(e: unknown): string {
  if (e instanceof Error && 'code' in e && typeof e.code === 'string') return e.code;
  return 'UNKNOWN';
}

/**
 * `read()`, or `missing` when what it reads does not exist (ENOENT); every other error propagates.
 * E.g. `unlessMissing(() => fs.readdirSync(dir), [])`.
 */
export function unlessMissing<T, M>(read: () => T, missing: M): T | M {
  try {
    return read();
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return missing;
    throw e;
  }
}

/**
 * Makes a rename in `dir` durable. Windows cannot open a folder for fsync; there NTFS's
 * metadata journal gives rename the same guarantee, so the step is skipped.
 */
export function fsyncDir(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function chunksOf(data: AtomicData): readonly Uint8Array[] {
  if (typeof data === 'string') return [Buffer.from(data, 'utf8')];
  if (data instanceof Uint8Array) return [data];
  return data;
}

function writeAll(fd: number, chunk: Uint8Array): void {
  // writeSync may write less than asked (a file size limit, a signal); the rest is retried, and
  // a real failure then surfaces as an error on the next call.
  let off = 0;
  while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
}

/**
 * Replaces `file` with `data`: writes a temporary file in the same folder, fsyncs it, renames it over
 * `file`, then fsyncs the folder. On any failure the temporary file is removed, the old `file` is
 * intact, and an {@link AtomicWriteError} naming the file and errno code is thrown.
 */
export function writeFileAtomic(file: string, data: AtomicData): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let step = 'open';
  let fd: number | null = null;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    step = 'write';
    for (const chunk of chunksOf(data)) writeAll(fd, chunk);
    step = 'fsync';
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    step = 'rename';
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== null) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // a read-only or vanished folder: nothing more can be done, and the target was never touched
    }
    throw new AtomicWriteError(file, errnoCode(e), step, { cause: e });
  }
  try {
    fsyncDir(dir);
  } catch (e) {
    // The new file is in place; only its durability across power loss is in doubt.
    throw new AtomicWriteError(file, errnoCode(e), 'fsync-dir', { cause: e });
  }
}

const TEMP_NAME = /^\..+\.([0-9]+)\.[0-9a-f]{8}\.tmp$/;

/** Temporary files left by writeFileAtomic in a process that was killed mid-write. */
export function isAtomicTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/**
 * Creates folder `dir` (and any missing parent) so that it survives a power cut: each folder made
 * here is fsynced into its parent, as a rename is (a new run folder whose files are fsynced but whose
 * own entry is not can vanish with them).
 */
export function mkdirDurable(dir: string): void {
  const first = fs.mkdirSync(dir, { recursive: true });
  if (first === undefined) return;
  const made: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    made.unshift(d);
    if (d === path.resolve(first) || path.dirname(d) === d) break;
  }
  for (const d of made) {
    try {
      fsyncDir(path.dirname(d));
    } catch (e) {
      throw new AtomicWriteError(d, errnoCode(e), 'fsync-dir', { cause: e });
    }
  }
}

/**
 * Removes the temporary files that writeFileAtomic left in `dir` (and, with `recursive`, in the
 * folders under it) when the process writing them died: their names carry the writer's pid, and a
 * file of a live process (a write under way in another process) is left alone. Returns the paths
 * removed. A folder that does not exist has none.
 */
export function removeDeadTemps(dir: string, opts: { recursive?: boolean } = {}): string[] {
  const removed: string[] = [];
  const entries = unlessMissing(() => fs.readdirSync(dir, { withFileTypes: true }), []);
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (opts.recursive) removed.push(...removeDeadTemps(p, opts));
      continue;
    }
    const pid = TEMP_NAME.exec(e.name)?.[1];
    if (pid === undefined || isProcessAlive(Number(pid))) continue;
    fs.rmSync(p, { force: true });
    removed.push(p);
  }
  return removed;
}
