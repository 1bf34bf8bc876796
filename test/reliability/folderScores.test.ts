/**
 * The Masks view's scores follow `strata score`'s rule (issue 20 item 1): a folder prediction of a
 * labelled folder whose import skipped an image or a mask comes without truth, with a note naming the
 * problem, so the viewer shows no score over only the images that imported. Real PNG files, a real
 * run store and the lab's own FolderPredictor.
 */
import fs from 'node:fs';
import path from 'node:path';
import { encode } from 'fast-png';
import { afterAll, describe, expect, it } from 'vitest';
import { Datasets } from '../../src-main/lab/datasets';
import { FolderPredictor } from '../../src-main/lab/folderPredict';
import { saveFolderPrediction } from '../../src-main/runs/folderPredictions';
import { RunStore } from '../../src-main/runs/store';
import { tempDir } from '../helpers/tempDir';
import { sampleInit } from '../runs/sample';

const H = 4;
const W = 3;
const root = tempDir('folder-scores');
const stores: RunStore[] = [];
afterAll(() => {
  for (const s of stores) s.close();
});

function png(file: string, fill: number): void {
  fs.writeFileSync(file, encode({ width: W, height: H, data: new Uint8Array(H * W).fill(fill), depth: 8, channels: 1 }));
}

/** A TGS-layout folder of `ids`, each with a mask unless it is in `noMask`. */
function labelledFolder(name: string, ids: string[], noMask: string[] = []): string {
  const dir = path.join(root, name);
  fs.mkdirSync(path.join(dir, 'images'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'masks'));
  for (const id of ids) {
    png(path.join(dir, 'images', `${id}.png`), 100);
    if (!noMask.includes(id)) png(path.join(dir, 'masks', `${id}.png`), 255);
  }
  return dir;
}

/** The page the Masks view gets for a stored prediction of `dir` (of the ids its import kept, as the trainer stores). */
async function pageOf(dir: string, ids: string[]) {
  const runsDir = path.join(root, `runs-${path.basename(dir)}`);
  const store = RunStore.open(runsDir);
  stores.push(store);
  const run = store.createRun(sampleInit());
  const info = saveFolderPrediction(runsDir, run.id, dir, { epoch: 0, ids, probs: new Uint8Array(ids.length * H * W).fill(255), height: H, width: W }, { threshold: 0.5, minArea: 0, tta: false, snapshots: 1, checkpointEpochs: [0], source: 'stored' });
  const predictor = new FolderPredictor(store, new Datasets(path.join(root, `data-${path.basename(dir)}`)), runsDir);
  return predictor.view(run.id, info.key, 0);
}

describe('folder predictions in the Masks view', () => {
  it('a clean labelled folder comes with its truth (scored)', async () => {
    const page = await pageOf(labelledFolder('clean', ['a', 'b']), ['a', 'b']);
    expect(page.truth).not.toBeNull();
    expect(page.truthNote).toBeNull();
  });

  it('a labelled folder with an image whose mask is missing comes without truth, and the note names the image', async () => {
    // The import keeps a and c; a score over them alone would leave b out.
    const page = await pageOf(labelledFolder('holes', ['a', 'b', 'c'], ['b']), ['a', 'c']);
    expect(page.truth).toBeNull();
    expect(page.truthNote).toBe(
      'not scored: 1 problem(s) of the data leave images or their truth out, and a score over the rest would flatter (images/b.png: no mask (no masks/b.png); the image was skipped)',
    );
    // The images are still there to look at.
    expect(page.images).not.toBeNull();
  });

  it('a duplicate id or a bad row outside the truth (depths.csv; train.csv where masks/ is the truth) leaves it scored', async () => {
    const depths = labelledFolder('depths-dup', ['a', 'b']);
    // A bad row there too (an error, but of a file the truth is not read from).
    fs.writeFileSync(path.join(depths, 'depths.csv'), 'id,z\na,10\na,10\nb,20\nc\n');
    const trainBeside = labelledFolder('train-beside-masks', ['a', 'b']);
    fs.writeFileSync(path.join(trainBeside, 'train.csv'), 'id,rle_mask\na,1 12\na,1 12\nb,1 12\n');
    for (const dir of [depths, trainBeside]) {
      const page = await pageOf(dir, ['a', 'b']);
      expect(page.truthNote, dir).toBeNull();
      expect(page.truth, dir).not.toBeNull();
    }
  });

  it('a duplicate id in the train.csv the truth is read from leaves it unscored', async () => {
    const dir = path.join(root, 'train-truth-dup');
    fs.mkdirSync(path.join(dir, 'images'), { recursive: true });
    for (const id of ['a', 'b']) png(path.join(dir, 'images', `${id}.png`), 100);
    fs.writeFileSync(path.join(dir, 'train.csv'), 'id,rle_mask\na,1 12\nb,1 12\nb,1 2\n');
    const page = await pageOf(dir, ['a', 'b']);
    expect(page.truth).toBeNull();
    expect(page.truthNote).toContain('train.csv line 4: id b already appeared on line 3');
  });
});
