/**
 * The finalize step (training/finalize.ts) at the end of real tiny runs in a real trainer process:
 * the snapshot ring the run keeps, the post-processing chosen on the validation split and stored
 * with the run, the event that says so, the held-out test score computed once with that choice,
 * and the old index migrated to hold them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { withSaltHead } from '../../shared/arch';
import { applyPostprocess, DEFAULT_SALT_CUT, scorePostprocess } from '../../shared/metrics';
import { describePostprocess } from '../../shared/runs/postprocess';
import type { RunInit } from '../../shared/runs/types';
import { assembleDataset, type Dataset } from '../../src-main/data/dataset';
import { makeDemoDataset } from '../../src-main/data/demo';
import { loadDataSource } from '../../src-main/data/load';
import { writeSubmission } from '../../src-main/data/submission';
import { Datasets } from '../../src-main/lab/datasets';
import { FolderPredictor } from '../../src-main/lab/folderPredict';
import { openDatabase } from '../../src-main/runs/sqlite';
import { finalizeRun } from '../../src-main/training/finalize';
import { predictWithRun } from '../../src-main/training/inference';
import { LoopControl } from '../../src-main/training/loop';
import { runPredictJob } from '../../src-main/training/predictJob';
import { finalizes, trainRun } from '../../src-main/training/trainer';
import { tempDir } from '../helpers/tempDir';
import { createRun, DEMO, trainersKilledAfterEach, withOpenStore, withStore } from '../helpers/trainerRuns';

const root = tempDir('finalize');
const startTrainer = trainersKilledAfterEach();

/** The samples `ids` of the demo set every trainer test uses, as a dataset of their own. */
function demoSubset(ids: readonly string[]): Dataset {
  const ds = makeDemoDataset({ count: DEMO.count, seed: DEMO.seed });
  const px = ds.height * ds.width;
  const images = new Uint8Array(ids.length * px);
  const masks = new Uint8Array(ids.length * px);
  ids.forEach((id, k) => {
    const i = ds.ids.indexOf(id);
    images.set(ds.images.subarray(i * px, (i + 1) * px), k * px);
    masks.set(ds.masks?.subarray(i * px, (i + 1) * px) ?? new Uint8Array(px), k * px);
  });
  return assembleDataset({ name: 'subset', source: { kind: 'folder', path: '/subset' }, synthetic: true, problems: [] }, [...ids], ds.height, ds.width, images, masks, null);
}

/** A new folder `name` under the temp root holding the images of `ds` as PNG files named by id. */
function pngFolder(name: string, ds: Dataset): string {
  const folder = path.join(root, name);
  mkdirSync(folder);
  ds.ids.forEach((id, k) => writeFileSync(path.join(folder, `${id}.png`), encode({ width: 101, height: 101, data: ds.images.subarray(k * 101 * 101, (k + 1) * 101 * 101), depth: 8, channels: 1 })));
  return folder;
}

/** The lab's folder prediction of `folder` with run `runId`: the key its predictions are stored under. */
async function labFolderPrediction(runsDir: string, runId: string, folder: string): Promise<string> {
  const reply = await runPredictJob({ runsDir, runId, folder }, () => {});
  if (reply.type !== 'predict-result') throw new Error(JSON.stringify(reply));
  return reply.key;
}

/** The submission predictWithRun (the CLI's prediction path) makes of `folder`, written to `name`; its text. */
async function directSubmission(runsDir: string, runId: string, folder: string, name: string): Promise<string> {
  const ds = await loadDataSource({ kind: 'folder', path: folder });
  const direct = await withOpenStore(runsDir, (s) => predictWithRun(s, runId, ds));
  const sub = path.join(root, name);
  writeSubmission(sub, ds.ids, direct.masks, 101, 101);
  return readFileSync(sub, 'utf8');
}

