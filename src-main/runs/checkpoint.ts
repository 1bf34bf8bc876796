/**
 * Checkpoint files of one run: `<kind>-e<epoch>-s<step>-<random>.bin` holds the float32 data, and
 * `<kind>.json` (the manifest) names that file with its size and SHA-256. A save writes the new
 * data file, keeps the current manifest as `<kind>.prev.json`, then replaces the manifest, each
 * step atomically: a crash at any point leaves a loadable checkpoint, and a manifest whose data
 * does not match is refused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Checkpoint, CheckpointKind, CheckpointTensor } from '../../shared/runs/types';
import { CHECKPOINT_EXTRA_SCHEMA } from '../../shared/training/checkpointExtra';
import { isAtomicTempName, mkdirDurable, unlessMissing, writeFileAtomic } from './atomic';
import { CheckpointCorruptError, RunInputError, RunStoreCorruptError } from './errors';
import { parseJson } from './parse';

const tensorEntry = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  /** In float32 elements from the start of the data file. */
  offset: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
});
type TensorEntry = z.infer<typeof tensorEntry>;

const manifestSchema = z.object({
  format: z.literal('strata-checkpoint'),
  version: z.literal(1),
  kind: z.enum(['last', 'best', 'before-jump', 'snapshot']),
  epoch: z.number().int(),
  step: z.number().int(),
  savedAt: z.number(),
  byteOrder: z.literal('LE'),
  data: z.object({ file: z.string().regex(/^[a-z]+(-[a-z]+)?-e[0-9]+-s[0-9]+-[0-9a-f]{8}\.bin$/), bytes: z.number().int(), sha256: z.string() }),
  tensors: z.array(tensorEntry),
  optimizer: z.object({ name: z.string(), iterations: z.number().int(), tensors: z.array(tensorEntry) }).optional(),
  rng: z.array(z.number()).optional(),
  extra: CHECKPOINT_EXTRA_SCHEMA.optional(),
});
type Manifest = z.infer<typeof manifestSchema>;

/** What a checkpoint file holds: one of the run's named checkpoints, or an entry of its snapshot ring. */
export type CheckpointFileKind = CheckpointKind | 'snapshot';

/** What a stored checkpoint is, without its data. */
export interface CheckpointInfo {
  kind: CheckpointFileKind;
  epoch: number;
  step: number;
  savedAt: number;
  bytes: number;
}

function assertLittleEndian(): void {
  // The data file is raw float32 in this machine's byte order; every platform Strata ships on is LE.
  if (os.endianness() !== 'LE') throw new RunInputError('Checkpoints are little-endian; this machine is big-endian');
}

function manifestPath(dir: string, kind: CheckpointFileKind, previous: boolean): string {
  return path.join(dir, previous ? `${kind}.prev.json` : `${kind}.json`);
}

function checkTensors(list: readonly CheckpointTensor[], what: string): void {
  const seen = new Set<string>();
  for (const t of list) {
    if (typeof t.name !== 'string' || t.name === '') throw new RunInputError(`${what}: a tensor has no name`);
    if (seen.has(t.name)) throw new RunInputError(`${what}: tensor name ${t.name} is used twice`);
    seen.add(t.name);
    if (!(t.data instanceof Float32Array)) throw new RunInputError(`${what}: tensor ${t.name} is not a Float32Array`);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new RunInputError(`${what}: tensor ${t.name} has shape [${t.shape.join(', ')}]`);
    }
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) {
      throw new RunInputError(`${what}: tensor ${t.name} of shape [${t.shape.join(', ')}] needs ${size} values, has ${t.data.length}`);
    }
  }
}

