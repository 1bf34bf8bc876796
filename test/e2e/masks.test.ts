/**
 * The Masks view in Chromium against `npm run lab`: a tiny run trained on the first 48 TGS images,
 * its validation predictions sorted worst-first, the threshold moving the set score, one image
 * stepped through with the arrow keys, a submission exported and scored by `strata score`, and the
 * TGS test images predicted and browsed without scores.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChannelInput, CallName } from '../../shared/api/channels';
import { REPO_ROOT, TGS_DIR } from '../helpers/paths';
import { apiCall, openApp, saveScreenshot, scratchDir, setUpLabAndBrowser, type RunningLab } from './harness';

let lab: RunningLab;
let browser: Browser;
let runId = '';

/** Calls the lab's API over HTTP, as the page does. */
const call = <K extends CallName>(name: K, input: ChannelInput<K>) => apiCall(lab, name, input);

/** Runs the CLI and returns its stdout. */
function strata(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src-main/cli/strata.ts'), ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`strata ${args[0]} exited ${code}: ${err}`))));
  });
}

setUpLabAndBrowser((l, b) => {
  lab = l;
  browser = b;
});

beforeAll(async () => {
  const ds = await call('importDataset', { path: TGS_DIR });
  const run = await call('startRun', { design: { kind: 'preset', name: 'tiny' }, datasetId: ds.id, subset: 48, name: 'e2e masks', config: { epochs: 1, batch: 8 } });
  runId = run.id;
  const end = Date.now() + 240_000;
  for (;;) {
    const r = await call('getRun', { id: runId });
    if (r.status === 'done') break;
    if (['failed', 'stopped', 'interrupted'].includes(r.status)) throw new Error(`the run ended ${r.status}: ${r.statusReason ?? ''}\n${lab.stderr()}`);
    if (Date.now() > end) throw new Error('the run did not finish in 240 s');
    await new Promise((res) => setTimeout(res, 500));
  }
}, 300_000);

