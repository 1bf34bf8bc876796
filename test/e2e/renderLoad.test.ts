/**
 * Load on the renderer: a run streams 36,000 batch messages (20 a second for 30 minutes, compressed
 * into seconds) while the monitor watches it. The lab, its server and the page are real; only the
 * trainer is a stand-in process that sends the messages. Every step must arrive and be kept (the
 * data is never dropped), and the page's heap must grow only by what that data needs.
 */
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths';
import { apiCall, openApp, saveScreenshot, setUpLabAndBrowser, type RunningLab } from './harness';

const MESSAGES = 36_000;
let lab: RunningLab;
let browser: Browser;

setUpLabAndBrowser(
  (l, b) => {
    lab = l;
    browser = b;
  },
  {
    script: path.join(REPO_ROOT, 'test/reliability/fixtures/fakeLab.ts'),
    env: { STRATA_FAKE_TRAINER_COUNT: String(MESSAGES), STRATA_FAKE_TRAINER_DELAY_MS: '8000', STRATA_FAKE_TRAINER_HOLD: '1' },
  },
);

describe('the monitor under a long run', () => {
  it('keeps every one of 36,000 steps with a bounded heap', { timeout: 300_000 }, async () => {
    const run = await apiCall(lab, 'startRun', { design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', demoCount: 8, name: 'load', config: { epochs: 30 } });
    const { page, errors } = await openApp(browser, lab, { hash: '#/training' });
    // Watch the run in the monitor, as a user who opened it would.
    await page.evaluate((id) => {
      sessionStorage.setItem('strata.training.run', id);
      sessionStorage.setItem('strata.training.tab', 'monitor');
    }, run.id);
    await page.reload();
    await page.locator(`[data-testid="monitor-header"][data-run="${run.id}"]`).waitFor({ timeout: 30_000 });
    const cdp = await page.context().newCDPSession(page);
    const heap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      return (await cdp.send('Runtime.getHeapUsage')).usedSize;
    };
    const before = await heap();
    const steps = () => page.locator('[data-testid="step-count"]').textContent();
    await expect.poll(steps, { timeout: 120_000, interval: 500 }).toBe(String(MESSAGES));
    const after = await heap();
    // A second look once the stream has ended: nothing keeps growing without new data.
    await page.waitForTimeout(2000);
    const settled = await heap();
    await saveScreenshot(page, 'monitor-36000-steps');
    const MiB = 1024 * 1024;
    // 36,000 steps x 8 numbers kept in the series is about 2.3 MiB as plain numbers; allow 8x for
    // arrays' growth slack, the smoothed copy and ECharts' downsampled 2,000-point lines.
    expect(after - before).toBeLessThan(20 * MiB);
    expect(Math.abs(settled - after)).toBeLessThan(2 * MiB);
    await apiCall(lab, 'stopRun', { id: run.id });
    expect(errors).toEqual([]);
    process.stderr.write(`renderer heap: before ${(before / MiB).toFixed(1)} MiB, after 36,000 steps ${(after / MiB).toFixed(1)} MiB, 2 s later ${(settled / MiB).toFixed(1)} MiB\n`);
  });
});
