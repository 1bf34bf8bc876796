/**
 * The page as the desktop app shows it, in Chromium against `npm run lab`: native pickers, folder
 * drops and the application menu.
 *
 * There is no Electron here, so a stand-in for the preload is put on the page as `window.strata`
 * before it loads: every call goes to the real lab over HTTP (the same handlers Electron's IPC
 * reaches), except what only Electron has, which the test scripts: the folder and save dialogs'
 * answers, `pathForFile` (Electron's webUtils) and the menu's `onMenuCommand` events. What this
 * cannot show: the real dialogs, the real menu and the real drag from a file manager (see
 * docs/desktop.md for the manual check-list).
 */
import fs from 'node:fs';
import path from 'node:path';
import { encode } from 'fast-png';
import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PRESET } from '../../shared/arch/presets';
import type { MenuCommand } from '../../shared/api/types';
import { apiCall, saveScreenshot, scratchDir, setUpLabAndBrowser, type RunningLab } from './harness';

let lab: RunningLab;
let browser: Browser;
setUpLabAndBrowser((l, b) => {
  lab = l;
  browser = b;
});

/** What the stand-in preload records and answers. */
interface Stand {
  calls: { name: string; input: unknown }[];
  /** Answers of the next dialogs, in order; an empty queue answers "cancelled". */
  dialogs: { path: string | null }[];
  designFile: { path: string; name: string; text: string } | null;
  paths: Record<string, string>;
  menu: ((c: MenuCommand) => void) | null;
}

declare global {
  interface Window {
    __stand?: Stand;
  }
}

/** A two-sample TGS-layout folder. */
function tgsFolder(): string {
  const root = scratchDir('desk-tgs');
  fs.mkdirSync(path.join(root, 'images'));
  fs.mkdirSync(path.join(root, 'masks'));
  const png = (f: (y: number, x: number) => number) => {
    const data = new Uint8Array(101 * 101);
    for (let y = 0; y < 101; y++) for (let x = 0; x < 101; x++) data[y * 101 + x] = f(y, x);
    return encode({ width: 101, height: 101, data, depth: 8, channels: 1 });
  };
  for (const id of ['a1', 'a2']) {
    fs.writeFileSync(path.join(root, 'images', `${id}.png`), png((y, x) => (x + y) % 200));
    fs.writeFileSync(path.join(root, 'masks', `${id}.png`), png((y) => (y > 50 ? 255 : 0)));
  }
  return root;
}

