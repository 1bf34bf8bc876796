/**
 * The renderer in real Chromium against `npm run lab`: importing a folder with broken files,
 * starting a run on the demo set and watching it finish, deleting it, and the frame around them;
 * choosing the post-processing of a run stopped after its first epoch, and choosing it again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { encode } from 'fast-png';
import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { describePostprocess } from '../../shared/runs/postprocess';
import { apiCall, openApp, saveScreenshot, scratchDir, setUpLabAndBrowser, type RunningLab } from './harness';

const SIZE = 101;
const GOOD = ['g0', 'g1', 'g2', 'g3', 'g4', 'g5'];
/** The mask rectangle of every good sample: rows 20..59, columns 30..69. */
const MASK = { top: 20, bottom: 60, left: 30, right: 70 };

function greyPng(pixel: (y: number, x: number) => number): Uint8Array {
  const data = new Uint8Array(SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) data[y * SIZE + x] = pixel(y, x);
  return encode({ width: SIZE, height: SIZE, data, depth: 8, channels: 1 });
}

/** A TGS-layout folder: six good samples, and files broken in the ways the importer reports. */
function writeFolder(): string {
  const root = scratchDir('tgs');
  fs.mkdirSync(path.join(root, 'images'));
  fs.mkdirSync(path.join(root, 'masks'));
  const inMask = (y: number, x: number) => y >= MASK.top && y < MASK.bottom && x >= MASK.left && x < MASK.right;
  GOOD.forEach((id, k) => {
    fs.writeFileSync(path.join(root, 'images', `${id}.png`), greyPng((y, x) => (x * 2 + y + k * 10) % 200));
    fs.writeFileSync(path.join(root, 'masks', `${id}.png`), greyPng((y, x) => (inMask(y, x) ? 255 : 0)));
  });
  const png = greyPng(() => 0);
  fs.writeFileSync(path.join(root, 'images', 'broken.png'), png.subarray(0, 40));
  fs.writeFileSync(path.join(root, 'masks', 'broken.png'), png);
  fs.writeFileSync(path.join(root, 'images', 'empty.png'), new Uint8Array(0));
  fs.writeFileSync(path.join(root, 'images', 'nomask.png'), greyPng(() => 90));
  fs.writeFileSync(path.join(root, 'masks', 'orphan.png'), png);
  return root;
}

let lab: RunningLab;
let browser: Browser;

setUpLabAndBrowser((l, b) => {
  lab = l;
  browser = b;
});

/** The run row for `id` in the runs table. */
const runRow = (page: Page, id: string) => page.locator(`[data-testid="run-table"] tr[data-run="${id}"]`);

