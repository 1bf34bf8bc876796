/**
 * Folder predictions and submissions on the lab side: the trainer-process protocol (with a stand-in
 * process that stores known probabilities), storage in the run's folder, pages with the folder's
 * images, and the submission path checks and file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encode } from 'fast-png';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeRle } from '../../shared/data/rle';
import type { PredictionPostprocess } from '../../shared/runs/postprocess';
import type { TrainerCommand } from '../../shared/training/protocol';
import { Datasets } from '../../src-main/lab/datasets';
import { LabError } from '../../src-main/lab/errors';
import { FolderPredictor } from '../../src-main/lab/folderPredict';
import type { TrainerChild } from '../../src-main/lab/trainerHost';
import { saveFolderPrediction } from '../../src-main/runs/folderPredictions';
import { RunStore } from '../../src-main/runs/store';
import { sampleInit } from '../runs/sample';

const made: string[] = [];
const scratch = (tag: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `strata-masks-${tag}-`));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const H = 4;
const W = 3;
/** What the stand-in says it applied: the best checkpoint (epoch 3) at threshold 0.4. */
const BEST_AT_04: PredictionPostprocess = { threshold: 0.4, minArea: 0, tta: false, snapshots: 1, checkpointEpochs: [3], source: 'stored' };
/** Image k of the folder: every pixel 10*k + 1. */
function writeFolder(ids: string[]): string {
  const dir = scratch('images');
  ids.forEach((id, k) => fs.writeFileSync(path.join(dir, `${id}.png`), encode({ width: W, height: H, data: new Uint8Array(H * W).fill(10 * k + 1), depth: 8, channels: 1 })));
  return dir;
}

/** Probabilities the stand-in stores: image k has its first k+1 pixels at 200 (0.78), the rest 0. */
function knownProbs(n: number): Uint8Array {
  const p = new Uint8Array(n * H * W);
  for (let k = 0; k < n; k++) for (let i = 0; i <= k; i++) p[k * H * W + i] = 200;
  return p;
}

/** A stand-in trainer process: answers `predict` as the real one would, or dies without a result. */
function standIn(runsDir: string, behaviour: 'ok' | 'dies'): () => TrainerChild {
  return () => {
    const listeners: ((m: unknown) => void)[] = [];
    const exits: ((code: number | null, signal: NodeJS.Signals | null) => void)[] = [];
    return {
      pid: 1,
      send: (c: TrainerCommand) => {
        if (c.type !== 'predict') return;
        setTimeout(() => {
          if (behaviour === 'dies') return exits.forEach((l) => l(null, 'SIGKILL'));
          const ids = fs.readdirSync(c.job.folder).map((f) => f.replace(/\.png$/, '')).sort();
          const info = saveFolderPrediction(runsDir, c.job.runId, c.job.folder, { epoch: 3, ids, probs: knownProbs(ids.length), height: H, width: W }, BEST_AT_04);
          for (const l of listeners) l({ type: 'predict-progress', done: ids.length, total: ids.length });
          for (const l of listeners) l({ type: 'predict-result', key: info.key, count: info.count, epoch: info.epoch });
        }, 5);
      },
      onMessage: (l) => listeners.push(l),
      onExit: (l) => exits.push(l),
      onError: () => undefined,
      kill: () => undefined,
    };
  };
}

function setUp(behaviour: 'ok' | 'dies' = 'ok') {
  const runsDir = scratch('runs');
  const store = RunStore.open(runsDir);
  const run = store.createRun(sampleInit());
  store.saveCheckpoint(run.id, 'best', { epoch: 3, step: 8, tensors: [] });
  const predictor = new FolderPredictor(store, new Datasets(scratch('data')), runsDir, standIn(runsDir, behaviour));
  return { store, runId: run.id, predictor };
}