describe('finalize at the end of training', () => {
  const runsDir = path.join(root, 'a');
  const runId = createRun(runsDir, { epochs: 3, inference: { tta: true, snapshots: 2 } });

  it('keeps the snapshot ring, chooses the post-processing on validation, stores it and says so', async () => {
    const exit = await startTrainer({ runsDir, runId }).done;
    expect(exit).toMatchObject({ status: 'done', crashed: false });
    const run = withStore(runsDir, (s) => s.get(runId));
    // The ring holds the last K = 2 epochs.
    expect(withStore(runsDir, (s) => s.snapshots(runId).map((x) => x.epoch))).toEqual([1, 2]);
    const pp = run.postprocess;
    expect(pp).not.toBeNull();
    if (!pp) return;
    expect(pp.tta).toBe(true);
    expect(pp.valImages).toBe(run.split.val.length);
    expect(pp.tuned).toEqual({ threshold: true, minArea: true });
    // Two candidates: the best checkpoint alone and the mean of the two snapshots; the higher score won (ties: the best alone).
    expect(pp.candidates.map((c) => [c.members, c.checkpointEpochs])).toEqual([
      ['best', [run.best?.epoch]],
      ['snapshots', [1, 2]],
    ]);
    const [alone, ens] = pp.candidates;
    const winner = (ens?.valScore ?? 0) > (alone?.valScore ?? 0) ? ens : alone;
    expect(pp).toMatchObject({ members: winner?.members, checkpointEpochs: winner?.checkpointEpochs, threshold: winner?.threshold, minArea: winner?.minArea, valScore: winner?.valScore });
    expect(pp.snapshots).toBe(pp.checkpointEpochs.length);
    // No test split: no test score.
    expect(run.test).toBeNull();
    const ev = withStore(runsDir, (s) => s.events(runId).filter((e) => e.type === 'postprocess'));
    expect(ev).toHaveLength(1);
    // The one wording of a rule (describePostprocess), then the other candidate's score.
    expect(ev[0]?.message).toBe(
      `post-processing chosen on 6 validation images: ${describePostprocess(pp)}: validation score ${pp.valScore.toFixed(4)} ` +
        `(empty ${pp.valEmptyScore?.toFixed(4) ?? '-'}, salt ${pp.valSaltScore?.toFixed(4) ?? '-'}; tuned on these images); ` +
        `${pp.members === 'best' ? 'mean prediction of 2 snapshots (epochs 2, 3)' : `best checkpoint (epoch ${(run.best?.epoch ?? 0) + 1})`} scored ${(pp.members === 'best' ? ens : alone)?.valScore.toFixed(4)}`,
    );
    expect(ev[0]?.message).toMatch(/: (best checkpoint \(epoch \d\)|mean prediction of 2 snapshots \(epochs 2, 3\)), flip TTA, threshold [0-9.]+ \(tuned\), minimum area \d+ px \(tuned\): validation score/);

    // What it stored is what the one prediction path applies, and scores what it says on the validation images.
    const val = demoSubset(run.split.val);
    const r = await withOpenStore(runsDir, (s) => predictWithRun(s, runId, val));
    expect(r.applied).toMatchObject({ source: 'stored', threshold: pp.threshold, minArea: pp.minArea, tta: true, snapshots: pp.snapshots });
    expect(r.epochs).toEqual(pp.members === 'best' ? [run.best?.epoch] : pp.checkpointEpochs);
    expect(scorePostprocess(val.masks ?? new Uint8Array(0), r.probs, val.ids.length, val.height, val.width, pp).score).toBe(pp.valScore);
    // --postprocess none: the best checkpoint alone, no TTA, 0.5, no area.
    const raw = await withOpenStore(runsDir, (s) => predictWithRun(s, runId, val, { mode: 'none' }));
    expect(raw.applied).toMatchObject({ source: 'none', threshold: 0.5, minArea: 0, tta: false, snapshots: 1 });
    expect(raw.epochs).toEqual([run.best?.epoch]);
  });

  it("makes the lab's folder prediction and Kaggle export with the same post-processing as predict", async () => {
    const run = withStore(runsDir, (s) => s.get(runId));
    const folder = pngFolder('pngs', demoSubset(run.split.val));
    const key = await labFolderPrediction(runsDir, runId, folder);
    const out = path.join(root, 'lab.csv');
    withStore(runsDir, (labStore) => {
      const predictor = new FolderPredictor(labStore, new Datasets(path.join(root, 'lab-data')), runsDir);
      const info = predictor.list(runId)[0];
      expect(info?.postprocess).toMatchObject({ source: 'stored', threshold: run.postprocess?.threshold, minArea: run.postprocess?.minArea, tta: true });
      expect(info?.threshold).toBe(run.postprocess?.threshold);
      // The Masks view exports at the threshold it shows, by default the stored one, and the stored area.
      const exp = predictor.exportSubmission(runId, { kind: 'folder', key }, info?.threshold ?? 0.5, out);
      expect(exp.minArea).toBe(run.postprocess?.minArea);
    });
    expect(readFileSync(out, 'utf8')).toBe(await directSubmission(runsDir, runId, folder, 'direct.csv'));
  });

  it('scores a test split once with the choice, and keeps fixed settings fixed', async () => {
    // 4 of the 24 demo samples held out as test; the split's own 25% validation of the rest.
    const all = makeDemoDataset({ count: DEMO.count, seed: DEMO.seed }).ids;
    const test = all.slice(0, 4);
    const id = createRunWithTest(runsDir, test);
    expect((await startTrainer({ runsDir, runId: id }).done).status).toBe('done');
    const run = withStore(runsDir, (s) => s.get(id));
    expect(run.split.test).toEqual(test);
    expect(run.postprocess).toMatchObject({ threshold: 0.4, minArea: 10, tuned: { threshold: false, minArea: false }, tta: false, snapshots: 1, members: 'best' });
    expect(run.postprocess?.candidates).toHaveLength(1);
    expect(run.test?.images).toBe(4);
    // The stored test score is the chosen post-processing's score on those 4 images, recomputed here.
    const testDs = demoSubset(test);
    const r = await withOpenStore(runsDir, (s) => predictWithRun(s, id, testDs));
    const s = scorePostprocess(testDs.masks ?? new Uint8Array(0), r.probs, 4, testDs.height, testDs.width, { threshold: 0.4, minArea: 10 });
    expect(run.test).toMatchObject({ score: s.score, emptyScore: s.emptyScore, saltScore: s.nonEmptyScore, meanIoU: s.meanIoU });
    expect(withStore(runsDir, (st) => st.events(id).filter((e) => e.type === 'test-score').map((e) => e.message))).toEqual([
      expect.stringMatching(/^held-out test score [0-9.]+ on 4 images/),
    ]);
  });

  it('finalizes a run ended by early stopping and one ended by its time budget', async () => {
    // A gain of more than 1 is impossible: early stopping ends the run after its second epoch.
    const early = createRun(runsDir, { epochs: 50, earlyStop: { patience: 1, minDelta: 1 }, inference: { tta: false, snapshots: 1 } });
    // Two seconds of training: the budget ends the run in its first epoch, which is still validated and kept.
    const budget = createRun(runsDir, { epochs: 50, maxMinutes: 2 / 60, inference: { tta: false, snapshots: 1 } });
    for (const [id, why] of [
      [early, /^early stop/],
      [budget, /^time limit/],
    ] as const) {
      const exit = await startTrainer({ runsDir, runId: id }).done;
      expect(exit.status).toBe('stopped');
      expect(exit.reason).toMatch(why);
      const run = withStore(runsDir, (s) => s.get(id));
      expect(run.epochsDone).toBeGreaterThanOrEqual(1);
      expect(run.postprocess).toMatchObject({ members: 'best', tta: false });
    }
  });

  it('leaves a run the user stopped to `finalize` later, which refuses a run with nothing to choose from', async () => {
    const runId = createRun(runsDir, { epochs: 50 });
    const t = startTrainer({ runsDir, runId });
    await new Promise<void>((resolve) => t.onMessage((m) => m.type === 'event' && m.event.type === 'checkpoint' && resolve()));
    t.stop('enough');
    expect((await t.done).status).toBe('stopped');
    expect(withStore(runsDir, (s) => s.get(runId).postprocess)).toBeNull();
    const done = await withOpenStore(runsDir, (s) => finalizeRun(s, runId));
    expect(done.postprocess.valImages).toBe(6);
    expect(withStore(runsDir, (s) => s.get(runId).postprocess)).toEqual(done.postprocess);
    const fresh = createRun(runsDir, { epochs: 1 });
    await expect(withOpenStore(runsDir, (s) => finalizeRun(s, fresh))).rejects.toThrow(/has no best checkpoint yet \(0 epochs done\): there is nothing to finalize/);
  });
});

