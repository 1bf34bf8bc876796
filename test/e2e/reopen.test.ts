/**
 * The UI closed and reopened mid-run (issue: concurrent use): training goes on in its own process,
 * and a new window finds the same live run, its progress and its controls; no state lived only in
 * the closed page.
 */
import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { apiCall, openApp, saveScreenshot, setUpLabAndBrowser, type RunningLab } from './harness';

let lab: RunningLab;
let browser: Browser;

setUpLabAndBrowser((l, b) => {
  lab = l;
  browser = b;
});

const runLabel = (page: import('playwright-core').Page) => page.locator('[data-testid="status-run"]').textContent();

describe('closing and reopening the UI during training', () => {
  it('finds the same live run in a new window, and can still stop it', async () => {
    const run = await apiCall(lab, 'startRun', { design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', demoCount: 24, name: 'reopen', config: { epochs: 200, batch: 8 } });
    const first = await openApp(browser, lab, { hash: '#/runs' });
    await expect.poll(() => runLabel(first.page), { timeout: 60_000 }).toMatch(/^training reopen · epoch \d+\/200/);
    await first.page.context().close();

    // Training does not depend on the window: epochs keep completing while none is open.
    const before = (await apiCall(lab, 'getRun', { id: run.id })).epochsDone;
    await expect.poll(async () => (await apiCall(lab, 'getRun', { id: run.id })).epochsDone, { timeout: 60_000 }).toBeGreaterThan(before);

    const second = await openApp(browser, lab, { hash: `#/runs/${run.id}` });
    await expect.poll(() => runLabel(second.page), { timeout: 30_000 }).toMatch(/^training reopen · epoch \d+\/200/);
    await expect.poll(() => second.page.locator(`[data-testid="run-table"] tr[data-run="${run.id}"]`).textContent()).toMatch(/running/i);
    await saveScreenshot(second.page, 'reopen-live-run');

    await apiCall(lab, 'stopRun', { id: run.id, reason: 'enough' });
    await expect.poll(async () => (await apiCall(lab, 'getRun', { id: run.id })).status, { timeout: 60_000 }).toBe('stopped');
    await expect.poll(() => runLabel(second.page), { timeout: 30_000 }).toBe('no run training');
    const stopped = await apiCall(lab, 'getRun', { id: run.id });
    expect(stopped.statusReason).toBe('enough');
    expect(stopped.lastCheckpoint).not.toBeNull();
    expect(second.errors).toEqual([]);
  });
});