describe('FolderPredictor', () => {
  it('predicts a folder in a trainer process, stores it in the run folder, and pages it with the images and no truth', async () => {
    const { store, runId, predictor } = setUp();
    const folder = writeFolder(['c', 'b', 'a']);
    const info = await predictor.predict(runId, folder);
    expect(info).toMatchObject({ runId, path: folder, epoch: 3, count: 3, height: H, width: W, threshold: 0.4, postprocess: BEST_AT_04 });
    expect(info.key).toMatch(/^[0-9a-f]{16}$/);
    expect(predictor.list(runId).map((f) => f.key)).toEqual([info.key]);

    const page = await predictor.view(runId, info.key, 1, 1);
    expect(page).toMatchObject({ total: 3, offset: 1, ids: ['b'], truth: null, depths: null });
    expect(page.truthNote).toMatch(/unlabelled/);
    // 'b' is the second image by id (the folder was written c, b, a: b with grey 10*1+1 = 11); the stand-in gave it two pixels at 200.
    expect([...Buffer.from(page.images ?? '', 'base64')]).toEqual(new Array(H * W).fill(11));
    expect([...Buffer.from(page.probs, 'base64')].slice(0, 3)).toEqual([200, 200, 0]);
    store.close();
  });

  it('pages a salt-head prediction with its salt probabilities, so the view can draw the vote the export applies', async () => {
    const { store, runId, predictor } = setUp();
    const folder = writeFolder(['a', 'b', 'c']);
    const ids = ['a', 'b', 'c'];
    const rule: PredictionPostprocess = { ...BEST_AT_04, saltCut: 0.5 };
    const info = saveFolderPrediction(store.root, runId, folder, { epoch: 3, ids, probs: knownProbs(3), height: H, width: W }, rule, { saltProbs: Float32Array.from([0.9, 0.2, 0.7]) });
    const page = await predictor.view(runId, info.key, 1, 2);
    expect(page.ids).toEqual(['b', 'c']);
    expect(page.saltProbs?.map((p) => Math.round(p * 10) / 10)).toEqual([0.2, 0.7]);
    // The export votes b empty (0.2 < 0.5), as the view now can: a and c keep their salt.
    const out = path.join(scratch('out'), 'vote.csv');
    expect(predictor.exportSubmission(runId, { kind: 'folder', key: info.key }, 0.4, out)).toMatchObject({ withSalt: 2 });
    expect(fs.readFileSync(out, 'utf8').split('\n')[2]).toBe('b,');
    store.close();
  });

  it('reports a prediction process that dies without a result, and refuses a missing folder', async () => {
    const { store, runId, predictor } = setUp('dies');
    await expect(predictor.predict(runId, writeFolder(['a']))).rejects.toThrow(/ended \(SIGKILL\) without a result/);
    await expect(predictor.predict(runId, '/no/such/folder')).rejects.toThrow(/there is no folder at \/no\/such\/folder/);
    store.close();
  });

  it('writes a submission at the threshold, and refuses paths that are not a .csv file in an existing folder', async () => {
    const { store, runId, predictor } = setUp();
    const folder = writeFolder(['a', 'b']);
    const { key } = await predictor.predict(runId, folder);
    const out = path.join(scratch('out'), 'sub.csv');
    // 200/255 = 0.784: salt at 0.5, nothing at 0.8.
    const r = predictor.exportSubmission(runId, { kind: 'folder', key }, 0.5, out);
    expect(r).toEqual({ path: out, rows: 2, withSalt: 2, threshold: 0.5, minArea: 0 });
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('id,rle_mask');
    const [id, rle] = (lines[2] ?? '').split(',');
    expect(id).toBe('b');
    const mask = decodeRle(rle ?? '', H, W);
    // Image 'b' (k = 1) has row-major pixels 0 and 1 predicted.
    expect(mask.ok && Array.from(mask.mask)).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // A second export to the same submission replaces it only when asked to (the user confirmed).
    expect(predictor.exportSubmission(runId, { kind: 'folder', key }, 0.8, out, undefined, true).withSalt).toBe(0);

    for (const [bad, why] of [
      [path.join(folder, 'x.txt'), /ends in \.csv/],
      ['/no/such/dir/x.csv', /not an existing folder/],
    ] as const) {
      expect(() => predictor.exportSubmission(runId, { kind: 'folder', key }, 0.5, bad)).toThrow(why);
    }
    fs.mkdirSync(path.join(folder, 'd.csv'));
    expect(() => predictor.exportSubmission(runId, { kind: 'folder', key }, 0.5, path.join(folder, 'd.csv'))).toThrow(LabError);
    expect(() => predictor.exportSubmission(runId, { kind: 'epoch', epoch: 9 }, 0.5, out)).toThrow(/no predictions for epoch 9/);
    store.close();
  });

  it('applies the minimum area the prediction was made with, unless the export names one', () => {
    const { store, runId, predictor } = setUp();
    const runsDir = store.root;
    const folder = writeFolder(['a', 'b', 'c']);
    // As the predict job stores it: what the run applied, here a minimum area of 2 pixels.
    const ids = ['a', 'b', 'c'];
    const info = saveFolderPrediction(runsDir, runId, folder, { epoch: 3, ids, probs: knownProbs(3), height: H, width: W }, {
      threshold: 0.5,
      minArea: 2,
      tta: true,
      snapshots: 2,
      checkpointEpochs: [2, 3],
      source: 'stored',
    });
    const out = path.join(scratch('out'), 'sub.csv');
    // Images a, b, c have 1, 2 and 3 salt pixels: the area of 2 clears a alone.
    expect(predictor.exportSubmission(runId, { kind: 'folder', key: info.key }, 0.5, out)).toMatchObject({ withSalt: 2, minArea: 2 });
    expect(fs.readFileSync(out, 'utf8').split('\n')[1]).toBe('a,');
    expect(predictor.exportSubmission(runId, { kind: 'folder', key: info.key }, 0.5, out, 0, true)).toMatchObject({ withSalt: 3, minArea: 0 });
    expect(predictor.exportSubmission(runId, { kind: 'folder', key: info.key }, 0.5, out, 3, true)).toMatchObject({ withSalt: 1, minArea: 3 });
    store.close();
  });

  it('gives the applied threshold: its post-processing\'s, or for an older stored prediction the threshold it was stored with', () => {
    const { store, runId, predictor } = setUp();
    const runsDir = store.root;
    const folder = writeFolder(['a', 'b']);
    const info = saveFolderPrediction(runsDir, runId, folder, { epoch: 3, ids: ['a', 'b'], probs: knownProbs(2), height: H, width: W }, BEST_AT_04);
    expect(info.threshold).toBe(0.4);
    // The file holds the post-processing alone: the threshold is not kept twice.
    const file = path.join(runsDir, runId, 'folder-predictions', info.key, 'folder.json');
    const meta = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(meta).not.toHaveProperty('tunedThreshold');
    expect(meta['postprocess']).toEqual(BEST_AT_04);
    // As an older Strata wrote it: the threshold under its old name, no post-processing.
    const { postprocess: _p, ...old } = meta;
    fs.writeFileSync(file, JSON.stringify({ ...old, tunedThreshold: 0.35 }));
    expect(predictor.list(runId)[0]).toMatchObject({ threshold: 0.35, postprocess: null });
    expect(predictor.list(runId)[0]).not.toHaveProperty('tunedThreshold');
    fs.writeFileSync(file, JSON.stringify({ ...old, tunedThreshold: null }));
    expect(predictor.list(runId)[0]?.threshold).toBeNull();
    store.close();
  });
});
