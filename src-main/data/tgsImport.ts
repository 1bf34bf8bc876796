/**
 * Import of a folder in the Kaggle TGS layout:
 *
 *   images/ID.png      grey (or R=G=B RGB) images, all the same size
 *   masks/ID.png       optional 0/1 masks (any non-zero is salt)
 *   train.csv          optional `id,rle_mask` (see shared/data/rle.ts)
 *   depths.csv         optional `id,z`
 *
 * A folder that holds .png files directly (e.g. `test/images`) imports as unlabelled data.
 * Every file is checked; each problem names its file (and CSV line), and the good samples still
 * import. When both masks/ and train.csv exist, masks/ wins and the CSV is cross-checked (an empty
 * masks/ folder does not count).
 */
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { decodeRle } from '../../shared/data/rle';
import type { DatasetProblem, DatasetProblemCode } from '../../shared/data/types';
import { keyedRows, parseDecimal, readBytes, readTable } from './csvTable';
import type { CsvEntry, FileFailure } from './csvTable';
import { assembleDataset } from './dataset';
import type { Dataset } from './dataset';
import { decodeGreyPng, decodeMaskPng, PNG_HEADER_BYTES, readPngSize } from './png';
import type { GreyPng, MaskPng } from './png';
import { mapLimit } from './pool';

/**
 * Most pixels one import decodes, images and masks together, counted from their IHDRs before anything
 * is decoded: 2^28 (256 Mpixel of 2^20). Every decoded image and mask is held until the dataset is
 * packed, which copies them once more, so an import at the limit peaks near twice this in bytes over
 * what the process held (sixteen 4096x4096 grey images: 546 MiB); `PNG_MAX_INFLATED` (png.ts) bounds
 * the one decode on top. Kaggle's TGS test set, 18,000 images of 101x101 that folder prediction
 * imports, is 184 Mpixel; its training set with masks 82.
 */
export const IMPORT_MAX_PIXELS = 2 ** 28;

/** Options of `importTgsFolder`. */
export interface TgsImportOptions {
  /** Display name; defaults to the folder's name. */
  name?: string;
  /** Files read at once; default 16. */
  concurrency?: number;
  /** A depths.csv outside the folder (Kaggle keeps it beside `test/`, not inside). */
  depthsPath?: string;
  /** Most pixels decoded, images and masks together; default {@link IMPORT_MAX_PIXELS}. */
  maxPixels?: number;
  /** Called after each PNG file is read. */
  onProgress?: (done: number, total: number) => void;
}

/** Nothing usable could be imported; `problems` says why, file by file. */
export class DatasetImportError extends Error {
  constructor(
    message: string,
    readonly dir: string,
    readonly problems: DatasetProblem[],
  ) {
    super(message);
    this.name = 'DatasetImportError';
  }
}


interface Listing {
  /** id -> file name inside the folder. */
  pngs: Map<string, string>;
  others: string[];
}

const TRAIN_HEADER = ['id', 'rle_mask'];
const DEPTHS_HEADER = ['id', 'z'];

async function isDirectory(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isDirectory(), () => false);
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isFile(), () => false);
}

async function listFolder(dir: string): Promise<Listing> {
  const entries = await readdir(dir, { withFileTypes: true });
  const pngs = new Map<string, string>();
  const others: string[] = [];
  for (const entry of entries) {
    // Hidden files (.DS_Store, editor droppings) are nobody's data.
    // Symlinked files count (a dataset assembled from links); a dangling link becomes an unreadable-file problem.
    if (!(entry.isFile() || entry.isSymbolicLink()) || entry.name.startsWith('.')) continue;
    if (/\.png$/i.test(entry.name)) pngs.set(entry.name.slice(0, -4), entry.name);
    else others.push(entry.name);
  }
  return { pngs, others: others.sort() };
}

function size(w: number, h: number): string {
  return `${w}x${h}`;
}

function fileProblem(failure: FileFailure, rel: string, id: string): DatasetProblem {
  return { code: failure.code, severity: 'error', file: rel, id, message: `${rel}: ${failure.detail}` };
}

/** Resolves the folder layout; throws when there are no images at all. */
async function locate(dir: string, opts: TgsImportOptions) {
  const root = path.resolve(dir);
  if (!(await isDirectory(root))) throw new DatasetImportError(`${root} is not a folder`, root, []);
  const nested = path.join(root, 'images');
  const hasNested = await isDirectory(nested);
  const imagesDir = hasNested ? nested : root;
  const imagesRel = hasNested ? 'images/' : '';
  const masksDir = hasNested && (await isDirectory(path.join(root, 'masks'))) ? path.join(root, 'masks') : null;
  const trainCsv = (await isFile(path.join(root, 'train.csv'))) ? path.join(root, 'train.csv') : null;
  const localDepths = path.join(root, 'depths.csv');
  const depthsCsv = opts.depthsPath ?? ((await isFile(localDepths)) ? localDepths : null);
  return { root, imagesDir, imagesRel, masksDir, trainCsv, depthsCsv };
}

