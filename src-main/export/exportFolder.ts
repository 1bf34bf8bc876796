/**
 * Export folders: a tfjs model's (model.json and its weight shards, laid out as tensorflowjs_converter
 * and tfjs's own file handler write them, `group1-shard1of3.bin`, 4 MiB each) and a Keras script's,
 * each written as a whole: into a temporary folder beside the target, then renamed into place.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AtomicWriteError, errnoCode, fsyncDir } from '../runs/atomic';

/** tensorflowjs_converter's default shard size. */
export const SHARD_BYTES = 4 * 1024 * 1024;

/** One file of the folder. */
export interface FolderFile {
  name: string;
  data: Uint8Array | readonly Uint8Array[];
}

/** A file's size in bytes. */
export function fileBytes(f: FolderFile): number {
  return f.data instanceof Uint8Array ? f.data.length : f.data.reduce((n, c) => n + c.length, 0);
}

/** What a saved Layers model gives (see training/export/tfjsLayers.ts). */
export interface SavedLayersModel {
  modelTopology: object;
  format: string;
  generatedBy: string;
  weightSpecs: readonly object[];
  weightData: Uint8Array;
  userDefinedMetadata: Record<string, string>;
}

/** The files an export folder of each format holds (what --force may replace). */
const FOLDER_FILES: Record<'tfjs' | 'keras', (name: string) => boolean> = {
  tfjs: (n) => n === 'model.json' || /^group1-shard\d+of\d+\.bin$/.test(n),
  keras: (n) => n === 'model.py' || n === 'weights.npz' || n === 'metadata.json',
};
const FIRST_FILE = { tfjs: 'model.json', keras: 'model.py' } as const;

/** model.json and the shards of `model`: one weight group, split every {@link SHARD_BYTES}. */
export function tfjsFolderFiles(model: SavedLayersModel, convertedBy: string): FolderFile[] {
  const count = Math.max(1, Math.ceil(model.weightData.length / SHARD_BYTES));
  const shards: FolderFile[] = [];
  for (let i = 0; i < count; i++) {
    shards.push({ name: `group1-shard${i + 1}of${count}.bin`, data: model.weightData.subarray(i * SHARD_BYTES, (i + 1) * SHARD_BYTES) });
  }
  const json = {
    format: model.format,
    generatedBy: model.generatedBy,
    convertedBy,
    modelTopology: model.modelTopology,
    weightsManifest: [{ paths: shards.map((s) => s.name), weights: model.weightSpecs }],
    userDefinedMetadata: model.userDefinedMetadata,
  };
  return [{ name: 'model.json', data: Buffer.from(JSON.stringify(json), 'utf8') }, ...shards];
}

/** Whether `dir` holds only what an earlier export of `format` wrote (model.json and its shards; model.py, weights.npz, metadata.json): what --force may replace. */
export function isExportFolder(dir: string, format: 'tfjs' | 'keras'): boolean {
  const names = fs.readdirSync(dir);
  return names.includes(FIRST_FILE[format]) && names.every(FOLDER_FILES[format]);
}

function writeFileDurable(file: string, data: Uint8Array | readonly Uint8Array[]): void {
  const fd = fs.openSync(file, 'wx', 0o644);
  try {
    for (const chunk of data instanceof Uint8Array ? [data] : data) {
      let off = 0;
      while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes `files` as the folder `dir`: all of them into a temporary folder beside it, fsynced, then
 * renamed to `dir`. A folder already at `dir` (the caller has checked it may go) is first renamed
 * aside and removed once the new one is in place, or put back if the rename fails. On any failure
 * nothing is left but what was there before, and an {@link AtomicWriteError} names the folder.
 */
export function writeFolderAtomic(dir: string, files: readonly FolderFile[]): void {
  const parent = path.dirname(dir);
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}`;
  const tmp = path.join(parent, `.${path.basename(dir)}.${tag}.tmp`);
  const old = path.join(parent, `.${path.basename(dir)}.${tag}.old`);
  let step = 'mkdir';
  let movedAside = false;
  try {
    fs.mkdirSync(tmp);
    step = 'write';
    for (const f of files) writeFileDurable(path.join(tmp, f.name), f.data);
    step = 'fsync';
    fsyncDir(tmp);
    step = 'rename';
    if (fs.existsSync(dir)) {
      fs.renameSync(dir, old);
      movedAside = true;
    }
    fs.renameSync(tmp, dir);
  } catch (e) {
    if (movedAside && !fs.existsSync(dir)) {
      try {
        fs.renameSync(old, dir);
        movedAside = false;
      } catch {
        // The old folder stays at its temporary name; the error below names the target.
      }
    }
    try {
      fs.rmSync(tmp, { recursive: true, force: true });
    } catch {
      // A read-only or vanished folder: the target was not touched.
    }
    throw new AtomicWriteError(dir, errnoCode(e), step, { cause: e });
  }
  if (movedAside) fs.rmSync(old, { recursive: true, force: true });
  try {
    fsyncDir(parent);
  } catch (e) {
    throw new AtomicWriteError(dir, errnoCode(e), 'fsync-dir', { cause: e });
  }
}
