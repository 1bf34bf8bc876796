/**
 * Paths the page names cannot hurt (issue 20 item 3): a submission export never replaces a file
 * unasked, never one that is not a submission (a dataset's train.csv included), and dataset import,
 * folder prediction and export never reach into the lab's own data or runs folder, links followed.
 * Through the lab's API dispatch, on a real lab with a real run store and real files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src-main/lab/handlers';
import type { LabService } from '../../src-main/lab/service';
import { dispatchCall } from '../../src-main/lab/transport/dispatch';
import { RunStore } from '../../src-main/runs/store';
import { greyPng, openLab, scratchDir } from '../lab/helpers';
import { sampleInit } from '../runs/sample';

let lab: LabService;
let handlers: ReturnType<typeof createHandlers>;
let home = '';
let outside = '';
let runId = '';

beforeAll(() => {
  const root = scratchDir('write-anywhere');
  home = path.join(root, 'home');
  outside = path.join(root, 'out');
  fs.mkdirSync(outside);
  // A run with stored predictions of two 2x2 images, made before the lab opens its store.
  const store = RunStore.open(path.join(home, 'runs'));
  runId = store.createRun(sampleInit()).id;
  store.savePredictions(runId, 0, ['a', 'b'], Uint8Array.from([255, 0, 0, 0, 0, 0, 0, 0]), 2, 2);
  store.close();
  lab = openLab(home);
  handlers = createHandlers(lab);
});
afterAll(async () => {
  await lab.close();
});

const exportTo = (file: string, extra: Record<string, unknown> = {}) =>
  dispatchCall(handlers, 'exportSubmission', { id: runId, source: { kind: 'epoch', epoch: 0 }, threshold: 0.5, path: file, ...extra });

describe('exportSubmission', () => {
  it('writes a new file, refuses to replace it unasked (conflict), and replaces it when asked', async () => {
    const file = path.join(outside, 'sub.csv');
    expect(await exportTo(file)).toMatchObject({ ok: true, value: { path: file, rows: 2 } });
    fs.writeFileSync(file, 'id,rle_mask\na,1 1\n');
    const again = await exportTo(file);
    expect(again).toEqual({
      ok: false,
      error: { code: 'conflict', message: `${file} exists (a submission); confirm to replace it (overwrite: true) or choose another file name`, issues: [{ path: 'path', message: 'exists' }] },
    });
    expect(fs.readFileSync(file, 'utf8')).toBe('id,rle_mask\na,1 1\n');
    expect(await exportTo(file, { overwrite: true })).toMatchObject({ ok: true });
    expect(fs.readFileSync(file, 'utf8')).toBe('id,rle_mask\na,1 1\nb,\n');
  });

  it('never replaces a file that is not a submission, nor a dataset\'s own train.csv, even when asked', async () => {
    const depths = path.join(outside, 'depths-copy.csv');
    fs.writeFileSync(depths, 'id,z\na,100\n');
    const r = await exportTo(depths, { overwrite: true });
    expect(r).toMatchObject({ ok: false, error: { code: 'forbidden', message: `${depths} exists and is not a submission (its first line is "id,z", not "id,rle_mask"); it is never replaced, so choose another file name` } });
    expect(fs.readFileSync(depths, 'utf8')).toBe('id,z\na,100\n');
    // A TGS folder's train.csv has the submission header, and is the truth.
    const dataset = path.join(outside, 'tgs');
    fs.mkdirSync(path.join(dataset, 'images'), { recursive: true });
    const train = path.join(dataset, 'train.csv');
    fs.writeFileSync(train, 'id,rle_mask\na,1 4\n');
    const t = await exportTo(train, { overwrite: true });
    expect(t).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringContaining("train.csv is the name of a dataset's own file") } });
    expect(fs.readFileSync(train, 'utf8')).toBe('id,rle_mask\na,1 4\n');
  });

  it("never replaces a dataset's CSV in the other layouts the importer takes: a flat folder of PNGs, Kaggle's train/, any case of the name", async () => {
    const truth = 'id,rle_mask\na,1 4\n';
    // A flat folder (PNGs at its root, train.csv beside them) and Kaggle's layout (train.csv beside train/).
    const flat = path.join(outside, 'flat');
    fs.mkdirSync(flat);
    fs.writeFileSync(path.join(flat, 'a.png'), greyPng(2, 2, [0, 1, 2, 3]));
    const kaggle = path.join(outside, 'kaggle');
    fs.mkdirSync(path.join(kaggle, 'train', 'images'), { recursive: true });
    const plain = path.join(outside, 'plain');
    fs.mkdirSync(plain);
    const cases: [string, string][] = [
      [path.join(flat, 'train.csv'), "train.csv is the name of a dataset's own file"],
      [path.join(kaggle, 'train.csv'), "train.csv is the name of a dataset's own file"],
      [path.join(plain, 'Train.CSV'), "Train.CSV is the name of a dataset's own file"],
      [path.join(plain, 'DEPTHS.csv'), "DEPTHS.csv is the name of a dataset's own file"],
      // Any CSV with a submission's header in a folder of images may be its truth (an earlier submission too).
      [path.join(flat, 'sub.csv'), `is in a dataset folder (${flat} holds PNG images, a.png among them)`],
      [path.join(kaggle, 'sub.csv'), `is in a dataset folder (${kaggle} holds a train/ folder)`],
    ];
    for (const [file, message] of cases) {
      fs.writeFileSync(file, truth);
      const r = await exportTo(file, { overwrite: true });
      expect(r, file).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringContaining(message), issues: [{ path: 'path' }] } });
      expect(fs.readFileSync(file, 'utf8'), file).toBe(truth);
    }
    // A new train.csv is refused too: beside PNGs it would become their truth.
    const fresh = path.join(outside, 'fresh');
    fs.mkdirSync(fresh);
    expect(await exportTo(path.join(fresh, 'train.csv'))).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(fs.existsSync(path.join(fresh, 'train.csv'))).toBe(false);
    // A submission of its own in a folder without images is still replaced when asked.
    fs.writeFileSync(path.join(plain, 'sub.csv'), truth);
    expect(await exportTo(path.join(plain, 'sub.csv'), { overwrite: true })).toMatchObject({ ok: true });
  });

  it("names the dataset in the lab's list whose train.csv a path leads to, through a linked folder too", async () => {
    const dataset = path.join(outside, 'listed');
    fs.mkdirSync(path.join(dataset, 'images'), { recursive: true });
    fs.writeFileSync(path.join(dataset, 'images', 'a.png'), greyPng(2, 2, [0, 1, 2, 3]));
    const truth = 'id,rle_mask\na,1 2\n';
    fs.writeFileSync(path.join(dataset, 'train.csv'), truth);
    expect(await dispatchCall(handlers, 'importDataset', { path: dataset })).toMatchObject({ ok: true });
    const link = path.join(outside, 'listed-link');
    fs.symlinkSync(dataset, link);
    for (const file of [path.join(dataset, 'train.csv'), path.join(link, 'train.csv')]) {
      const r = await exportTo(file, { overwrite: true });
      expect(r, file).toMatchObject({ ok: false, error: { code: 'forbidden', message: `${file} is the train.csv of the dataset ${dataset}; a dataset's own files are never replaced, so choose another file name` } });
    }
    expect(fs.readFileSync(path.join(dataset, 'train.csv'), 'utf8')).toBe(truth);
  });

  it('never writes into the lab\'s own folders, directly or through a link', async () => {
    const inRuns = path.join(home, 'runs', 'sub.csv');
    const r = await exportTo(inRuns);
    expect(r).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringContaining("is inside the lab's own runs folder") } });
    const link = path.join(outside, 'to-home');
    fs.symlinkSync(home, link);
    const viaLink = await exportTo(path.join(link, 'datasets.csv'));
    expect(viaLink).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringContaining("inside the lab's own data folder") } });
    expect(fs.existsSync(inRuns)).toBe(false);
    expect(fs.existsSync(path.join(home, 'datasets.csv'))).toBe(false);
  });
});

describe('dataset import and folder prediction', () => {
  it('refuse the lab\'s own data and runs folders, and links into them, before reading anything', async () => {
    const link = path.join(outside, 'runs-link');
    fs.symlinkSync(path.join(home, 'runs'), link);
    const attempts: [string, Record<string, unknown>, string][] = [
      ['importDataset', { path: home }, 'data folder'],
      ['importDataset', { path: path.join(home, 'runs') }, 'runs folder'],
      ['importDataset', { path: link }, 'runs folder'],
      ['predictFolder', { id: runId, path: path.join(home, 'runs', runId) }, 'runs folder'],
      ['predictFolder', { id: runId, path: link }, 'runs folder'],
    ];
    for (const [name, params, which] of attempts) {
      const r = await dispatchCall(handlers, name, params);
      expect(r, `${name} ${JSON.stringify(params)}`).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringContaining(`inside the lab's own ${which}`), issues: [{ path: 'path' }] } });
    }
    expect((await dispatchCall(handlers, 'listDatasets', {})).ok && (await lab.listDatasets()).every((d) => d.path === null || !d.path.startsWith(home))).toBe(true);
  });
});