describe('which endings finalize', () => {
  it('are done, the time limit and early stopping, after at least one epoch; never a user stop', () => {
    const stopped = (by: 'user' | 'time-limit' | 'early-stop') => ({ kind: 'stopped' as const, message: 'x', by });
    expect(finalizes({ kind: 'done' }, 1)).toBe(true);
    expect(finalizes(stopped('time-limit'), 3)).toBe(true);
    expect(finalizes(stopped('early-stop'), 2)).toBe(true);
    expect(finalizes(stopped('user'), 5)).toBe(false);
    expect(finalizes({ kind: 'interrupted', message: 'the app went away' }, 5)).toBe(false);
    expect(finalizes({ kind: 'failed', message: 'NaN' }, 5)).toBe(false);
    expect(finalizes({ kind: 'done' }, 0)).toBe(false);
    expect(finalizes(stopped('time-limit'), 0)).toBe(false);
  });

  it('go by who stopped the run, not by the clock: a user stop with the budget spent is left, the budget\'s own end is finalized', async () => {
    const runsDir = path.join(root, 'cause');
    // One epoch trained with a one-minute budget, stopped by the user; then its recorded training time is the whole budget.
    const id = createRun(runsDir, { epochs: 50, maxMinutes: 1, inference: { tta: false, snapshots: 1 } });
    const t = startTrainer({ runsDir, runId: id });
    await new Promise<void>((resolve) => t.onMessage((m) => m.type === 'event' && m.event.type === 'checkpoint' && resolve()));
    t.stop('enough');
    expect((await t.done).status).toBe('stopped');
    withStore(runsDir, (s) => s.update(id, { durationMs: 60_000 }));

    // Resumed and stopped by the user before its first batch: the budget is spent when the loop ends, but the user stopped it.
    const userStop = new LoopControl();
    userStop.stop('stopped again');
    expect(await trainRun({ runsDir, runId: id }, userStop, () => {})).toBe('stopped');
    expect(withStore(runsDir, (s) => s.get(id))).toMatchObject({ status: 'stopped', statusReason: 'stopped again', postprocess: null });

    // Resumed and left alone: the spent budget ends it after one batch, that epoch is validated, and the run is finalized.
    expect(await trainRun({ runsDir, runId: id }, new LoopControl(), () => {})).toBe('stopped');
    const run = withStore(runsDir, (s) => s.get(id));
    expect(run).toMatchObject({ status: 'stopped', statusReason: 'time limit of 1 min reached' });
    expect(run.postprocess).toMatchObject({ members: 'best', tta: false, valImages: run.split.val.length });
  }, 120_000);
});