/** Opens the app with the stand-in preload on the page. */
async function openDesktop(hash: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.addInitScript(
    ({ origin, token }) => {
      const stand: Stand = { calls: [], dialogs: [], designFile: null, paths: {}, menu: null };
      window.__stand = stand;
      const viaLab = async (name: string, input: unknown) => {
        const res = await fetch(`${origin}/api/${name}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(input ?? {}),
        });
        const out = (await res.json()) as { ok: boolean; value?: unknown; error?: { message: string } };
        if (!out.ok) throw new Error(out.error?.message ?? `${name} failed`);
        return out.value;
      };
      const local: Record<string, (input: unknown, listener?: (e: unknown) => void) => unknown> = {
        pickFolder: async () => stand.dialogs.shift() ?? { path: null },
        pickSaveFile: async () => stand.dialogs.shift() ?? { path: null },
        openDesignFile: async () => stand.designFile,
        onMenuCommand: (_i, listener) => {
          stand.menu = listener as (c: MenuCommand) => void;
          return () => (stand.menu = null);
        },
      };
      (window as unknown as { strata: unknown }).strata = new Proxy(
        {},
        {
          get: (_t, name: string) => {
            if (name === 'pathForFile') return (f: File) => stand.paths[f.name] ?? '';
            if (name === 'then') return undefined;
            return (input: unknown, listener?: (e: unknown) => void) => {
              stand.calls.push({ name, input });
              const own = local[name];
              if (own) return own(input, listener);
              // The run streams never fire here: the one run (last test) has trained before its page opens.
              if (name.startsWith('on')) return () => undefined;
              return viaLab(name, input);
            };
          },
        },
      );
    },
    { origin: lab.origin, token: lab.token },
  );
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`console: ${m.text()}`);
  });
  await page.goto(`${lab.origin}/${hash}`);
  await page.locator('nav[aria-label="Views"]').waitFor();
  return { page, errors };
}

const callsOf = (page: Page, name: string) => page.evaluate((n) => window.__stand?.calls.filter((c) => c.name === n).map((c) => c.input) ?? [], name);
const queueDialog = (page: Page, p: string | null) => page.evaluate((x) => window.__stand?.dialogs.push({ path: x }), p);
const menu = (page: Page, c: MenuCommand) => page.evaluate((cmd) => window.__stand?.menu?.(cmd), c);

/** Drops files named `names` on the Data view, as a drag from the file manager does. */
async function dropFiles(page: Page, names: string[]): Promise<void> {
  await page.locator('[data-testid="data-drop-zone"]').evaluate((el, ns) => {
    const dt = new DataTransfer();
    for (const n of ns) dt.items.add(new File([''], n));
    el.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
    el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, names);
}

describe('the desktop app’s page (stand-in preload)', () => {
  it('imports from the folder dialog; a cancelled dialog changes nothing', async () => {
    const folder = tgsFolder();
    const { page, errors } = await openDesktop('#/data');
    const choose = page.getByRole('button', { name: 'Choose folder…' });
    await choose.waitFor();
    await page.locator('[data-testid="dataset-list"] [data-dataset="demo"]').waitFor();
    await saveScreenshot(page, 'desktop-data-view');

    await choose.click();
    await expect.poll(() => callsOf(page, 'pickFolder')).toEqual([{ purpose: 'import-dataset' }]);
    await page.waitForTimeout(300);
    expect(await page.locator('[data-testid="import-result"]').count()).toBe(0);
    expect(await page.locator('[data-testid="import-note"]').count()).toBe(0);
    expect(await callsOf(page, 'importDataset')).toEqual([]);
    expect(await page.getByLabel('Dataset folder (absolute path)').inputValue()).toBe('');

    await queueDialog(page, folder);
    await choose.click();
    await page.locator('[data-testid="import-result"][data-phase="done"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid="import-result"]').textContent()).toContain('Imported 2 samples');
    expect(await page.getByLabel('Dataset folder (absolute path)').inputValue()).toBe(folder);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a dropped folder imports; a dropped file, several items or an item without a path are refused by name', async () => {
    const folder = tgsFolder();
    const file = path.join(folder, 'train.csv');
    fs.writeFileSync(file, 'id,rle_mask\n');
    const { page, errors } = await openDesktop('#/data');
    await page.locator('[data-testid="dataset-list"] [data-dataset="demo"]').waitFor();
    await page.evaluate(({ f, d }) => window.__stand && (window.__stand.paths = { 'train.csv': f, [d.split('/').pop() ?? '']: d }), { f: file, d: folder });
    const note = page.locator('[data-testid="import-note"]');

    await dropFiles(page, ['train.csv']);
    await note.waitFor();
    expect(await note.textContent()).toContain(`${file} is a file, not a folder: drop the dataset's folder`);
    expect(await callsOf(page, 'importDataset')).toEqual([]);
    await saveScreenshot(page, 'desktop-drop-file');

    await dropFiles(page, ['a', 'b']);
    await expect.poll(() => note.textContent()).toContain('Drop one folder at a time: 2 items were dropped (a, b).');
    await dropFiles(page, ['from-a-web-page.png']);
    await expect.poll(() => note.textContent()).toContain('from-a-web-page.png has no path on this computer');
    expect(await callsOf(page, 'importDataset')).toEqual([]);

    await dropFiles(page, [path.basename(folder)]);
    await page.locator('[data-testid="import-result"][data-phase="done"]').waitFor({ timeout: 30_000 });
    expect(await callsOf(page, 'checkDroppedFolder')).toEqual([{ path: file }, { path: folder }]);
    expect(await callsOf(page, 'importDataset')).toEqual([{ path: folder }]);
    expect(await note.count()).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('follows the menu: views, File > Import dataset, and Save/Open design through the dialogs', async () => {
    const { page, errors } = await openDesktop('#/data');
    await expect.poll(() => page.evaluate(() => typeof window.__stand?.menu)).toBe('function');
    await menu(page, { command: 'show-view', view: 'runs' });
    await expect.poll(() => page.evaluate(() => window.location.hash)).toBe('#/runs');

    // File > Import dataset: back to Data, the folder dialog opens; cancelled, nothing happens.
    await menu(page, { command: 'import-dataset' });
    await expect.poll(() => page.locator('main').getAttribute('data-view')).toBe('data');
    await expect.poll(() => callsOf(page, 'pickFolder')).toEqual([{ purpose: 'import-dataset' }]);
    expect(await page.locator('[data-testid="import-result"]').count()).toBe(0);

    // File > Save design: the Designer opens and writes the open design where the dialog says.
    const out = path.join(scratchDir('desk-design'), 'mine.json');
    await queueDialog(page, out);
    await menu(page, { command: 'save-design' });
    await expect.poll(() => page.locator('main').getAttribute('data-view')).toBe('designer');
    await expect.poll(() => page.locator('[data-testid="designer-notice"]').textContent(), { timeout: 20_000 }).toMatch(new RegExp(`^Wrote ${DEFAULT_PRESET} to .*mine\\.json \\(\\d+ bytes\\)\\.`));
    expect((await callsOf(page, 'pickSaveFile'))[0]).toEqual({ purpose: 'design', defaultName: `${DEFAULT_PRESET}.json` });
    const saved = JSON.parse(fs.readFileSync(out, 'utf8')) as { name: string; nodes: unknown[] };
    // The Designer opens on the default design, the one `strata train` uses without --arch.
    expect(saved.name).toBe(DEFAULT_PRESET);
    expect(saved.nodes.length).toBeGreaterThan(3);

    // File > Open design: the opened file is imported like a dropped one.
    const text = JSON.stringify({ ...saved, name: 'reopened' });
    await page.evaluate((t) => window.__stand && (window.__stand.designFile = { path: '/home/me/reopened.json', name: 'reopened.json', text: t }), text);
    await menu(page, { command: 'open-design' });
    await expect.poll(() => page.locator('[data-testid="designer-notice"]').textContent()).toContain('Imported reopened.json.');
    expect(await page.locator('[data-testid="design-name"]').inputValue()).toBe('reopened');

    // File > Export submission with no run: the Masks view says there is nothing to export yet.
    await menu(page, { command: 'export-submission' });
    await expect.poll(() => page.locator('main').getAttribute('data-view')).toBe('masks');
    await page.locator('text=No run has finished an epoch yet').waitFor({ timeout: 20_000 });
    expect(await callsOf(page, 'pickSaveFile')).toHaveLength(1);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  // Last: the tests above need a lab without runs.
  it('Masks > Save as… writes a real submission file where the save dialog says; cancelled, nothing', async () => {
    const run = await apiCall(lab, 'startRun', { design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', demoCount: 24, name: 'desk masks', config: { epochs: 1, batch: 8 } });
    const end = Date.now() + 180_000;
    for (;;) {
      const r = await apiCall(lab, 'getRun', { id: run.id });
      if (r.status === 'done') break;
      if (['failed', 'stopped', 'interrupted'].includes(r.status)) throw new Error(`the run ended ${r.status}: ${r.statusReason ?? ''}`);
      if (Date.now() > end) throw new Error('the run did not finish in 180 s');
      await new Promise((res) => setTimeout(res, 500));
    }
    const val = (await apiCall(lab, 'getRun', { id: run.id })).split.val.length;
    const { page, errors } = await openDesktop('#/masks');
    const grid = page.locator('[data-testid="mask-grid"]');
    await expect.poll(() => grid.getAttribute('data-count'), { timeout: 30_000 }).toBe(String(val));
    const saveAs = page.getByTestId('export-save-as');
    // The desktop app writes only where its save dialog was answered: no typed submission path is offered.
    expect(await page.getByLabel('Submission file').count()).toBe(0);

    // Cancelled: nothing is written.
    await saveAs.click();
    await expect.poll(() => callsOf(page, 'pickSaveFile')).toEqual([{ purpose: 'submission', defaultName: 'desk-masks-submission.csv' }]);
    await page.waitForTimeout(300);
    expect(await callsOf(page, 'exportSubmission')).toEqual([]);
    expect(await page.getByTestId('export-done').count()).toBe(0);

    const out = path.join(scratchDir('desk-sub'), 'chosen.csv');
    await queueDialog(page, out);
    await saveAs.click();
    await page.getByTestId('export-done').waitFor({ timeout: 20_000 });
    expect(await callsOf(page, 'exportSubmission')).toEqual([expect.objectContaining({ id: run.id, path: out })]);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('id,rle_mask');
    expect(lines).toHaveLength(val + 1);
    expect(await page.getByTestId('export-done').textContent()).toContain(`Wrote ${val} rows`);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 240_000);
});
