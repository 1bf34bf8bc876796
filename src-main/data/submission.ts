/**
 * Kaggle submission files (`id,rle_mask`) and the truth they are scored against: a `train.csv`, or a
 * folder of mask PNGs. Every row problem is reported with its file and line.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { decodeRle, encodeRle } from '../../shared/data/rle';
import type { DatasetProblem } from '../../shared/data/types';
import { writeFileAtomic } from '../runs/atomic';
import { keyedRows, readBytes, readTable } from './csvTable';
import { decodeMaskPng } from './png';
import { mapLimit } from './pool';

/** Masks by id, with the problems met while reading them. */
export interface MaskTable {
  masks: Map<string, Uint8Array>;
  problems: DatasetProblem[];
}

const HEADER = ['id', 'rle_mask'];

/** Reads an `id,rle_mask` CSV of `h` x `w` masks. A row that does not decode is a problem, not a throw. */
export async function readRleCsv(file: string, h: number, w: number): Promise<MaskTable> {
  const rel = path.basename(file);
  const problems: DatasetProblem[] = [];
  const masks = new Map<string, Uint8Array>();
  const table = await readTable(file, rel, HEADER, problems);
  if (!table) return { masks, problems };
  const rows = keyedRows(table, rel, problems, (raw, id, line) => {
    const r = decodeRle(raw, h, w);
    if (r.ok) return r.mask;
    problems.push({ code: 'bad-rle', severity: 'error', file: rel, line, id, message: `${rel} line ${line}: RLE of ${id}: ${r.error}` });
    return null;
  });
  for (const [id, entry] of rows) masks.set(id, entry.value);
  return { masks, problems };
}

/** Reads every `*.png` of a folder as a 0/1 mask; all must be `h` x `w` (taken from the first when absent). */
export async function readMaskFolder(dir: string): Promise<MaskTable & { height: number; width: number }> {
  const problems: DatasetProblem[] = [];
  const masks = new Map<string, Uint8Array>();
  const names = (await readdir(dir)).filter((n) => /\.png$/i.test(n)).sort();
  let size: { h: number; w: number } | null = null;
  const decoded = await mapLimit(names, 16, async (name) => {
    const bytes = await readBytes(path.join(dir, name));
    return bytes instanceof Uint8Array ? decodeMaskPng(bytes) : bytes;
  });
  names.forEach((name, i) => {
    const m = decoded[i];
    if (!m) return;
    if (!m.ok) {
      problems.push({ code: m.code, severity: 'error', file: name, message: `${name}: ${m.detail}` });
      return;
    }
    size ??= { h: m.height, w: m.width };
    if (m.height !== size.h || m.width !== size.w) {
      problems.push({ code: 'size-mismatch', severity: 'error', file: name, message: `${name}: ${m.width}x${m.height}, expected ${size.w}x${size.h}` });
      return;
    }
    masks.set(name.slice(0, -4), m.mask);
  });
  const found = size as { h: number; w: number } | null;
  return { masks, problems, height: found?.h ?? 0, width: found?.w ?? 0 };
}

/** Writes a submission atomically: one row per id, in the given order, masks row-major `h` x `w`. */
export function writeSubmission(file: string, ids: readonly string[], masks: Uint8Array, h: number, w: number): void {
  const px = h * w;
  if (masks.length !== ids.length * px) throw new RangeError(`masks hold ${masks.length} pixels, expected ${ids.length} x ${h}x${w}`);
  const lines = ['id,rle_mask'];
  ids.forEach((id, i) => lines.push(`${id},${encodeRle(masks.subarray(i * px, (i + 1) * px), h, w)}`));
  writeFileAtomic(file, `${lines.join('\n')}\n`);
}
