/**
 * Stored validation predictions: one file per epoch, `epoch-<n>.bin`, written atomically.
 * Layout: 8 bytes `STRPRED1`, a uint32 (LE) header length, the UTF-8 JSON header (epoch, size,
 * sample ids, SHA-256 of the payload), then the payload: N*H*W bytes, `round(p * 255)`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { RunPredictions } from '../../shared/runs/types';
import { mkdirDurable, removeDeadTemps, unlessMissing, writeFileAtomic } from './atomic';
import { RunInputError, RunStoreCorruptError } from './errors';
import { parseJson } from './parse';

const MAGIC = Buffer.from('STRPRED1', 'ascii');
const FILE_PATTERN = /^epoch-([0-9]+)\.bin$/;

const headerSchema = z.object({
  epoch: z.number().int().nonnegative(),
  height: z.number().int().positive(),
  width: z.number().int().positive(),
  ids: z.array(z.string()),
  sha256: z.string(),
});

function fileFor(dir: string, epoch: number): string {
  return path.join(dir, `epoch-${epoch}.bin`);
}

/** Writes the predictions of one epoch into `dir` (created if missing), replacing any earlier ones of that epoch. */
export function writePredictions(dir: string, p: RunPredictions, what: string): void {
  if (!Number.isInteger(p.epoch) || p.epoch < 0) throw new RunInputError(`${what}: epoch must be a non-negative integer, got ${p.epoch}`);
  if (!Number.isInteger(p.height) || !Number.isInteger(p.width) || p.height <= 0 || p.width <= 0) {
    throw new RunInputError(`${what}: prediction size must be positive integers, got ${p.height}x${p.width}`);
  }
  const expected = p.ids.length * p.height * p.width;
  if (p.probs.length !== expected) {
    throw new RunInputError(
      `${what}: ${p.ids.length} predictions of ${p.height}x${p.width} need ${expected} values, got ${p.probs.length}`,
    );
  }
  const sha256 = createHash('sha256').update(p.probs).digest('hex');
  const header = Buffer.from(JSON.stringify({ epoch: p.epoch, height: p.height, width: p.width, ids: p.ids, sha256 }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length, 0);
  mkdirDurable(dir);
  writeFileAtomic(fileFor(dir, p.epoch), [MAGIC, len, header, p.probs]);
  // What a writer killed mid-save left here (a lab's folder prediction, a trainer's epoch).
  removeDeadTemps(dir);
}

/** Reads the predictions of `epoch` from `dir`; null when that epoch has none. */
export function readPredictions(dir: string, epoch: number): RunPredictions | null {
  const file = fileFor(dir, epoch);
  const buf = unlessMissing(() => fs.readFileSync(file), null);
  if (buf === null) return null;
  if (buf.length < 12 || !buf.subarray(0, 8).equals(MAGIC)) throw new RunStoreCorruptError(file, 'not a Strata predictions file');
  const hlen = buf.readUInt32LE(8);
  if (12 + hlen > buf.length) throw new RunStoreCorruptError(file, 'header runs past the end of the file');
  const h = parseJson(headerSchema, buf.subarray(12, 12 + hlen).toString('utf8'), file);
  const payload = buf.subarray(12 + hlen);
  const expected = h.ids.length * h.height * h.width;
  if (payload.length !== expected) {
    throw new RunStoreCorruptError(file, `payload holds ${payload.length} bytes, the header promises ${expected}`);
  }
  if (createHash('sha256').update(payload).digest('hex') !== h.sha256) {
    throw new RunStoreCorruptError(file, 'payload does not match its SHA-256 (damaged file)');
  }
  if (h.epoch !== epoch) throw new RunStoreCorruptError(file, `holds epoch ${h.epoch}`);
  return { epoch: h.epoch, ids: h.ids, probs: new Uint8Array(payload), height: h.height, width: h.width };
}

/** The epochs with stored predictions in `dir`, ascending. */
export function predictionEpochsIn(dir: string): number[] {
  const names = unlessMissing(() => fs.readdirSync(dir), []);
  const epochs: number[] = [];
  for (const n of names) {
    const m = FILE_PATTERN.exec(n);
    if (m?.[1] !== undefined) epochs.push(Number(m[1]));
  }
  return epochs.sort((a, b) => a - b);
}
