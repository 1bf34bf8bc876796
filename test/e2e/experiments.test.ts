/**
 * The Training view's Experiments tab in real Chromium against `npm run lab`: on an empty store it
 * says there are none and how to make one; after an experiment's runs are written to the store
 * (test/helpers/experimentStore.ts: four initializers, one run queued and one not made) Refresh
 * shows it: the claim, the partial state in words, all three verdicts, mean ± std and intervals equal
 * to the statistics of what the runs stored, the detector event, the initialisation analysis, and
 * charts that drew their series. One screenshot goes to the system temp folder.
 */
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SERIES_COLORS } from '../../shared/charts/colors';
import { summarize } from '../../shared/metrics/seedGroups';
import { INIT_CLAIM, INIT_EXPERIMENT, PLATEAU_MESSAGE, writeInitExperiment } from '../helpers/experimentStore';
import { apiCall, openApp, scratchDir, setUpLabAndBrowser, type RunningLab } from './harness';

let lab: RunningLab;
let browser: Browser;
const runsDir = scratchDir('experiments-runs');

setUpLabAndBrowser(
  (l, b) => {
    lab = l;
    browser = b;
  },
  { env: { STRATA_RUNS_DIR: runsDir } },
);

const text = async (page: Page, selector: string) => ((await page.locator(selector).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();

/** How many pixels of the chart's canvas are within 10 of each of `colors` in every channel. */
async function colorPixels(page: Page, chart: string, colors: readonly string[]): Promise<number[]> {
  return page.locator(`[data-chart="${chart}"] canvas`).first().evaluate((canvas, hexes) => {
    const c = canvas as HTMLCanvasElement;
    const data = (c.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, c.width, c.height).data;
    const rgb = hexes.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
    const counts = rgb.map(() => 0);
    for (let p = 0; p < data.length; p += 4) {
      rgb.forEach(([r, g, b], k) => {
        if (Math.abs((data[p] ?? 0) - (r ?? 0)) <= 10 && Math.abs((data[p + 1] ?? 0) - (g ?? 0)) <= 10 && Math.abs((data[p + 2] ?? 0) - (b ?? 0)) <= 10) counts[k] = (counts[k] ?? 0) + 1;
      });
    }
    return counts;
  }, colors);
}

describe('the Experiments tab in Chromium', () => {
  it('explains an empty store, then shows an experiment\'s verdicts, statistics and charts', async () => {
    const { page, errors, httpErrors } = await openApp(browser, lab, { hash: '#/training' });
    await page.locator('[data-tab="experiments"]').click();
    await page.locator('[data-testid="no-experiments"]').waitFor({ timeout: 20_000 });
    expect(await text(page, '[data-testid="no-experiments"]')).toContain('No experiments yet.');
    expect(await text(page, '[data-testid="no-experiments"]')).toContain('strata experiment run FILE');

    const { ids } = await writeInitExperiment(runsDir, scratchDir('experiments-file'));
    await page.getByRole('button', { name: 'Refresh' }).click();
    const results = page.locator(`[data-experiment="${INIT_EXPERIMENT}"]`);
    await results.waitFor({ timeout: 20_000 });

    expect(await text(page, '[data-testid="claim"]')).toBe(INIT_CLAIM);
    expect(await text(page, '[data-testid="experiment-progress"]')).toBe('10 of 12 planned runs are complete; 1 is queued, training or unfinished, 1 not made yet.');
    expect(await text(page, '[data-testid="experiment-partial"]')).toContain('a group with fewer than 3 complete runs (he_uniform) gives no verdict yet');
    expect(await text(page, '#exp-version option:checked')).toBe('v1 · 10 of 12 runs complete');

    // The verdicts of the best val score against the first level, glorot_normal.
    const verdict = (group: string) => text(page, `[data-testid="comparisons"] tr[data-metric="bestScore"][data-group="${group}"] [data-cell="verdict"]`);
    expect(await verdict('he_normal')).toBe('glorot_normal better than he_normal');
    expect(await verdict('glorot_uniform')).toBe('no difference at this scale');
    expect(await verdict('he_uniform')).toBe('too few seeds to tell');
    expect(await text(page, '[data-testid="comparisons"] tr[data-metric="bestScore"][data-group="he_normal"] [data-cell="difference"]')).toBe('-0.0900');

    // Mean ± std of the best scores the complete runs stored, read back from the lab run by run; hand-worked for glorot_normal.
    const cell = (group: string, metric: string) => text(page, `[data-testid="final-metrics"] tr[data-group="${group}"] td[data-metric="${metric}"] .mean-std`);
    expect(await cell('glorot_normal', 'bestScore')).toBe('0.6200 ± 0.0200');
    for (const [group, runIds] of Object.entries(ids)) {
      const stored = await Promise.all(runIds.map((id) => apiCall(lab, 'getRun', { id })));
      const best = stored.filter((r) => r.status === 'done').map((r) => r.best?.score as number);
      const s = summarize(best);
      // One run has no spread to show.
      expect(await cell(group, 'bestScore'), group).toBe(s.n === 1 ? `${s.mean.toFixed(4)} (1 run)` : `${s.mean.toFixed(4)} ± ${s.std.toFixed(4)}`);
    }
    // Training seconds per epoch: each run stored 6 s for 3 epochs; the runs recorded no checkerboard amplitude, so it has no column.
    expect(await cell('glorot_normal', 'secondsPerEpoch')).toBe('2.0000 ± 0.0000');
    expect(await page.locator('[data-testid="final-metrics"] td[data-metric="valNyquistAmplitude"]').count()).toBe(0);
    expect(await text(page, '[data-testid="metric-notes"]')).toContain("training s per epoch: each run's training time");
    // One loss for all groups and no run diverged: nothing to say of either.
    expect(await page.locator('[data-testid="experiment-diverged"], [data-testid="finals-loss-note"]').count()).toBe(0);
    // The intervals and the analysis as the lab computed them (the lab's own tests work them by hand).
    const view = await apiCall(lab, 'experimentResults', { name: INIT_EXPERIMENT });
    for (const g of view.groups) {
      const m = g.metrics.find((x) => x.metric === 'bestScore');
      const shown = await text(page, `[data-testid="final-metrics"] tr[data-group="${g.key}"] td[data-metric="bestScore"] .interval`);
      expect(shown, g.key).toBe(m?.interval ? `[${m.interval.low.toFixed(4)}, ${m.interval.high.toFixed(4)}]` : '—');
      expect(await text(page, `[data-testid="init-table"] tr[data-group="${g.key}"] [data-cell="s0"]`), g.key).toBe(g.init?.s0Share.toFixed(4));
    }

    expect(await text(page, '[data-testid="experiment-detectors"] tr[data-group="he_normal"] [data-cell="plateau"]')).toBe('1 of 3 runs');
    expect(await text(page, '[data-testid="detector-events"]')).toBe(`he_normal, seed 2, epoch 1 (plateau): ${PLATEAU_MESSAGE}`);
    const missing = await page.locator('[data-testid="experiment-runs"] tr[data-missing]').evaluateAll((rows) => rows.map((r) => Array.from(r.children, (td) => td.textContent?.trim())));
    expect(missing).toEqual([['he_uniform', '3', '—', 'not made yet', '0', '—', 'no']]);

    // The charts drew each group's series, in its colour.
    const colors = SERIES_COLORS.light.slice(0, 4);
    for (const chart of ['curves-valScore', 'curves-valLoss', 'curves-trainLoss', 'final-bestScore', 'summands']) {
      await expect.poll(async () => Math.min(...(await colorPixels(page, chart, colors))), { timeout: 20_000, message: chart }).toBeGreaterThan(20);
    }
    expect(await page.locator('[data-chart="final-bestScore"]').getAttribute('data-series')).toBe('2');
    expect(await page.locator('[data-chart="summands"]').getAttribute('data-series')).toBe('4');
    expect(await page.locator('[data-chart="curves-valScore"]').getAttribute('data-lines')).toBe('glorot_normal (n=3)|he_normal (n=3)|glorot_uniform (n=3)|he_uniform (n=1)');

    // Another metric: the bars and the comparisons follow it.
    await page.locator('#exp-metric').selectOption('valLoss');
    await page.locator('[data-chart="final-valLoss"]').waitFor();
    expect(await page.locator('[data-testid="comparisons"] tr[data-metric="bestScore"]').count()).toBe(0);
    expect(await text(page, '[data-testid="comparisons"] tr[data-metric="valLoss"][data-group="he_normal"] [data-cell="verdict"]')).toBe('glorot_normal better than he_normal');
    await page.locator('#exp-metric').selectOption('bestScore');
    // The view scrolls inside the app's frame: a window tall enough shows all of it.
    await page.setViewportSize({ width: 1440, height: 4000 });
    await page.screenshot({ path: path.join(os.tmpdir(), 'strata-experiments-view.png') });

    // A run opens in Runs.
    await page.locator(`[data-run="${ids['he_normal']?.[0]}"] button`).click();
    await expect.poll(() => page.evaluate(() => window.location.hash)).toBe(`#/runs/${ids['he_normal']?.[0]}`);
    expect(errors).toEqual([]);
    expect(httpErrors).toEqual([]);
  }, 120_000);
});