function layout(list: readonly CheckpointTensor[], start: number): { entries: TensorEntry[]; end: number } {
  let offset = start;
  const entries = list.map((t) => {
    const e = { name: t.name, shape: t.shape.slice(), offset, length: t.data.length };
    offset += t.data.length;
    return e;
  });
  return { entries, end: offset };
}

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function readManifest(file: string): { manifest: Manifest; text: string } | null {
  const text = unlessMissing(() => fs.readFileSync(file, 'utf8'), null);
  if (text === null) return null;
  try {
    return { manifest: parseJson(manifestSchema, text, file), text };
  } catch (e) {
    if (e instanceof RunStoreCorruptError) throw new CheckpointCorruptError(file, e.detail);
    throw e;
  }
}

/** True when the manifest's data file is there with the size it names (the hash is checked on load). */
function dataPresent(dir: string, m: Manifest): boolean {
  try {
    return fs.statSync(path.join(dir, m.data.file)).size === m.data.bytes;
  } catch {
    return false;
  }
}

/** True when the manifest's data file is there and matches its size and SHA-256. */
function dataIntact(dir: string, m: Manifest): boolean {
  let data: Buffer;
  try {
    data = fs.readFileSync(path.join(dir, m.data.file));
  } catch {
    return false;
  }
  return data.length === m.data.bytes && createHash('sha256').update(data).digest('hex') === m.data.sha256;
}

/** Writes checkpoint `kind` into `dir` (created if missing), keeping the one it replaces as the previous. */
export function writeCheckpoint(dir: string, kind: CheckpointFileKind, ckpt: Checkpoint, what: string): void {
  assertLittleEndian();
  if (!Number.isInteger(ckpt.epoch) || ckpt.epoch < 0 || !Number.isInteger(ckpt.step) || ckpt.step < 0) {
    throw new RunInputError(`${what}: epoch and step must be non-negative integers (got ${ckpt.epoch}, ${ckpt.step})`);
  }
  checkTensors(ckpt.tensors, what);
  if (ckpt.optimizer) {
    checkTensors(ckpt.optimizer.tensors, `${what} optimizer`);
    if (!Number.isInteger(ckpt.optimizer.iterations)) throw new RunInputError(`${what}: optimizer iterations must be an integer`);
  }
  if (ckpt.rng && !ckpt.rng.every(Number.isFinite)) throw new RunInputError(`${what}: rng state must be finite numbers`);

  mkdirDurable(dir);
  const weights = layout(ckpt.tensors, 0);
  const opt = ckpt.optimizer ? layout(ckpt.optimizer.tensors, weights.end) : null;
  const chunks = [...ckpt.tensors, ...(ckpt.optimizer?.tensors ?? [])].map((t) => bytesOf(t.data));
  const hash = createHash('sha256');
  for (const c of chunks) hash.update(c);
  const file = `${kind}-e${ckpt.epoch}-s${ckpt.step}-${randomBytes(4).toString('hex')}.bin`;
  writeFileAtomic(path.join(dir, file), chunks);

  // As written: the schema's input (a best score may be null, as JSON keeps -Infinity).
  const manifest: z.input<typeof manifestSchema> = {
    format: 'strata-checkpoint',
    version: 1,
    kind,
    epoch: ckpt.epoch,
    step: ckpt.step,
    savedAt: Date.now(),
    byteOrder: 'LE',
    data: { file, bytes: (opt?.end ?? weights.end) * 4, sha256: hash.digest('hex') },
    tensors: weights.entries,
    ...(ckpt.optimizer && opt
      ? { optimizer: { name: ckpt.optimizer.name, iterations: ckpt.optimizer.iterations, tensors: opt.entries } }
      : {}),
    ...(ckpt.rng ? { rng: ckpt.rng.slice() } : {}),
    // As typed: JSON writes a best score of -Infinity (nothing to beat yet) as null, which the schema reads back.
    ...(ckpt.extra ? { extra: ckpt.extra } : {}),
  };

  const current = manifestPath(dir, kind, false);
  const previous = manifestPath(dir, kind, true);
  let cur: ReturnType<typeof readManifest> = null;
  try {
    cur = readManifest(current);
  } catch (e) {
    // A damaged current checkpoint is replaced, but never kept as the fallback.
    if (!(e instanceof CheckpointCorruptError)) throw e;
  }
  // Only a verified checkpoint becomes the fallback; a damaged one leaves the older fallback in place.
  if (cur && dataIntact(dir, cur.manifest)) writeFileAtomic(previous, cur.text);
  writeFileAtomic(current, JSON.stringify(manifest));
  removeUnreferenced(dir, kind);
}

