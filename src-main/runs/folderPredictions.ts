/**
 * Predictions of a run on a folder of images, kept in the run's folder so they survive restarts:
 * `folder-predictions/<key>/` holds `folder.json` (what was predicted, by which epoch) and the
 * probabilities in the predictions file format (`epoch-<n>.bin`). The key is a hash of the folder's
 * absolute path, so predicting the same folder again replaces the earlier result.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { FOLDER_KEY_PATTERN } from '../../shared/api/schemas';
import type { FolderPrediction } from '../../shared/api/types';
import { predictionPostprocessSchema, type PredictionPostprocess } from '../../shared/runs/postprocess';
import type { RunPredictions } from '../../shared/runs/types';
import { unlessMissing, writeFileAtomic } from './atomic';
import { RunStoreCorruptError } from './errors';
import { runFolder } from './ids';
import { parseJson } from './parse';
import { predictionEpochsIn, readPredictions, writePredictions } from './predictions';


const metaSchema = z.object({
  path: z.string().min(1),
  epoch: z.number().int().nonnegative(),
  count: z.number().int().nonnegative(),
  height: z.number().int().positive(),
  width: z.number().int().positive(),
  createdAt: z.number(),
  /**
   * Predictions stored before their post-processing was recorded kept only the threshold they
   * applied (the best epoch's tuned one, or null), under this name; newer ones have `postprocess`.
   */
  tunedThreshold: z.number().nullable().optional(),
  /** What the probabilities were made with and how masks are made of them; null for predictions stored before it was recorded. */
  postprocess: predictionPostprocessSchema.nullable().default(null),
  /** Each image's salt-head probability (its vote needs them); null without a salt head. Kept here, so one atomic write keeps them with the rest. */
  saltProbs: z.array(z.number().min(0).max(1)).nullable().default(null),
});
type Meta = z.infer<typeof metaSchema>;

/** What a folder prediction stores besides its probabilities and its post-processing. */
export interface FolderPredictionExtras {
  /** One per image, from a design's salt head. */
  saltProbs?: Float32Array | null;
  now?: number;
}

/** The key of the folder at `absPath`. */
export function folderKey(absPath: string): string {
  return createHash('sha256').update(path.resolve(absPath)).digest('hex').slice(0, 16);
}

function baseDir(runsDir: string, runId: string): string {
  return path.join(runFolder(runsDir, runId), 'folder-predictions');
}

function keyDir(runsDir: string, runId: string, key: string): string {
  if (!FOLDER_KEY_PATTERN.test(key)) throw new RangeError(`not a folder-prediction key: ${JSON.stringify(key)}`);
  return path.join(baseDir(runsDir, runId), key);
}

/**
 * Stores run `runId`'s predictions of the folder at `absPath`: the probabilities first, then the
 * description, then removes what an earlier prediction of the same folder left. `postprocess` is
 * everything the prediction applied (its threshold is the one the masks are made at).
 */
export function saveFolderPrediction(
  runsDir: string,
  runId: string,
  absPath: string,
  p: RunPredictions,
  postprocess: PredictionPostprocess,
  extras: FolderPredictionExtras = {},
): FolderPrediction {
  const key = folderKey(absPath);
  const dir = keyDir(runsDir, runId, key);
  const salt = extras.saltProbs ?? null;
  if (salt && salt.length !== p.ids.length) throw new RangeError(`${salt.length} salt probabilities for ${p.ids.length} images`);
  writePredictions(dir, p, `run ${runId}, predictions of ${absPath}`);
  const meta: Meta = {
    path: path.resolve(absPath),
    epoch: p.epoch,
    count: p.ids.length,
    height: p.height,
    width: p.width,
    createdAt: extras.now ?? Date.now(),
    postprocess,
    saltProbs: salt ? Array.from(salt) : null,
  };
  writeFileAtomic(path.join(dir, 'folder.json'), `${JSON.stringify(meta)}\n`);
  for (const e of predictionEpochsIn(dir)) if (e !== p.epoch) fs.rmSync(path.join(dir, `epoch-${e}.bin`), { force: true });
  return infoOf(runId, key, meta);
}

function infoOf(runId: string, key: string, meta: Meta): FolderPrediction {
  const { saltProbs: _s, tunedThreshold, ...rest } = meta;
  return { runId, key, ...rest, threshold: meta.postprocess?.threshold ?? tunedThreshold ?? null };
}

function readMeta(runsDir: string, runId: string, key: string): Meta | null {
  const file = path.join(keyDir(runsDir, runId, key), 'folder.json');
  const text = unlessMissing(() => fs.readFileSync(file, 'utf8'), null);
  return text === null ? null : parseJson(metaSchema, text, file);
}

/** The description of one stored folder prediction; null when there is none under `key`. */
export function folderPredictionInfo(runsDir: string, runId: string, key: string): FolderPrediction | null {
  const meta = readMeta(runsDir, runId, key);
  return meta === null ? null : infoOf(runId, key, meta);
}

/** Every stored folder prediction of a run, newest first. Unreadable entries are skipped. */
export function listFolderPredictions(runsDir: string, runId: string): FolderPrediction[] {
  const names = unlessMissing(() => fs.readdirSync(baseDir(runsDir, runId)), []);
  const out: FolderPrediction[] = [];
  for (const n of names.filter((x) => FOLDER_KEY_PATTERN.test(x))) {
    try {
      const info = folderPredictionInfo(runsDir, runId, n);
      if (info) out.push(info);
    } catch {
      // A half-written or damaged entry is not listed; predicting the folder again rewrites it.
    }
  }
  return out.sort((a, b) => b.createdAt - a.createdAt);
}

/** The stored probabilities of a folder prediction (and its salt probabilities, null without a salt head); null when there is none. */
export function loadFolderPrediction(
  runsDir: string,
  runId: string,
  key: string,
): { info: FolderPrediction; predictions: RunPredictions; saltProbs: Float32Array | null } | null {
  const meta = readMeta(runsDir, runId, key);
  if (!meta) return null;
  const dir = keyDir(runsDir, runId, key);
  const predictions = readPredictions(dir, meta.epoch);
  if (!predictions) throw new RunStoreCorruptError(path.join(dir, `epoch-${meta.epoch}.bin`), 'missing although folder.json names it');
  if (meta.saltProbs && meta.saltProbs.length !== predictions.ids.length) {
    throw new RunStoreCorruptError(path.join(dir, 'folder.json'), `holds ${meta.saltProbs.length} salt probabilities for ${predictions.ids.length} images`);
  }
  return { info: infoOf(runId, key, meta), predictions, saltProbs: meta.saltProbs ? Float32Array.from(meta.saltProbs) : null };
}
