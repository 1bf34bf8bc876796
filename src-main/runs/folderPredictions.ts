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
  tunedThreshold: z.number().nullable(),
  /** What the probabilities were made with and how masks are made of them; null for predictions stored before it was recorded. */
  postprocess: predictionPostprocessSchema.nullable().default(null),
});

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
 * description, then removes what an earlier prediction of the same folder left. `tunedThreshold` is
 * the threshold the run applies; `postprocess`, everything the prediction applied.
 */
export function saveFolderPrediction(
  runsDir: string,
  runId: string,
  absPath: string,
  p: RunPredictions,
  tunedThreshold: number | null,
  postprocess: PredictionPostprocess | null = null,
  now = Date.now(),
): FolderPrediction {
  const key = folderKey(absPath);
  const dir = keyDir(runsDir, runId, key);
  writePredictions(dir, p, `run ${runId}, predictions of ${absPath}`);
  const meta: z.infer<typeof metaSchema> = {
    path: path.resolve(absPath),
    epoch: p.epoch,
    count: p.ids.length,
    height: p.height,
    width: p.width,
    createdAt: now,
    tunedThreshold,
    postprocess,
  };
  writeFileAtomic(path.join(dir, 'folder.json'), `${JSON.stringify(meta, null, 2)}\n`);
  for (const e of predictionEpochsIn(dir)) if (e !== p.epoch) fs.rmSync(path.join(dir, `epoch-${e}.bin`), { force: true });
  return { runId, key, ...meta };
}

/** The description of one stored folder prediction; null when there is none under `key`. */
export function folderPredictionInfo(runsDir: string, runId: string, key: string): FolderPrediction | null {
  const file = path.join(keyDir(runsDir, runId, key), 'folder.json');
  const text = unlessMissing(() => fs.readFileSync(file, 'utf8'), null);
  return text === null ? null : { runId, key, ...parseJson(metaSchema, text, file) };
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

/** The stored probabilities of a folder prediction; null when there is none. */
export function loadFolderPrediction(runsDir: string, runId: string, key: string): { info: FolderPrediction; predictions: RunPredictions } | null {
  const info = folderPredictionInfo(runsDir, runId, key);
  if (!info) return null;
  const dir = keyDir(runsDir, runId, key);
  const predictions = readPredictions(dir, info.epoch);
  if (!predictions) throw new RunStoreCorruptError(path.join(dir, `epoch-${info.epoch}.bin`), 'missing although folder.json names it');
  return { info, predictions };
}