/** Deletes data files of `kind` that neither manifest names, and temporary files of killed writes. */
function removeUnreferenced(dir: string, kind: CheckpointFileKind): void {
  const keep = new Set<string>();
  for (const previous of [false, true]) {
    try {
      const m = readManifest(manifestPath(dir, kind, previous));
      if (m) keep.add(m.manifest.data.file);
    } catch {
      // unreadable manifest: keep every file, so nothing it might name is lost
      return;
    }
  }
  for (const name of fs.readdirSync(dir)) {
    const stale = (name.startsWith(`${kind}-e`) && name.endsWith('.bin') && !keep.has(name)) || (isAtomicTempName(name) && name.startsWith(`.${kind}`));
    if (stale) fs.rmSync(path.join(dir, name), { force: true });
  }
}

function tensorsFrom(entries: readonly TensorEntry[], data: Buffer, file: string): CheckpointTensor[] {
  return entries.map((e) => {
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (size !== e.length || (e.offset + e.length) * 4 > data.length) {
      throw new CheckpointCorruptError(file, `tensor ${e.name} does not fit the data file`);
    }
    // A copy, so each tensor owns an aligned buffer of its own.
    const bytes = data.subarray(e.offset * 4, (e.offset + e.length) * 4);
    const out = new Float32Array(e.length);
    new Uint8Array(out.buffer).set(bytes);
    return { name: e.name, shape: e.shape.slice(), data: out };
  });
}

/** Reads checkpoint `kind` (or the one before it) from `dir`; null when there is none. */
export function readCheckpoint(dir: string, kind: CheckpointFileKind, previous: boolean, what: string): Checkpoint | null {
  assertLittleEndian();
  const mfile = manifestPath(dir, kind, previous);
  const read = readManifest(mfile);
  if (!read) return null;
  const m = read.manifest;
  const dfile = path.join(dir, m.data.file);
  const fallback = previous ? '' : fallbackHint(dir, kind, what);
  let data: Buffer;
  try {
    data = fs.readFileSync(dfile);
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : 'UNKNOWN';
    throw new CheckpointCorruptError(mfile, `its data file ${m.data.file} cannot be read (${code}).${fallback}`);
  }
  const sha = createHash('sha256').update(data).digest('hex');
  if (data.length !== m.data.bytes || sha !== m.data.sha256) {
    throw new CheckpointCorruptError(
      mfile,
      `checkpoint and data do not match (a torn or damaged save): the manifest expects ${m.data.file} to hold ` +
        `${m.data.bytes} bytes with SHA-256 ${m.data.sha256.slice(0, 16)}…, the file has ${data.length} bytes ` +
        `with SHA-256 ${sha.slice(0, 16)}…. It was not loaded.${fallback}`,
    );
  }
  return {
    epoch: m.epoch,
    step: m.step,
    tensors: tensorsFrom(m.tensors, data, mfile),
    ...(m.optimizer
      ? { optimizer: { name: m.optimizer.name, iterations: m.optimizer.iterations, tensors: tensorsFrom(m.optimizer.tensors, data, mfile) } }
      : {}),
    ...(m.rng ? { rng: m.rng } : {}),
    ...(m.extra ? { extra: m.extra } : {}),
  };
}