/** Whether masks/ holds the truth: an empty masks/ beside a train.csv is a leftover folder, not a claim that every mask is missing. */
function masksWin(listing: Listing | null, trainCsv: string | null): boolean {
  return listing !== null && (listing.pngs.size > 0 || trainCsv === null);
}

/**
 * The CSV a TGS folder's truth is read from, as its import reads it: `train.csv` (the name its
 * problems give it), or null where masks/ holds the truth, there is no train.csv, or `dir` is no folder.
 */
export async function truthFileOf(dir: string): Promise<string | null> {
  try {
    const { masksDir, trainCsv } = await locate(dir, {});
    if (trainCsv === null) return null;
    return masksWin(masksDir ? await listFolder(masksDir) : null, trainCsv) ? null : 'train.csv';
  } catch {
    return null;
  }
}

/** Imports a TGS-layout folder; see the module comment. Throws `DatasetImportError` only when nothing imports. */
export async function importTgsFolder(dir: string, opts: TgsImportOptions = {}): Promise<Dataset> {
  const where = await locate(dir, opts);
  const { root, imagesDir, imagesRel, masksDir, trainCsv, depthsCsv } = where;
  const problems: DatasetProblem[] = [];

  const images = await listFolder(imagesDir);
  const maskListing = masksDir ? await listFolder(masksDir) : null;
  // An empty masks/ beside a train.csv is a leftover folder, not a claim that every mask is missing.
  const masks = masksWin(maskListing, trainCsv) ? maskListing : null;
  // A bare folder of PNGs may hold anything else (CSV files, READMEs); only images/ is ours to police.
  for (const other of imagesRel ? images.others : []) {
    const rel = imagesRel + other;
    problems.push({ code: 'ignored-file', severity: 'warning', file: rel, message: `${rel}: not a .png file; ignored` });
  }
  for (const other of maskListing?.others ?? []) {
    const rel = `masks/${other}`;
    problems.push({ code: 'ignored-file', severity: 'warning', file: rel, message: `${rel}: not a .png file; ignored` });
  }
  const ids = [...images.pngs.keys()].sort();
  if (ids.length === 0) {
    throw new DatasetImportError(`no .png images in ${imagesDir}`, root, problems);
  }

  const limit = opts.concurrency ?? 16;
  const imageFiles = ids.map((id) => path.join(imagesDir, images.pngs.get(id) ?? ''));
  const maskNames = masks ? ids.map((id) => masks.pngs.get(id)).filter((name) => name !== undefined) : [];
  const maskFiles = maskNames.map((name) => path.join(masksDir ?? '', name));
  await checkPixelBudget(root, imageFiles, maskFiles, { limit, maxPixels: opts.maxPixels ?? IMPORT_MAX_PIXELS, problems });

  // Read and decode every PNG with bounded concurrency; decoding is synchronous, reading is not.
  const total = ids.length + (masks ? ids.filter((id) => masks.pngs.has(id)).length : 0);
  let done = 0;
  const tick = (): void => {
    done++;
    opts.onProgress?.(done, total);
  };
  const decodedImages = await mapLimit(ids, limit, async (id): Promise<GreyPng | FileFailure> => {
    const bytes = await readBytes(path.join(imagesDir, images.pngs.get(id) ?? ''));
    tick();
    return bytes instanceof Uint8Array ? decodeGreyPng(bytes) : bytes;
  });
  const decodedMasks = masks
    ? await mapLimit(ids, limit, async (id): Promise<MaskPng | FileFailure | null> => {
        const name = masks.pngs.get(id);
        if (name === undefined) return null;
        const bytes = await readBytes(path.join(masksDir ?? '', name));
        tick();
        return bytes instanceof Uint8Array ? decodeMaskPng(bytes) : bytes;
      })
    : null;

  // The dataset's size is the most common image size; the first image of that size is the example.
  const sizeCounts = new Map<string, { w: number; h: number; count: number; example: string }>();
  decodedImages.forEach((img, i) => {
    if (!img.ok) return;
    const key = size(img.width, img.height);
    const entry = sizeCounts.get(key);
    if (entry) entry.count++;
    else sizeCounts.set(key, { w: img.width, h: img.height, count: 1, example: imagesRel + (images.pngs.get(ids[i] ?? '') ?? '') });
  });
  const reference = [...sizeCounts.values()].reduce<{ w: number; h: number; count: number; example: string } | null>(
    (best, e) => (best === null || e.count > best.count ? e : best),
    null,
  );

  const trainTable = trainCsv ? await readTable(trainCsv, 'train.csv', TRAIN_HEADER, problems) : null;
  const rleRows = trainTable
    ? keyedRows(trainTable, 'train.csv', problems, (raw) => raw)
    : new Map<string, CsvEntry<string>>();
  const depthsRel = depthsCsv ? path.relative(root, depthsCsv).split(path.sep).join('/') : 'depths.csv';
  const depthsTable = depthsCsv ? await readTable(depthsCsv, depthsRel, DEPTHS_HEADER, problems) : null;
  const depthRows = depthsTable
    ? keyedRows(depthsTable, depthsRel, problems, (raw, id, line) => {
        const z = parseDecimal(raw);
        if (Number.isFinite(z)) return z;
        problems.push({
          code: 'bad-depth',
          severity: 'warning',
          file: depthsRel,
          line,
          id,
          message: `${depthsRel} line ${line}: depth "${raw}" for ${id} is not a number; the depth is unknown`,
        });
        return null;
      })
    : null;

  const labelled = masks !== null || trainCsv !== null;
  const accepted: { index: number; mask: Uint8Array | null }[] = [];

  ids.forEach((id, i) => {
    const img = decodedImages[i] as GreyPng | FileFailure;
    const imageRel = imagesRel + (images.pngs.get(id) ?? '');
    if (!img.ok) {
      problems.push(fileProblem(img, imageRel, id));
      return;
    }
    if (reference && (img.width !== reference.w || img.height !== reference.h)) {
      problems.push({
        code: 'size-mismatch',
        severity: 'error',
        file: imageRel,
        id,
        message: `${imageRel}: ${size(img.width, img.height)}, expected ${size(reference.w, reference.h)} like ${reference.example} (and ${reference.count - 1} other images)`,
      });
      return;
    }
    if (img.colour) {
      problems.push({
        code: 'colour-image',
        severity: 'warning',
        file: imageRel,
        id,
        message: `${imageRel}: colour pixels (R, G, B differ); imported as the mean of R, G and B`,
      });
    }
    if (!labelled) {
      accepted.push({ index: i, mask: null });
      return;
    }
    const row = rleRows.get(id);
    const decodeRow = (entry: CsvEntry<string>, severity: 'error' | 'warning'): Uint8Array | null => {
      const result = decodeRle(entry.value, img.height, img.width);
      if (result.ok) return result.mask;
      problems.push({
        code: 'bad-rle',
        severity,
        file: 'train.csv',
        line: entry.line,
        id,
        message: `train.csv line ${entry.line}: bad RLE for ${id}: ${result.error}`,
      });
      return null;
    };
    if (masks && decodedMasks) {
      const maskRel = `masks/${masks.pngs.get(id) ?? `${id}.png`}`;
      const m = decodedMasks[i];
      if (!m) {
        problems.push(missingMask(id, imageRel, `no ${maskRel}`));
        return;
      }
      if (!m.ok) {
        problems.push(fileProblem(m, maskRel, id));
        return;
      }
      if (m.width !== img.width || m.height !== img.height) {
        problems.push({
          code: 'size-mismatch',
          severity: 'error',
          file: maskRel,
          id,
          message: `${maskRel}: ${size(m.width, m.height)}, expected ${size(img.width, img.height)} like ${imageRel}`,
        });
        return;
      }
      if (trainTable) crossCheck(id, maskRel, m.mask, row, decodeRow, problems);
      accepted.push({ index: i, mask: m.mask });
      return;
    }
    if (!row) {
      problems.push(missingMask(id, imageRel, trainTable ? 'no row in train.csv' : 'train.csv is unusable'));
      return;
    }
    const mask = decodeRow(row, 'error');
    if (mask) accepted.push({ index: i, mask });
  });

  // Masks and CSV rows whose image does not exist at all.
  const imageIds = new Set(ids);
  for (const [id, name] of masks?.pngs ?? []) {
    if (imageIds.has(id)) continue;
    const rel = `masks/${name}`;
    problems.push(missingImage(id, rel, undefined, `${rel}: no ${imagesRel}${id}.png for this mask`));
  }
  for (const [id, entry] of rleRows) {
    if (imageIds.has(id)) continue;
    problems.push(
      missingImage(id, 'train.csv', entry.line, `train.csv line ${entry.line}: no ${imagesRel}${id}.png for id ${id}`),
    );
  }

  problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? 0) - (b.line ?? 0)));
  if (accepted.length === 0 || !reference) {
    const counts = new Map<DatasetProblemCode, number>();
    for (const p of problems) counts.set(p.code, (counts.get(p.code) ?? 0) + 1);
    const summary = [...counts]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([code, n]) => `${n} ${code}`)
      .join(', ');
    throw new DatasetImportError(`no usable samples in ${root} (${summary})`, root, problems);
  }

  const { w, h } = reference;
  const pixels = w * h;
  const packedImages = new Uint8Array(accepted.length * pixels);
  const packedMasks = labelled ? new Uint8Array(accepted.length * pixels) : null;
  const packedDepths = depthRows ? new Float64Array(accepted.length).fill(NaN) : null;
  const acceptedIds: string[] = [];
  accepted.forEach((a, k) => {
    const id = ids[a.index] ?? '';
    acceptedIds.push(id);
    packedImages.set((decodedImages[a.index] as GreyPng).pixels, k * pixels);
    if (packedMasks && a.mask) packedMasks.set(a.mask, k * pixels);
    const z = depthRows?.get(id);
    if (packedDepths && z) packedDepths[k] = z.value;
  });

  return assembleDataset(
    { name: opts.name ?? path.basename(root), source: { kind: 'folder', path: root }, synthetic: false, problems },
    acceptedIds,
    h,
    w,
    packedImages,
    packedMasks,
    packedDepths,
  );
}