/** Run `id`, not started yet, made again with `change` applied to what it was made from; returns the new id. */
function remade(runsDir: string, id: string, change: (init: RunInit) => RunInit): string {
  return withStore(runsDir, (s) => {
    const r = s.get(id);
    s.delete(id);
    return s.createRun(change({ name: r.name, arch: r.arch, config: r.config, dataset: r.dataset, split: r.split, versions: r.versions })).id;
  });
}

/**
 * A run like createRun's (1 epoch, no TTA, no snapshots, threshold 0.4 and minimum area 10 fixed)
 * whose split holds `test` out of training and validation: its split is rewritten before it starts.
 */
function createRunWithTest(runsDir: string, test: string[]): string {
  const id = createRun(runsDir, { epochs: 1, inference: { tta: false, snapshots: 1, threshold: 0.4, minArea: 10 } });
  const keep = (ids: string[]) => ids.filter((x) => !test.includes(x));
  return remade(runsDir, id, (init) => ({ ...init, split: { train: keep(init.split.train), val: keep(init.split.val), test } }));
}

describe('a design with a salt-present head', () => {
  const runsDir = path.join(root, 'salt');

  it('tunes its vote with the threshold and the area, and every prediction path applies it', async () => {
    const id = remade(runsDir, createRun(runsDir, { epochs: 2, inference: { tta: true, snapshots: 1 } }), (init) => ({ ...init, arch: withSaltHead(init.arch) }));
    expect((await startTrainer({ runsDir, runId: id }).done).status).toBe('done');
    const run = withStore(runsDir, (s) => s.get(id));
    const pp = run.postprocess;
    expect(pp?.saltCut).toBeGreaterThanOrEqual(0);
    expect(pp?.saltCut).toBeLessThan(1);
    expect(pp?.candidates[0]?.saltCut).toBe(pp?.saltCut);
    expect(pp?.tuned).toEqual({ threshold: true, minArea: true, saltCut: true });
    if (!pp || pp.saltCut === undefined) return;
    const val = demoSubset(run.split.val);
    const r = await withOpenStore(runsDir, (s) => predictWithRun(s, id, val));
    expect(r.applied.saltCut).toBe(pp.saltCut);
    expect(r.saltProbs).toHaveLength(val.ids.length);
    // Its validation score is the rule's, the vote included, on those images.
    expect(scorePostprocess(val.masks ?? new Uint8Array(0), r.probs, val.ids.length, 101, 101, pp, r.saltProbs ?? undefined).score).toBe(pp.valScore);
    // The masks are the rule's: with the vote, and the vote alone can only empty images.
    const rule = { threshold: pp.threshold, minArea: pp.minArea };
    const noVote = applyPostprocess(r.probs, val.ids.length, 101, 101, rule);
    expect(r.masks).toEqual(applyPostprocess(r.probs, val.ids.length, 101, 101, { ...rule, saltCut: pp.saltCut }, undefined, r.saltProbs ?? undefined));
    for (let i = 0; i < r.masks.length; i++) if (r.masks[i]) expect(noVote[i]).toBe(1);
    const raw = await withOpenStore(runsDir, (s) => predictWithRun(s, id, val, { mode: 'none' }));
    expect(raw.applied.saltCut).toBeUndefined();

    // The lab's folder prediction keeps the salt probabilities, and its export votes with them.
    const folder = pngFolder('salt-pngs', val);
    const key = await labFolderPrediction(runsDir, id, folder);
    const out = path.join(root, 'salt-lab.csv');
    withStore(runsDir, (labStore) => {
      const exp = new FolderPredictor(labStore, new Datasets(path.join(root, 'lab-data')), runsDir).exportSubmission(id, { kind: 'folder', key }, pp.threshold, out);
      expect(exp).toMatchObject({ minArea: pp.minArea, saltCut: pp.saltCut });
    });
    expect(readFileSync(out, 'utf8')).toBe(await directSubmission(runsDir, id, folder, 'salt-direct.csv'));
  });
});