function fallbackHint(dir: string, kind: CheckpointFileKind, what: string): string {
  try {
    const prev = readManifest(manifestPath(dir, kind, true));
    if (prev && dataPresent(dir, prev.manifest)) {
      return ` The previous ${kind} checkpoint of ${what} (epoch ${prev.manifest.epoch}, step ${prev.manifest.step}) is intact: load it with { previous: true }.`;
    }
  } catch {
    // no usable previous checkpoint to point at
  }
  return '';
}

/** The stored checkpoint `kind` without its data; null when there is none. */
export function checkpointInfo(dir: string, kind: CheckpointFileKind, previous: boolean): CheckpointInfo | null {
  const read = readManifest(manifestPath(dir, kind, previous));
  if (!read) return null;
  const m = read.manifest;
  return { kind, epoch: m.epoch, step: m.step, savedAt: m.savedAt, bytes: m.data.bytes };
}

/** A snapshot's folder name inside the ring's folder: `e<epoch>`. */
const SNAPSHOT_FOLDER = /^e([0-9]+)$/;

/** The ring's entry folders by epoch, whatever state they are in. */
function snapshotFolders(dir: string): { epoch: number; path: string }[] {
  const names = unlessMissing(() => fs.readdirSync(dir), [] as string[]);
  const out: { epoch: number; path: string }[] = [];
  for (const name of names) {
    const m = SNAPSHOT_FOLDER.exec(name);
    if (m) out.push({ epoch: Number(m[1]), path: path.join(dir, name) });
  }
  return out.sort((a, b) => a.epoch - b.epoch);
}

/**
 * Adds the weights of `ckpt` (no optimizer slots, no random state: a snapshot only predicts) to
 * the snapshot ring in `dir`, one folder `e<epoch>` per entry, and keeps the `keep` latest epochs.
 * Entries of this epoch or later are removed first: they belong to a timeline a resume or a rewind
 * left, so the ring always holds the epochs that led to this one. Disk: at most `keep` weight files
 * (one more for a moment while a save is under way).
 */
export function writeSnapshot(dir: string, ckpt: Checkpoint, keep: number, what: string): void {
  if (!Number.isInteger(keep) || keep < 1) throw new RunInputError(`${what}: a snapshot ring keeps at least 1 entry, got ${keep}`);
  for (const f of snapshotFolders(dir)) if (f.epoch >= ckpt.epoch) fs.rmSync(f.path, { recursive: true, force: true });
  const weights: Checkpoint = { epoch: ckpt.epoch, step: ckpt.step, tensors: ckpt.tensors, ...(ckpt.extra ? { extra: ckpt.extra } : {}) };
  writeCheckpoint(path.join(dir, `e${ckpt.epoch}`), 'snapshot', weights, `${what} (snapshot of epoch ${ckpt.epoch + 1})`);
  // The newest `keep` complete entries stay; older ones and leftovers of killed saves go.
  const complete = snapshotFolders(dir).filter((f) => fs.existsSync(manifestPath(f.path, 'snapshot', false)));
  const kept = new Set(complete.slice(-keep).map((f) => f.path));
  for (const f of snapshotFolders(dir)) if (!kept.has(f.path)) fs.rmSync(f.path, { recursive: true, force: true });
}

/** The snapshot ring's entries in `dir`, oldest epoch first. */
export function snapshotInfos(dir: string): CheckpointInfo[] {
  const out: CheckpointInfo[] = [];
  for (const f of snapshotFolders(dir)) {
    const info = checkpointInfo(f.path, 'snapshot', false);
    if (info && info.epoch === f.epoch) out.push(info);
  }
  return out;
}

/** The ring's snapshot of `epoch`; null when the ring does not hold it. */
export function readSnapshot(dir: string, epoch: number, what: string): Checkpoint | null {
  if (!Number.isInteger(epoch) || epoch < 0) throw new RunInputError(`${what}: a snapshot epoch is a non-negative integer, got ${epoch}`);
  return readCheckpoint(path.join(dir, `e${epoch}`), 'snapshot', false, `${what} (snapshot of epoch ${epoch + 1})`);
}