/** The first {@link PNG_HEADER_BYTES} bytes of a file; none when it cannot be read (its decode says why). */
async function readHead(file: string): Promise<Uint8Array> {
  try {
    const handle = await open(file, 'r');
    try {
      const { buffer, bytesRead } = await handle.read(new Uint8Array(PNG_HEADER_BYTES), 0, PNG_HEADER_BYTES, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    return new Uint8Array(0);
  }
}

/**
 * Refuses the import, before anything is decoded, when its images and masks hold more pixels than
 * `maxPixels`, by their IHDRs. A file whose header a decode would refuse is not counted: it is not
 * decoded, and its decode reports it.
 */
async function checkPixelBudget(
  root: string,
  imageFiles: string[],
  maskFiles: string[],
  opts: { limit: number; maxPixels: number; problems: DatasetProblem[] },
): Promise<void> {
  const pixelsOf = async (file: string): Promise<number> => {
    const header = readPngSize(await readHead(file));
    return 'ok' in header ? 0 : header.width * header.height;
  };
  const counted = await mapLimit([...imageFiles, ...maskFiles], opts.limit, pixelsOf);
  const pixels = counted.reduce((a, b) => a + b, 0);
  if (pixels <= opts.maxPixels) return;
  const count = (n: number): string => `${n} pixels${n >= 2 ** 20 ? ` (${Math.floor(n / 2 ** 20)} Mpixel)` : ''}`;
  const files = `${imageFiles.length} images${maskFiles.length > 0 ? ` and ${maskFiles.length} masks` : ''}`;
  throw new DatasetImportError(
    `${root}: its ${files} hold ${count(pixels)}; one import decodes at most ${count(opts.maxPixels)}, so nothing was decoded; import fewer or smaller images`,
    root,
    opts.problems,
  );
}

function missingMask(id: string, imageRel: string, why: string): DatasetProblem {
  return {
    code: 'missing-mask',
    severity: 'error',
    file: imageRel,
    id,
    message: `${imageRel}: no mask (${why}); the image was skipped`,
  };
}

function missingImage(id: string, file: string, line: number | undefined, message: string): DatasetProblem {
  return line === undefined
    ? { code: 'missing-image', severity: 'error', file, id, message }
    : { code: 'missing-image', severity: 'error', file, line, id, message };
}

/** masks/ wins; the CSV row must agree with it, else a warning says where it differs. */
function crossCheck(
  id: string,
  maskRel: string,
  mask: Uint8Array,
  row: CsvEntry<string> | undefined,
  decodeRow: (entry: CsvEntry<string>, severity: 'error' | 'warning') => Uint8Array | null,
  problems: DatasetProblem[],
): void {
  if (!row) {
    problems.push({
      code: 'missing-rle',
      severity: 'warning',
      file: 'train.csv',
      id,
      message: `train.csv: no row for ${id}; its mask was taken from ${maskRel}`,
    });
    return;
  }
  const fromCsv = decodeRow(row, 'warning');
  if (!fromCsv) return;
  let differing = 0;
  for (let p = 0; p < mask.length; p++) if (mask[p] !== fromCsv[p]) differing++;
  if (differing > 0) {
    problems.push({
      code: 'rle-mismatch',
      severity: 'warning',
      file: 'train.csv',
      line: row.line,
      id,
      message: `train.csv line ${row.line}: RLE for ${id} differs from ${maskRel} in ${differing} pixels; ${maskRel} was used`,
    });
  }
}