describe('a salt head on a rule whose threshold and area are both fixed', () => {
  it('votes at DEFAULT_SALT_CUT, untuned, and says so', async () => {
    const runsDir = path.join(root, 'salt-fixed');
    const id = remade(runsDir, createRun(runsDir, { epochs: 1, inference: { tta: false, snapshots: 1, threshold: 0.4, minArea: 10 } }), (init) => ({ ...init, arch: withSaltHead(init.arch) }));
    expect((await startTrainer({ runsDir, runId: id }).done).status).toBe('done');
    const pp = withStore(runsDir, (s) => s.get(id).postprocess);
    expect(DEFAULT_SALT_CUT).toBe(0.5);
    expect(pp).toMatchObject({ threshold: 0.4, minArea: 10, saltCut: 0.5, tuned: { threshold: false, minArea: false, saltCut: false } });
    expect(pp?.candidates.map((c) => c.saltCut)).toEqual([0.5]);
    const ev = withStore(runsDir, (s) => s.events(id).find((e) => e.type === 'postprocess'));
    expect(ev?.message).toContain(': best checkpoint (epoch 1), no TTA, threshold 0.4 (fixed), minimum area 10 px (fixed), salt-head vote: empty below 0.5 (fixed): validation score');
  });
});

describe('the run index', () => {
  it('migrates an index without post-processing columns: older runs read as having none', () => {
    const runsDir = path.join(root, 'old');
    const id = createRun(runsDir, { epochs: 1 });
    // Take the index back to schema 2, as an older Strata left it.
    const db = openDatabase(path.join(runsDir, 'index.sqlite'));
    db.exec('ALTER TABLE runs DROP COLUMN postprocess; ALTER TABLE runs DROP COLUMN test_result; UPDATE schema_version SET version = 2;');
    db.close();
    withStore(runsDir, (s) => {
      expect(s.get(id)).toMatchObject({ postprocess: null, test: null });
      expect(s.list().map((r) => r.postprocess)).toEqual([null]);
    });
  });

  it('refuses a post-processing that does not fit its schema, by name', () => {
    const runsDir = path.join(root, 'bad');
    const id = createRun(runsDir, { epochs: 1 });
    withStore(runsDir, (s) => {
      expect(() => s.update(id, { test: { images: 0, score: 2, emptyScore: null, saltScore: null, meanIoU: 0, at: 1 } })).toThrow(/Run test result cannot be stored: images: .*; score: /);
    });
  });
});
