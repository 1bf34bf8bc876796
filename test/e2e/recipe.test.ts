/**
 * The recipe settings in Chromium against `npm run lab` (issue 21): the setup form's Lovász weight,
 * warm start from a real run's checkpoint, test ids, time budget, augmentation and inference fields
 * filled and queued, the stored config read back from the lab; the run details showing them. Then a
 * finalized run, written through the real run store, with its post-processing and validation score
 * and, apart from them, its test score in the details, the runs list and the compare table, where
 * runs on different test sets are not ranked by it. The Masks view with a run's stored rule, and a
 * folder prediction drawn with the rule it was made with (flagged when the run's rule changed),
 * exported with the masks shown.
 */
import fs from 'node:fs';
import path from 'node:path';
import { encode } from 'fast-png';
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CallName, ChannelInput } from '../../shared/api/channels';
import { getPreset } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import { scorePostprocess } from '../../shared/metrics';
import type { RunPostprocess } from '../../shared/runs/postprocess';
import { defaultRunConfig } from '../../shared/runs/request';
import { saveFolderPrediction } from '../../src-main/runs/folderPredictions';
import { RunStore } from '../../src-main/runs/store';
import { apiCall, openApp, SCREENSHOT_DIR, scratchDir, setUpLabAndBrowser, type RunningLab } from './harness';

let lab: RunningLab;
let browser: Browser;
/** The run the form's warm start picks: trained here, so it has real checkpoints. */
let sourceId = '';
const runsDir = scratchDir('recipe-runs');

const call = <K extends CallName>(name: K, input: ChannelInput<K>) => apiCall(lab, name, input);

setUpLabAndBrowser(
  (l, b) => {
    lab = l;
    browser = b;
  },
  { env: { STRATA_RUNS_DIR: runsDir } },
);

/** Waits until run `id` is as `ready` says; fails when it fails or ends otherwise first. */
async function waitFor(id: string, ready: (r: Awaited<ReturnType<typeof call<'getRun'>>>) => boolean, what: string): Promise<void> {
  const end = Date.now() + 120_000;
  for (;;) {
    const r = await call('getRun', { id });
    if (ready(r)) return;
    if (['failed', 'done', 'stopped', 'interrupted'].includes(r.status)) throw new Error(`run ${id} ended ${r.status} before it could ${what}: ${r.statusReason ?? ''}\n${lab.stderr()}`);
    if (Date.now() > end) throw new Error(`run ${id} did not ${what} in 120 s`);
    await new Promise((res) => setTimeout(res, 300));
  }
}