describe('the app in Chromium', () => {
  it('shows the frame: navigation by keyboard and the status bar', async () => {
    const { page, errors, httpErrors } = await openApp(browser, lab);
    await expect.poll(() => page.locator('main').getAttribute('data-view')).toBe('data');
    await page.keyboard.press('Alt+2');
    await expect.poll(() => page.evaluate(() => window.location.hash)).toBe('#/designer');
    await expect.poll(() => page.locator('main').getAttribute('data-view')).toBe('designer');
    await page.keyboard.press('Alt+5');
    await expect.poll(() => page.evaluate(() => window.location.hash)).toBe('#/runs');
    await page.locator('text=No runs yet').waitFor();
    // Tab reaches the navigation buttons, and Enter on one navigates.
    await page.locator('nav button[data-view="masks"]').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => window.location.hash)).toBe('#/masks');
    // The lab probes the backend when it opens: the status bar names it before any run.
    await expect.poll(() => page.locator('[data-testid="status-backend"]').textContent(), { timeout: 30_000 }).toMatch(/^(wasm|cpu|tfjs-node|tfjs-node-gpu) · /);
    await expect.poll(() => page.locator('main').getAttribute('data-view')).toBe('masks');
    await saveScreenshot(page, 'frame-masks');
    expect(errors).toEqual([]);
    expect(httpErrors).toEqual([]);
  });

  it('lists the demo set as synthetic and draws its samples with the mask overlay', async () => {
    const { page, errors } = await openApp(browser, lab, { hash: '#/data', colorScheme: 'dark' });
    await page.locator('[data-testid="synthetic-badge"]').waitFor();
    await expect.poll(() => page.locator('[data-testid="samples"] canvas').count(), { timeout: 20_000 }).toBe(24);
    expect(await page.locator('[data-testid="dataset-list"] [data-dataset="demo"]').textContent()).toMatch(/synthetic/i);
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => page.locator('[data-testid="page-range"]').textContent(), { timeout: 10_000 }).toMatch(/^25–48 of \d+/);
    await saveScreenshot(page, 'data-demo-dark');
    expect(errors).toEqual([]);
  });

  it('imports a folder with broken files: lists each problem by file and shows the good samples', async () => {
    const folder = writeFolder();
    const { page, errors } = await openApp(browser, lab, { hash: '#/data' });
    await page.getByLabel('Folder on the lab machine (absolute path)').fill(folder);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const result = page.locator('[data-testid="import-result"][data-phase="done"]');
    await result.waitFor({ timeout: 30_000 });
    expect(await result.textContent()).toContain(`Imported ${GOOD.length} samples`);

    const problems = page.locator('[data-testid="problems"]');
    const text = (await problems.textContent()) ?? '';
    for (const [file, code] of [
      ['images/broken.png', 'corrupt-png'],
      ['images/empty.png', 'empty-file'],
      ['images/nomask.png', 'missing-mask'],
      ['masks/orphan.png', 'missing-image'],
    ]) {
      const row = problems.locator('tbody tr', { hasText: file });
      expect(await row.count(), `a problem row for ${file}`).toBeGreaterThan(0);
      expect(await row.first().textContent()).toContain(code);
    }
    expect(text).toMatch(/\d+ errors?/);
    // Only errors when filtered to errors.
    await problems.getByText('Errors', { exact: true }).click();
    const severities = await problems.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-severity')));
    expect(severities.length).toBeGreaterThan(0);
    expect(new Set(severities)).toEqual(new Set(['error']));

    const thumbs = page.locator('[data-testid="samples"] canvas');
    await expect.poll(() => thumbs.count(), { timeout: 10_000 }).toBe(GOOD.length);
    expect(await page.locator('[data-testid="dataset-summary"] [data-testid="synthetic-badge"]').count()).toBe(0);
    // Inside the mask the overlay tints the grey towards orange; outside it stays grey.
    const [inside, outside] = await page.locator('[data-sample="g0"] canvas').evaluate((c: HTMLCanvasElement, m) => {
      const ctx = c.getContext('2d');
      if (!ctx) throw new Error('no 2d context');
      const px = (y: number, x: number) => Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3));
      return [px(m.top + 10, m.left + 10), px(5, 5)];
    }, MASK);
    expect(outside).toEqual([15, 15, 15]); // (x*2 + y) % 200 at (5, 5), R = G = B
    expect(inside?.[0]).toBeGreaterThan(inside?.[2] ?? 255);
    await saveScreenshot(page, 'data-import-with-problems');
    expect(errors).toEqual([]);
  });

  it('in browser mode the Data view types paths: no folder dialog, and a dropped file only gets a note', async () => {
    const { page, errors, httpErrors } = await openApp(browser, lab, { hash: '#/data' });
    await page.getByLabel('Folder on the lab machine (absolute path)').waitFor();
    await page.locator('[data-testid="dataset-list"] [data-dataset="demo"]').waitFor();
    expect(await page.getByRole('button', { name: 'Choose folder…' }).count()).toBe(0);
    const zone = page.locator('[data-testid="data-drop-zone"]');
    /** Dispatches drag event `type` carrying one file, as a drag from the file manager does. */
    const drag = (type: 'dragenter' | 'drop') =>
      zone.evaluate((el, t) => {
        const dt = new DataTransfer();
        dt.items.add(new File(['id,rle_mask\n'], 'train.csv', { type: 'text/csv' }));
        el.dispatchEvent(new DragEvent(t, { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, type);
    // Files dragged over the view light it up as a drop zone...
    await drag('dragenter');
    await expect.poll(() => zone.getAttribute('data-dragging')).toBe('true');
    await page.locator('.drop-hint').waitFor();
    await saveScreenshot(page, 'data-browser-dragging');
    // ...and a drop explains that dropping folders needs the desktop app, asking the lab nothing.
    await drag('drop');
    const note = page.locator('[data-testid="import-note"]');
    await note.waitFor();
    expect(await zone.getAttribute('data-dragging')).toBe('false');
    expect(await note.getAttribute('data-tone')).toBe('info');
    expect(await note.textContent()).toMatch(/Dropping a folder works in the desktop app\..*type \(or paste\) the folder’s absolute path/s);
    expect(await page.locator('[data-testid="import-result"]').count()).toBe(0);
    await saveScreenshot(page, 'data-browser-drop-note');
    await note.getByRole('button', { name: 'Dismiss' }).click();
    expect(await note.count()).toBe(0);
    expect(errors).toEqual([]);
    expect(httpErrors).toEqual([]);
  });

  it('starts a run on the demo set from the UI, sees it train and finish, then deletes it', async () => {
    const { page, errors } = await openApp(browser, lab, { hash: '#/runs' });
    await page.getByRole('button', { name: 'New run' }).click();
    const form = page.locator('[data-testid="new-run"]');
    await form.getByLabel('Design preset').selectOption('tiny');
    await form.getByLabel('Dataset').selectOption('demo');
    await form.getByLabel('Demo samples').fill('16');
    await form.getByLabel('Epochs').fill('1');
    await form.getByLabel('Batch size').fill('8');
    await form.getByLabel('Name (optional)').fill('e2e tiny demo');
    await form.getByRole('button', { name: 'Start run' }).click();
    await saveScreenshot(page, 'runs-started');

    await expect.poll(() => page.evaluate(() => window.location.hash), { timeout: 60_000 }).toMatch(/^#\/runs\/\d{8}-\d{6}-\d{3}-[a-z0-9]{6}$/);
    const runId = (await page.evaluate(() => window.location.hash)).replace('#/runs/', '');
    const details = page.locator(`[data-testid="run-details"][data-run="${runId}"]`);
    await details.waitFor();
    expect(await runRow(page, runId).textContent()).toContain('e2e tiny demo');

    // It finishes without a reload: the list follows onRunsChanged.
    await runRow(page, runId).locator('[data-status="done"]').waitFor({ timeout: 180_000 });
    await details.locator('[data-testid="epoch-table"] tbody tr').first().waitFor({ timeout: 10_000 });
    expect(await details.locator('[data-testid="epoch-table"] tbody tr').count()).toBe(1);
    expect(await runRow(page, runId).textContent()).toContain('1/1');
    await expect.poll(() => page.locator('[data-testid="status-backend"]').textContent(), { timeout: 10_000 }).toMatch(/^(wasm|cpu|tfjs-node|tfjs-node-gpu)/);
    await expect.poll(() => page.locator('[data-testid="status-run"]').textContent(), { timeout: 10_000 }).toBe('no run training');
    await saveScreenshot(page, 'runs-finished');

    await details.getByRole('button', { name: 'Delete…' }).click();
    await details.getByRole('button', { name: 'Delete run' }).click();
    await expect.poll(() => runRow(page, runId).count(), { timeout: 10_000 }).toBe(0);
    await expect.poll(() => page.evaluate(() => window.location.hash)).toBe('#/runs');
    await page.locator('text=No runs yet').waitFor();
    await saveScreenshot(page, 'runs-after-delete');
    expect(errors).toEqual([]);
  });

  it('shows a training run live in the status bar, and stops it', async () => {
    const { page, errors } = await openApp(browser, lab, { hash: '#/runs' });
    await page.getByRole('button', { name: 'New run' }).click();
    const form = page.locator('[data-testid="new-run"]');
    await form.getByLabel('Demo samples').fill('32');
    await form.getByLabel('Epochs').fill('200');
    await form.getByLabel('Name (optional)').fill('e2e long run');
    await form.getByRole('button', { name: 'Start run' }).click();
    await expect.poll(() => page.evaluate(() => window.location.hash), { timeout: 60_000 }).toMatch(/^#\/runs\/.+/);
    const runId = (await page.evaluate(() => window.location.hash)).replace('#/runs/', '');

    const status = page.locator('[data-testid="status-run"]');
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toMatch(/^training e2e long run · epoch \d+\/200 · [\d.]+%/);
    await runRow(page, runId).locator('[data-status="running"]').waitFor({ timeout: 10_000 });
    await saveScreenshot(page, 'runs-live');

    const details = page.locator(`[data-testid="run-details"][data-run="${runId}"]`);
    await details.getByRole('button', { name: 'Stop' }).click();
    await runRow(page, runId).locator('[data-status="stopped"]').waitFor({ timeout: 60_000 });
    await expect.poll(() => details.locator('[data-testid="status-reason"]').textContent(), { timeout: 10_000 }).toContain('stopped by the user');
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toBe('no run training');
    await saveScreenshot(page, 'runs-stopped');
    expect(errors).toEqual([]);
  });

  it('chooses the post-processing of a run stopped after its first epoch, shows it with its test score, and chooses it again', async () => {
    const run = await apiCall(lab, 'startRun', {
      design: { kind: 'preset', name: 'tiny' },
      datasetId: 'demo',
      demoCount: 24,
      name: 'e2e stopped early',
      testIds: ['demo-0003', 'demo-0011'],
      config: { epochs: 50, batch: 8, inference: { tta: false, snapshots: 1 } },
    });
    const getRun = () => apiCall(lab, 'getRun', { id: run.id });
    await expect.poll(async () => (await getRun()).epochsDone, { timeout: 120_000, interval: 300 }).toBeGreaterThanOrEqual(1);
    await apiCall(lab, 'stopRun', { id: run.id });
    await expect.poll(async () => (await apiCall(lab, 'getQueue', {})).active, { timeout: 60_000, interval: 300 }).toBeNull();
    expect(await getRun()).toMatchObject({ status: 'stopped', postprocess: null, test: null });

    const { page, errors } = await openApp(browser, lab, { hash: `#/runs/${run.id}` });
    const details = page.locator(`[data-testid="run-details"][data-run="${run.id}"]`);
    const val = details.locator('[data-testid="val-result"]');
    await details.waitFor();
    expect(await val.textContent()).toContain('no post-processing chosen');
    await details.getByRole('button', { name: 'Choose post-processing' }).click();
    // Busy while the trainer process chooses (it takes a process start at least): the buttons wait.
    await details.locator('[data-testid="finalize-progress"]').waitFor();
    expect(await details.locator('[data-testid="finalize-progress"]').textContent()).toBe(
      'Choosing: predicting the 5 validation images to choose the checkpoints, threshold and minimum area, then scoring the 2 test images once…',
    );
    expect(await details.getByRole('button', { name: 'Choosing…' }).isDisabled()).toBe(true);
    expect(await details.getByRole('button', { name: 'Delete…' }).isDisabled()).toBe(true);

    // Then the stored choice and its test score, as the lab keeps them, in the details and the list.
    await val.locator('[data-testid="val-score"]').waitFor({ timeout: 60_000 });
    const stored = await getRun();
    if (!stored.postprocess || !stored.test) throw new Error('the run has no stored post-processing and test score');
    expect(await val.locator('[data-testid="val-score"]').textContent()).toBe(stored.postprocess.valScore.toFixed(4));
    expect(await details.locator('[data-testid="detail-postprocess"]').textContent()).toBe(describePostprocess(stored.postprocess));
    expect(await details.locator('[data-testid="test-score"]').textContent()).toBe(stored.test.score.toFixed(4));
    await expect.poll(() => runRow(page, run.id).locator('td[data-col="test"] [data-testid="test-value"]').textContent(), { timeout: 10_000 }).toBe(stored.test.score.toFixed(4));
    await saveScreenshot(page, 'runs-postprocess-chosen');

    // Choosing again while another choice of the run is under way is refused, in the view's error style.
    const elsewhere = apiCall(lab, 'finalizeRun', { id: run.id });
    await details.getByRole('button', { name: 'Choose again' }).click();
    await expect.poll(() => details.locator('.notice.error[role="alert"]').textContent(), { timeout: 10_000 }).toBe(
      `run ${run.id}'s post-processing is being chosen; wait for that to finish before choosing it again`,
    );
    const before = (await elsewhere).postprocess?.at ?? 0;
    await details.getByRole('button', { name: 'Choose again' }).click();
    await expect.poll(async () => (await getRun()).postprocess?.at ?? 0, { timeout: 60_000, interval: 300 }).toBeGreaterThan(before);
    await details.getByRole('button', { name: 'Choose again' }).waitFor({ timeout: 10_000 });
    expect(await details.locator('.notice.error').count()).toBe(0);
    expect(await details.locator('[data-testid="detail-postprocess"]').textContent()).toBe(describePostprocess((await getRun()).postprocess ?? stored.postprocess));
    expect(errors).toEqual([]);
  }, 300_000);
});