describe('the Masks view', () => {
  it('sorts worst-first, moves the set score with the threshold, steps with the arrows, and exports a submission strata scores alike', async () => {
    const { page, errors, httpErrors } = await openApp(browser, lab, { hash: '#/masks' });
    const grid = page.locator('[data-testid="mask-grid"]');
    await expect.poll(() => grid.getAttribute('data-count'), { timeout: 30_000 }).not.toBeNull();
    const count = Number(await grid.getAttribute('data-count'));
    const run = await call('getRun', { id: runId });
    expect(count).toBe(run.split.val.length);
    await expect.poll(() => grid.locator('canvas').count()).toBe(count);

    // Worst first: scores ascend along the grid.
    const scores = await grid.locator('[data-score]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-score'))));
    expect(scores).toEqual([...scores].sort((a, b) => a - b));
    await saveScreenshot(page, 'masks-grid-worst-first');

    // The threshold moves the set score.
    const setScore = page.locator('[data-testid="set-score"]');
    const threshold = page.getByLabel('Threshold', { exact: true });
    const seen = new Set<string>();
    for (const t of ['0.5', '0.05', '0.95']) {
      await threshold.fill(t);
      await expect.poll(() => page.locator('[data-testid="threshold-value"]').textContent()).toBe(Number(t).toFixed(2));
      seen.add((await setScore.textContent()) ?? '');
    }
    expect(seen.size).toBeGreaterThan(1);

    // The threshold the submission is written at: the best one of the sweep.
    await page.locator('[data-testid="use-best"]').click();
    const chosen = Number(await page.locator('[data-testid="threshold-value"]').textContent());
    const shownScore = (await setScore.textContent()) ?? '';
    await saveScreenshot(page, 'masks-grid-best-threshold');

    // Open the worst image and step with the arrow keys.
    await grid.locator('button.thumb').first().click();
    const detail = page.locator('[data-testid="mask-detail"]');
    await expect.poll(() => detail.getAttribute('data-position')).toBe('0');
    const firstId = await detail.getAttribute('data-image');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => detail.getAttribute('data-position')).toBe('1');
    expect(await detail.getAttribute('data-image')).not.toBe(firstId);
    const box = await detail.locator('canvas').boundingBox();
    if (!box) throw new Error('the detail canvas has no box');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(() => page.locator('[data-testid="cursor-readout"]').textContent()).toMatch(/\(50, 50\)/);
    await page.locator('[data-testid="epoch-frames"]').waitFor({ timeout: 20_000 });
    await saveScreenshot(page, 'masks-detail');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => detail.getAttribute('data-image')).toBe(firstId);
    await page.keyboard.press('Escape');
    await grid.waitFor();

    // Export at the chosen threshold, and score the file with the CLI.
    const file = path.join(scratchDir('submission'), 'val-submission.csv');
    const form = page.locator('[data-testid="export-submission"]');
    await form.getByLabel('Submission file').fill(file);
    await form.getByRole('button', { name: 'Export CSV' }).click();
    await page.locator('[data-testid="export-done"]').waitFor({ timeout: 20_000 });
    expect(fs.readFileSync(file, 'utf8').split('\n')[0]).toBe('id,rle_mask');
    // The truth of the exported (validation) ids alone: strata score scores every truth id, so a truth
    // id without a row is refused, never left out of the mean.
    const exported = new Set(fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0]));
    const [header, ...rows] = fs.readFileSync(path.join(TGS_DIR, 'train.csv'), 'utf8').trim().split('\n');
    const truth = path.join(path.dirname(file), 'val-truth.csv');
    fs.writeFileSync(truth, `${[header, ...rows.filter((r) => exported.has(r.split(',')[0]))].join('\n')}\n`);
    const scored = JSON.parse(await strata(['score', '--truth', truth, '--pred', file, '--json'])) as { score: number; images: number };
    expect(scored.images).toBe(count);
    expect(scored.score.toFixed(4)).toBe(shownScore);
    expect(chosen).toBeGreaterThan(0);

    // A path that is not a .csv in an existing folder is refused and said so.
    await form.getByLabel('Submission file').fill('/no/such/folder/x.csv');
    await form.getByRole('button', { name: 'Export CSV' }).click();
    await expect.poll(() => form.locator('[role="alert"]').textContent()).toMatch(/not an existing folder/);
    expect(errors).toEqual([]);
    expect(httpErrors.filter((h) => !h.includes('/api/exportSubmission'))).toEqual([]);
  });

  it('predicts the unlabelled test folder and browses it without scores', async () => {
    const { page, errors } = await openApp(browser, lab, { hash: '#/masks' });
    await page.locator('[data-testid="mask-grid"]').waitFor({ timeout: 30_000 });
    const testImages = path.join(TGS_DIR, 'test', 'images');
    const n = fs.readdirSync(testImages).filter((f) => f.endsWith('.png')).length;
    const form = page.locator('[data-testid="predict-folder"]');
    await form.getByLabel('Folder to predict').fill(testImages);
    await form.getByRole('button', { name: 'Predict' }).click();
    const grid = page.locator('[data-testid="mask-grid"]');
    await expect.poll(() => grid.getAttribute('data-count'), { timeout: 120_000 }).toBe(String(n));
    expect(await page.locator('[data-testid="mask-summary"]').count()).toBe(0);
    expect(await page.locator('[data-testid="truth-note"]').textContent()).toMatch(/unlabelled/);
    // Stored in the run's folder: listed by the API, in a fresh page too.
    const stored = await call('listFolderPredictions', { id: runId });
    expect(stored.map((f) => f.path)).toEqual([testImages]);
    expect(stored[0]?.count).toBe(n);
    await saveScreenshot(page, 'masks-test-folder');
    expect(errors).toEqual([]);
  });
});
