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

/** A submission's first line. */
export const SUBMISSION_HEADER = HEADER.join(',');

/** The masks of an `id,rle_mask` file, each id's line, and the ids whose row does not decode (with its line). */
export interface RleTable extends MaskTable {
  lines: Map<string, number>;
  undecodable: Map<string, number>;
}

/**
 * The longest RLE string an `h` x `w` mask can have: at most one run per two pixels, each pair two
 * numbers of at most `digits(h*w)` digits and two separators. A longer row is refused before it is split.
 */
export function maxRleLength(h: number, w: number): number {
  const total = h * w;
  return Math.ceil(total / 2) * (2 * String(total).length + 2);
}

/**
 * Reads an `id,rle_mask` CSV of `h` x `w` masks. A row that does not decode (bad numbers, pixels
 * past the last one, a line longer than any RLE of that size, a wrong field count) is a problem, not
 * a throw, and its id is kept in `undecodable`. A second row for an id is an error (`duplicate-id`, severity error):
 * which of the two rows is meant cannot be told.
 */
export async function readRleCsv(file: string, h: number, w: number): Promise<RleTable> {
  const rel = path.basename(file);
  const problems: DatasetProblem[] = [];
  const masks = new Map<string, Uint8Array>();
  const lines = new Map<string, number>();
  const undecodable = new Map<string, number>();
  const table = await readTable(file, rel, HEADER, problems);
  if (!table) return { masks, problems, lines, undecodable };
  const longest = maxRleLength(h, w);
  // Every row gets an entry, a bad one included (a wrong field count too), so a second row for its id
  // is still a duplicate and its id is undecodable, not missing.
  const rows = keyedRows<Uint8Array | 'bad'>(
    table,
    rel,
    problems,
    (raw, id, line) => {
      const r =
        raw.length > longest
          ? { ok: false as const, error: `${raw.length} characters, longer than any RLE of a ${h}x${w} mask (at most ${longest})` }
          : decodeRle(raw, h, w);
      if (r.ok) return r.mask;
      problems.push({ code: 'bad-rle', severity: 'error', file: rel, line, id, message: `${rel} line ${line}: RLE of ${id}: ${r.error}` });
      return 'bad';
    },
    () => 'bad',
  );
  for (const [id, entry] of rows) {
    lines.set(id, entry.line);
    if (entry.value === 'bad') undecodable.set(id, entry.line);
    else masks.set(id, entry.value);
  }
  const out = problems.map((p): DatasetProblem => {
    if (p.code !== 'duplicate-id' || p.id === undefined) return p;
    return { ...p, severity: 'error', message: `${rel} line ${p.line ?? '?'}: a second row for ${p.id} (first on line ${lines.get(p.id) ?? '?'})` };
  });
  return { masks, problems: out, lines, undecodable };
}

/**
 * The problems of a truth set (a dataset import, a truth file) that leave an image or its truth out of
 * a score: every error (a skipped image, mask or row) and every duplicate id (which row is the truth
 * cannot be told), from the truth's own files only. `truthFile` is the CSV the truth was read from,
 * as the problems name it (`train.csv`), or null when it is masks: another CSV (depths.csv, a
 * train.csv beside the masks/ that won) leaves no image out, whatever it holds. A score over what is
 * left would be a mean over the good rows only.
 */
export function scoringProblems(problems: readonly DatasetProblem[], truthFile: string | null): DatasetProblem[] {
  return problems.filter((p) => (p.file === truthFile || !/\.csv$/i.test(p.file)) && (p.severity === 'error' || p.code === 'duplicate-id'));
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