beforeAll(async () => {
  // It holds out the test ids the warm start below tests on (a warm start may only test on images its
  // weights never saw), and is stopped after its first epoch: a stopped run is not finalized, so it has
  // no test score of its own beside the ones the tests below compare.
  const run = await call('startRun', { design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', demoCount: 24, name: 'warm source', testIds: ['demo-0003', 'demo-0011'], config: { epochs: 50, batch: 8 } });
  sourceId = run.id;
  await waitFor(sourceId, (r) => r.epochsDone >= 1, 'finish an epoch');
  await call('stopRun', { id: sourceId, reason: 'enough for a warm start' });
  await waitFor(sourceId, (r) => r.status === 'stopped', 'stop');
  expect((await call('getRun', { id: sourceId })).test).toBeNull();
}, 150_000);

const form = (page: Page) => page.locator('[data-testid="training-setup"]');

describe('the recipe settings in Chromium', () => {
  it('fills the new fields, queues the run, and the lab stores them in its config', async () => {
    const { page, errors, httpErrors } = await openApp(browser, lab, { hash: '#/training', viewport: { width: 1440, height: 1500 } });
    await page.locator('[data-tab="setup"]').click();
    const f = form(page);
    await page.locator('[data-testid="memory-estimate"]').waitFor({ timeout: 20_000 });
    await f.getByLabel('Design', { exact: true }).selectOption('preset:tiny');
    await f.getByLabel('Demo samples').fill('24');
    await f.getByLabel('Epochs', { exact: true }).fill('1');
    await f.getByLabel('Batch size').fill('8');
    await f.getByLabel('Name (optional)').fill('recipe e2e');
    // The default loss is bce-lovasz, so its weight is offered.
    await f.getByLabel('Lovász weight').fill('0.5');
    // Warm start: the trained run is listed; the initializer gives way to the checkpoint choice.
    await expect.poll(() => f.getByLabel('Start from').locator('option').allTextContents()).toContainEqual(expect.stringMatching(/^warm source · tiny/));
    await f.getByLabel('Start from').selectOption(sourceId);
    await f.getByLabel('Checkpoint', { exact: true }).selectOption('last');
    expect(await f.getByLabel('Initializer').count()).toBe(0);
    await f.getByLabel('Test ids, one per line (optional)').fill('demo-0003\ndemo-0011\n');
    await f.getByLabel('Time budget (min)').fill('5');

    // Augmentation and inference are collapsed, their current values in the summary line.
    const aug = page.locator('[data-testid="augment-section"]');
    const inf = page.locator('[data-testid="inference-section"]');
    expect(await aug.getAttribute('open')).toBeNull();
    // The default: the h-flip alone (docs/recipe.md).
    expect((await aug.locator('summary').textContent())?.trim()).toMatch(/h-flip$/);
    expect(await inf.locator('summary').textContent()).toContain('threshold and min area tuned on validation');
    await aug.locator('summary').click();
    await f.getByLabel('Shift (share of side)').fill('0.05');
    await f.getByLabel('Scale (± share)').fill('0.1');
    await f.getByLabel('Brightness (± of range)').fill('0.1');
    await f.getByLabel('Contrast (± share)').fill('0.1');
    await inf.locator('summary').click();
    await f.getByLabel('Flip TTA').uncheck();
    await f.getByLabel('Snapshots (last k epochs)').fill('2');
    await f.getByLabel('Threshold', { exact: true }).fill('0.4');
    await f.getByLabel('Min salt area (px)').fill('15');
    await expect.poll(() => inf.locator('summary').textContent()).toContain('no TTA · up to 2 snapshots · threshold 0.4 (fixed) · min area 15 px (fixed)');

    // A bad value is refused next to its field, and the collapsed section holding it opens itself.
    await f.getByLabel('Threshold', { exact: true }).fill('1.5');
    await inf.locator('summary').click();
    expect(await inf.getAttribute('open')).toBeNull();
    await page.locator('[data-testid="queue-runs"]').click();
    await expect.poll(() => inf.getAttribute('open')).not.toBeNull();
    expect(await inf.textContent()).toContain('Threshold must be in [0, 1]');
    await f.getByLabel('Threshold', { exact: true }).fill('0.4');
    await f.screenshot({ path: `${SCREENSHOT_DIR}/recipe-setup-form.png` });

    await page.locator('[data-testid="queue-runs"]').click();
    await expect.poll(() => page.locator('[data-tab="monitor"]').getAttribute('aria-selected'), { timeout: 20_000 }).toBe('true');
    const queued = (await call('listRuns', {})).runs.find((r) => r.name === 'recipe e2e');
    if (!queued) throw new Error('the run was not queued');
    const run = await call('getRun', { id: queued.id });
    expect(run.config).toMatchObject({
      epochs: 1,
      batch: 8,
      maxMinutes: 5,
      loss: { name: 'bce-lovasz', lovaszWeight: 0.5 },
      initFrom: { runId: sourceId, checkpoint: 'last' },
      augment: { hflip: true, shift: 0.05, scale: 0.1, brightness: 0.1, contrast: 0.1 },
      inference: { tta: false, snapshots: 2, threshold: 0.4, minArea: 15 },
    });
    expect(errors).toEqual([]);
    expect(httpErrors).toEqual([]);

    // Its details name every setting.
    await page.goto(`${lab.url}#/runs`);
    await page.locator(`[data-testid="run-table"] tr[data-run="${queued.id}"] button.link`).click();
    const details = page.locator('[data-testid="run-details"]');
    await details.waitFor();
    const text = (await details.textContent()) ?? '';
    expect(text).toContain('bce-lovasz: BCE + 0.5 × Lovász');
    expect(text).toContain('the last checkpoint of warm source');
    expect(text).toContain('h-flip · shift ±5% of the side · scale ±10% · brightness ±10% of the range · contrast ±10%');
    expect(text).toContain('no TTA · up to 2 snapshots · threshold 0.4 (fixed) · min area 15 px (fixed)');
    await details.screenshot({ path: `${SCREENSHOT_DIR}/recipe-run-details.png` });
  }, 120_000);

  it('shows a finalized run\'s post-processing with its validation score, and its test score apart, in details, list and compare', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    const store = RunStore.open(runsDir);
    let id: string;
    try {
      id = store.createRun({
        name: 'finalized e2e',
        arch: getPreset('tiny') as Architecture,
        config: { ...defaultRunConfig(), epochs: 12, testFraction: 0.25 },
        dataset: { name: 'demo', source: { kind: 'demo', seed: 1, count: 40 }, fingerprint: 'f'.repeat(64), synthetic: true, count: 40 },
        split: { train: ids.slice(0, 22), val: ids.slice(22, 30), test: ids.slice(30) },
        versions: { strata: 'test', tfjs: '4.22.0', node: process.versions.node },
      }).id;
      store.update(id, {
        status: 'done',
        epochsDone: 12,
        best: { epoch: 9, score: 0.8125, metric: 'valScore' },
        postprocess: {
          threshold: 0.46,
          minArea: 20,
          tta: true,
          snapshots: 3,
          members: 'snapshots',
          checkpointEpochs: [9, 10, 11],
          tuned: { threshold: true, minArea: true },
          valImages: 8,
          valScore: 0.8375,
          valEmptyScore: 1,
          valSaltScore: 0.675,
          candidates: [
            { members: 'best', checkpointEpochs: [9], threshold: 0.5, minArea: 10, valScore: 0.825 },
            { members: 'snapshots', checkpointEpochs: [9, 10, 11], threshold: 0.46, minArea: 20, valScore: 0.8375 },
          ],
          at: Date.now(),
        },
        test: { images: 10, score: 0.74, emptyScore: 0.95, saltScore: 0.53, meanIoU: 0.71, at: Date.now() },
      });
    } finally {
      store.close();
    }

    const { page, errors } = await openApp(browser, lab, { hash: `#/runs/${id}`, viewport: { width: 1440, height: 1100 } });
    const details = page.locator('[data-testid="run-details"]');
    await details.waitFor({ timeout: 20_000 });
    const testBox = details.locator('[data-testid="test-result"]');
    expect(await testBox.textContent()).toContain('Test (10 images, never used for any choice)');
    expect(await testBox.locator('[data-testid="test-score"]').textContent()).toBe('0.7400');
    expect(await testBox.textContent()).toContain('empty images 0.9500 · salt images 0.5300 · mean IoU 0.7100');
    const valBox = details.locator('[data-testid="val-result"]');
    expect(await valBox.textContent()).toContain('Validation (8 images, which chose the checkpoint, threshold and min area)');
    expect(await valBox.locator('[data-testid="val-score"]').textContent()).toBe('0.8375');
    expect(await details.locator('[data-testid="detail-postprocess"]').textContent()).toBe('mean prediction of 3 snapshots (epochs 10, 11, 12), flip TTA, threshold 0.46 (tuned), minimum area 20 px (tuned)');
    expect(await details.textContent()).toContain('(22 train / 8 val / 10 test)');
    expect(await details.textContent()).toContain('0.8125 (validation score, epoch 10)');
    // The list's test column holds the test score, not the validation one.
    const row = page.locator(`[data-testid="run-table"] tr[data-run="${id}"]`);
    expect(await row.locator('td[data-col="test"] [data-testid="test-value"]').textContent()).toBe('0.7400');
    await details.screenshot({ path: `${SCREENSHOT_DIR}/recipe-run-results.png` });

    await page.goto(`${lab.url}#/training`);
    await page.locator('[data-tab="compare"]').click();
    const cmp = page.locator(`[data-testid="compare-table"] tr[data-run="${id}"]`);
    await expect.poll(() => cmp.locator('td[data-col="test"] [data-testid="test-value"]').textContent(), { timeout: 20_000 }).toBe('0.7400');
    expect(errors).toEqual([]);
  }, 60_000);

  it('shows test scores on two test sets with their sets and unranked, and ranks them once one set is left', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    const store = RunStore.open(runsDir);
    let other: string;
    let first: string;
    try {
      first = store.list().find((r) => r.name === 'finalized e2e')?.id ?? '';
      expect(first).not.toBe('');
      // Another seed of the same recipe: its split, and so its test images, differ.
      other = store.createRun({
        name: 'other seed',
        arch: getPreset('tiny') as Architecture,
        config: { ...defaultRunConfig(), epochs: 12, testFraction: 0.25, seed: 2 },
        dataset: { name: 'demo', source: { kind: 'demo', seed: 1, count: 40 }, fingerprint: 'f'.repeat(64), synthetic: true, count: 40 },
        split: { train: ids.slice(10, 32), val: ids.slice(32, 40), test: ids.slice(0, 10) },
        versions: { strata: 'test', tfjs: '4.22.0', node: process.versions.node },
      }).id;
      store.update(other, { status: 'done', epochsDone: 12, best: { epoch: 8, score: 0.79, metric: 'valScore' }, test: { images: 10, score: 0.81, emptyScore: 1, saltScore: 0.62, meanIoU: 0.75, at: Date.now() } });
    } finally {
      store.close();
    }
    const { page, errors } = await openApp(browser, lab, { hash: '#/training', viewport: { width: 1440, height: 1100 } });
    await page.locator('[data-tab="compare"]').click();
    const cell = (id: string) => page.locator(`[data-testid="compare-table"] tr[data-run="${id}"] td[data-col="test"]`);
    // Each score with its set's letter (the first test's queued run has a test set of its own too).
    await expect.poll(() => cell(other).textContent(), { timeout: 20_000 }).toMatch(/^0\.8100[A-Z]$/);
    expect(await cell(first).textContent()).toMatch(/^0\.7400[A-Z]$/);
    expect(await cell(first).locator('[data-testid="test-set"]').textContent()).not.toBe(await cell(other).locator('[data-testid="test-set"]').textContent());
    const head = page.locator('[data-testid="compare-table"] th[data-col="testScore"]');
    expect(await head.locator('button').isDisabled()).toBe(true);
    expect(await head.getAttribute('title')).toContain('choose runs by the validation score, not by this one');
    expect(await page.locator('[data-testid="test-score-note"]').textContent()).toMatch(/These test scores are on [2-9] different test sets/);
    await page.locator('[data-testid="compare-table"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SCREENSHOT_DIR}/recipe-compare-two-test-sets.png`, fullPage: true });

    // The runs list says the same.
    await page.goto(`${lab.url}#/runs`);
    const listCell = page.locator(`[data-testid="run-table"] tr[data-run="${other}"] td[data-col="test"]`);
    await expect.poll(() => listCell.textContent(), { timeout: 20_000 }).toMatch(/^0\.8100[A-Z]$/);
    expect(await page.locator('[data-testid="run-table"] th[data-col="test"] button').isDisabled()).toBe(true);
    expect(await page.locator('[data-testid="test-set-note"]').textContent()).toContain('different test sets');

    // One set left (every other scored run deleted): the column ranks again, and no letters are needed.
    // The run the first test queued could still be training, and would get a test score of its own when it
    // ends: stop it first (a run the user stops is not finalized) and wait until nothing trains.
    for (const r of (await call('listRuns', {})).runs) if (r.status === 'queued' || r.status === 'running' || r.status === 'paused') await call('stopRun', { id: r.id });
    await expect.poll(async () => (await call('listRuns', {})).runs.filter((r) => r.status === 'queued' || r.status === 'running' || r.status === 'paused').length, { timeout: 20_000 }).toBe(0);
    for (const r of (await call('listRuns', {})).runs) if (r.test && r.id !== first) await call('deleteRun', { id: r.id });
    await page.goto(`${lab.url}#/training`);
    await page.locator('[data-tab="compare"]').click();
    await expect.poll(() => cell(first).textContent(), { timeout: 20_000 }).toBe('0.7400');
    expect(await head.locator('button').isDisabled()).toBe(false);
    await head.locator('button').click();
    expect(await head.getAttribute('aria-sort')).toBe('descending');
    expect(errors).toEqual([]);
  }, 60_000);

  it('draws the Masks view with the run\'s stored threshold and minimum area, says so, and keeps the raw mask a choice away', async () => {
    // An area above a whole 101x101 image clears every prediction: the score is then the share of
    // images with empty truth, whatever the 1-epoch model predicts (its raw masks miss them all here).
    const rule = { threshold: 0.3, minArea: 101 * 101 + 1 };
    const pp: RunPostprocess = {
      ...rule,
      tta: true,
      snapshots: 1,
      members: 'best',
      checkpointEpochs: [0],
      tuned: { threshold: true, minArea: true },
      valImages: 5,
      valScore: 0.6,
      valEmptyScore: null,
      valSaltScore: 0.6,
      candidates: [{ members: 'best', checkpointEpochs: [0], ...rule, valScore: 0.6 }],
      at: Date.now(),
    };
    const store = RunStore.open(runsDir);
    try {
      store.update(sourceId, { postprocess: pp });
    } finally {
      store.close();
    }
    // What the lab stored for the epoch, scored here with the shared rule.
    const preds = await call('getPredictions', { id: sourceId, epoch: 0, offset: 0, limit: 1000 });
    const bytes = (b64: string | null) => Uint8Array.from(Buffer.from(b64 ?? '', 'base64'));
    const score = (r: { threshold: number; minArea: number }) =>
      scorePostprocess(bytes(preds.truth), bytes(preds.probs), preds.ids.length, preds.height, preds.width, r).score.toFixed(4);

    const truths = bytes(preds.truth);
    const px = preds.height * preds.width;
    const emptyShare = preds.ids.filter((_, k) => truths.subarray(k * px, (k + 1) * px).every((v) => v === 0)).length / preds.ids.length;
    expect(emptyShare).toBeGreaterThan(0);
    expect(score(rule)).toBe(emptyShare.toFixed(4));

    const { page, errors } = await openApp(browser, lab, { hash: '#/masks' });
    await page.getByLabel('Run', { exact: true }).selectOption(sourceId);
    const grid = page.locator('[data-testid="mask-grid"]');
    await expect.poll(() => grid.getAttribute('data-count'), { timeout: 30_000 }).toBe(String(preds.ids.length));
    const note = page.locator('[data-testid="rule-note"]');
    expect(await note.getAttribute('data-rule')).toBe('run');
    expect(await note.textContent()).toContain("The run's post-processing: threshold 0.30, minimum area 10202 px, chosen on 5 validation images");
    expect(await page.locator('[data-testid="threshold-value"]').textContent()).toBe('0.30');
    expect(await page.locator('[data-testid="min-area"]').inputValue()).toBe('10202');
    expect(await page.locator('[data-testid="set-score"]').textContent()).toBe(score(rule));
    await page.screenshot({ path: `${SCREENSHOT_DIR}/recipe-masks-run-rule.png` });

    // The plain rule: threshold 0.5, no area, on that epoch's probabilities.
    await page.locator('[data-testid="mask-rule"]').selectOption('raw');
    await expect.poll(() => note.getAttribute('data-rule')).toBe('raw');
    expect(await page.locator('[data-testid="threshold-value"]').textContent()).toBe('0.50');
    expect(await page.locator('[data-testid="set-score"]').textContent()).toBe(score({ threshold: 0.5, minArea: 0 }));
    expect(await note.textContent()).toBe("Plain masks: threshold 0.50, no minimum area, on epoch 1's probabilities (that checkpoint alone, no TTA). The run's own: threshold 0.30, minimum area 10202 px.");
    // An area of the user's own, and back to the run's.
    await page.locator('[data-testid="min-area"]').fill('12');
    await page.locator('[data-testid="min-area"]').press('Enter');
    await expect.poll(() => note.getAttribute('data-rule')).toBe('custom');
    expect(await page.locator('[data-testid="set-score"]').textContent()).toBe(score({ threshold: 0.5, minArea: 12 }));
    await page.locator('[data-testid="mask-rule"]').selectOption('run');
    await expect.poll(() => page.locator('[data-testid="set-score"]').textContent()).toBe(score(rule));
    expect(errors).toEqual([]);
  }, 60_000);

  it('draws a folder prediction with the rule it was made with, flags that the run\'s rule changed since, and exports the masks shown', async () => {
    // Four 101x101 images; the prediction made earlier with threshold 0.4 and a minimum area of 5.
    const H = 101;
    const px = H * H;
    const dir = scratchDir('recipe-folder');
    const names = ['f0', 'f1', 'f2', 'f3'];
    names.forEach((n, k) => fs.writeFileSync(path.join(dir, `${n}.png`), encode({ width: H, height: H, data: new Uint8Array(px).fill(40 + 40 * k), depth: 8, channels: 1 })));
    // f0: 3 pixels at 200 (under the area); f1: 50 at 200; f2: nothing; f3: 10 at 110 (0.43: salt at 0.4, not at 0.5).
    const probs = new Uint8Array(4 * px);
    probs.fill(200, 0, 3);
    probs.fill(200, px, px + 50);
    probs.fill(110, 3 * px, 3 * px + 10);
    // The run's rule now, stored by the test before.
    expect((await call('getRun', { id: sourceId })).postprocess).toMatchObject({ threshold: 0.3, minArea: 101 * 101 + 1 });
    saveFolderPrediction(runsDir, sourceId, dir, { epoch: 0, ids: names, probs, height: H, width: H }, { threshold: 0.4, minArea: 5, tta: true, snapshots: 1, checkpointEpochs: [0], source: 'stored' });
    const [info] = await call('listFolderPredictions', { id: sourceId });
    if (!info) throw new Error('the folder prediction is not listed');

    const { page, errors } = await openApp(browser, lab, { hash: '#/masks', viewport: { width: 1440, height: 1000 } });
    await page.getByLabel('Run', { exact: true }).selectOption(sourceId);
    const sources = page.getByLabel('Predictions', { exact: true });
    await expect.poll(() => sources.locator(`option[value="folder:${info.key}"]`).textContent(), { timeout: 20_000 }).toContain('· older post-processing');
    await sources.selectOption(`folder:${info.key}`);
    const grid = page.locator('[data-testid="mask-grid"]');
    await expect.poll(() => grid.getAttribute('data-count'), { timeout: 30_000 }).toBe('4');
    const note = page.locator('[data-testid="rule-note"]');
    await expect.poll(() => note.getAttribute('data-rule')).toBe('prediction');
    expect(await note.getAttribute('data-stale')).toBe('true');
    expect(await note.textContent()).toBe(
      "This prediction's post-processing, as it was made and as its export writes it: threshold 0.40, minimum area 5 px, on this prediction's probabilities (best checkpoint (epoch 1), flip TTA). " +
        "The run's post-processing has changed since this prediction was made (threshold 0.4 → 0.3; minimum area 5 → 10202 px): predict the folder again to apply it.",
    );
    expect(await page.locator('[data-testid="threshold-value"]').textContent()).toBe('0.40');
    expect(await page.locator('[data-testid="min-area"]').inputValue()).toBe('5');
    const predicted = async () =>
      Object.fromEntries(await grid.locator('[data-image]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-image'), Number(e.getAttribute('data-predicted'))])));
    // f0 is under the area, f3 salt at 0.4: what the prediction's rule makes, not the run's (which empties all).
    await expect.poll(predicted).toEqual({ f0: 0, f1: 50, f2: 0, f3: 10 });
    await page.screenshot({ path: `${SCREENSHOT_DIR}/recipe-masks-folder-prediction.png`, fullPage: true });

    // The export writes what is drawn.
    const out = path.join(scratchDir('recipe-export'), 'folder.csv');
    await page.getByLabel('Submission file').fill(out);
    await page.getByRole('button', { name: 'Export CSV' }).click();
    await expect.poll(() => page.locator('[data-testid="export-done"]').textContent(), { timeout: 20_000 }).toContain('Wrote 4 rows (2 with salt) at threshold 0.40, min area 5 px');
    const rows = fs.readFileSync(out, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    expect(rows.map(([id, rle]) => [id, (rle ?? '') !== ''])).toEqual([['f0', false], ['f1', true], ['f2', false], ['f3', true]]);

    // Plain: threshold 0.5 and no area on these (already averaged) probabilities, and said so.
    await page.locator('[data-testid="mask-rule"]').selectOption('raw');
    await expect.poll(() => note.getAttribute('data-rule')).toBe('raw');
    expect(await note.textContent()).toContain("Plain masks: threshold 0.50, no minimum area, on this prediction's probabilities (best checkpoint (epoch 1), flip TTA), so not `--postprocess none`");
    await expect.poll(predicted).toEqual({ f0: 3, f1: 50, f2: 0, f3: 0 });
    expect(errors).toEqual([]);
  }, 60_000);
});
