/**
 * The Training view in real Chromium against `npm run lab`: start a run from the setup form, see
 * its charts receive points, pause, resume and stop it, reload and see the same curves rebuilt from
 * the run store; then queue a second configuration over two seeds, compare runs (the legend names
 * the difference) and see the seed group's band and statistics.
 */
import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openApp, saveScreenshot, setUpLabAndBrowser, type RunningLab } from './harness';

let lab: RunningLab;
let browser: Browser;

setUpLabAndBrowser((l, b) => {
  lab = l;
  browser = b;
});

const header = (page: Page) => page.locator('[data-testid="monitor-header"]');
const points = async (page: Page, chart: string) => Number((await page.locator(`[data-chart="${chart}"]`).getAttribute('data-points')) ?? '0');

async function fillSetup(page: Page, o: { epochs: string; batch: string; demo: string; name: string; init: string; repeats?: string }): Promise<void> {
  const form = page.locator('[data-testid="training-setup"]');
  await form.getByLabel('Design').selectOption('preset:tiny');
  await form.getByLabel('Dataset').selectOption('demo');
  await form.getByLabel('Demo samples').fill(o.demo);
  await form.getByLabel('Epochs', { exact: true }).fill(o.epochs);
  await form.getByLabel('Batch size').fill(o.batch);
  await form.getByLabel('Initializer').selectOption(o.init);
  await form.getByLabel('Seeds per configuration').fill(o.repeats ?? '1');
  await form.getByLabel('Name (optional)').fill(o.name);
}

describe('the training monitor in Chromium', () => {
  it('starts a run, charts it live, pauses, resumes and stops it, and rebuilds the curves after a reload', async () => {
    const { page, errors } = await openApp(browser, lab, { hash: '#/training' });
    await page.locator('[data-tab="setup"]').click();
    await page.locator('[data-testid="memory-estimate"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-testid="memory-estimate"]').textContent()).toMatch(/training memory ≈ [\d.]+ (kB|MB|GB) at batch 16/);

    await fillSetup(page, { epochs: '40', batch: '4', demo: '24', name: 'monitor A', init: 'he_uniform' });
    // A bad value is refused with its reason before anything is sent.
    await page.getByLabel('Learning rate').fill('-1');
    await page.locator('[data-testid="queue-runs"]').click();
    expect(await page.locator('[data-testid="training-setup"]').textContent()).toContain('Learning rate must be above 0');
    // Empty: the optimizer's default, as run B below has, so that the two differ in epochs, batch and init only.
    await page.getByLabel('Learning rate').fill('');

    await page.locator('[data-testid="measure"]').click();
    await page.locator('[data-testid="epoch-estimate"]').waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid="epoch-estimate"]').textContent()).toMatch(/per epoch on/);
    await saveScreenshot(page, 'monitor-setup');

    await page.locator('[data-testid="queue-runs"]').click();
    await expect.poll(() => header(page).getAttribute('data-status'), { timeout: 60_000 }).toBe('running');
    await expect.poll(() => points(page, 'loss'), { timeout: 60_000 }).toBeGreaterThan(8);
    const runId = (await header(page).getAttribute('data-run')) ?? '';

    await header(page).getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => header(page).getAttribute('data-status'), { timeout: 30_000 }).toBe('paused');
    const pausedAt = await points(page, 'loss');
    await saveScreenshot(page, 'monitor-paused');
    await header(page).getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => header(page).getAttribute('data-status'), { timeout: 30_000 }).toBe('running');
    await expect.poll(() => points(page, 'loss'), { timeout: 60_000 }).toBeGreaterThan(pausedAt);
    // Let an epoch finish so the epoch lines and the best marker have something.
    await expect.poll(async () => Number((await page.locator('[data-testid="epoch-progress"]').textContent())?.split('/')[0]), { timeout: 90_000 }).toBeGreaterThan(2);

    await header(page).getByRole('button', { name: 'Stop…' }).click();
    expect(await header(page).textContent()).toContain('checkpoints are kept');
    await header(page).getByRole('button', { name: 'Stop run' }).click();
    await expect.poll(() => header(page).getAttribute('data-status'), { timeout: 30_000 }).toBe('stopped');
    await page.waitForTimeout(500);
    const steps = Number(await page.locator('[data-testid="step-count"]').textContent());
    const lossPoints = await points(page, 'loss');
    const scorePoints = await points(page, 'score');
    expect(steps).toBeGreaterThan(8);
    expect(scorePoints).toBeGreaterThan(1);
    // BN health: tiny has BN at its six samplers and the head, one line each with a point per finished epoch
    // (as many as the score has), and a note on reading it.
    for (const chart of ['bn-gap', 'bn-mean-drift', 'bn-var-drift']) {
      expect((await page.locator(`[data-chart="${chart}"]`).getAttribute('data-lines'))?.split('|')).toEqual(['down0', 'down1', 'down2', 'up2', 'up1', 'up0', 'head']);
      expect(await points(page, chart)).toBe(7 * scorePoints);
    }
    expect(await page.locator('[data-chart-note="bn-gap"]').textContent()).toContain('High values (above about 0.1');
    expect(await page.locator('[data-chart-note="checkerboard"]').textContent()).toContain('too faint to see');
    await saveScreenshot(page, 'monitor-stopped');

    await page.reload();
    await expect.poll(() => header(page).getAttribute('data-run'), { timeout: 20_000 }).toBe(runId);
    await expect.poll(() => points(page, 'loss'), { timeout: 20_000 }).toBe(lossPoints);
    expect(await points(page, 'score')).toBe(scorePoints);
    expect(await points(page, 'bn-gap')).toBe(7 * scorePoints);
    expect(Number(await page.locator('[data-testid="step-count"]').textContent())).toBe(steps);
    expect(errors).toEqual([]);
  }, 300_000);

  it('queues a configuration over two seeds, then compares runs with the difference in the legend and a seed band', async () => {
    const { page, errors } = await openApp(browser, lab, { hash: '#/training' });
    await page.locator('[data-tab="setup"]').click();
    await page.locator('[data-testid="memory-estimate"]').waitFor({ timeout: 20_000 });
    await fillSetup(page, { epochs: '2', batch: '8', demo: '24', name: 'monitor B', init: 'glorot_normal', repeats: '2' });
    await expect.poll(() => page.locator('[data-testid="queue-runs"]').textContent()).toContain('Queue 2 runs');
    await page.locator('[data-testid="queue-runs"]').click();
    // Queueing two runs waits for the lab to create both; on a loaded machine that took over the default 1 s.
    await expect.poll(() => page.locator('[data-tab="monitor"]').getAttribute('aria-selected'), { timeout: 20_000 }).toBe('true');

    await page.locator('[data-tab="compare"]').click();
    const table = page.locator('[data-testid="compare-table"]');
    // Both seeds finish (two epochs each).
    await expect
      .poll(async () => (await table.locator('tbody tr', { hasText: 'monitor B' }).locator('[data-status="done"]').count()), { timeout: 180_000 })
      .toBe(2);

    const rowA = table.locator('tbody tr', { hasText: 'monitor A' });
    const rowB = table.locator('tbody tr', { hasText: 'monitor B · seed 1' });
    await rowA.locator('input[type="checkbox"]').check();
    await rowB.locator('input[type="checkbox"]').check();
    await expect.poll(() => page.locator('[data-testid="diff-summary"]').textContent()).toMatch(/init: he_uniform vs glorot_normal/);
    const legend = (await page.locator('[data-chart="overlay"]').getAttribute('data-lines')) ?? '';
    expect(legend).toMatch(/monitor A \(.*init=he_uniform/);
    expect(legend).toMatch(/monitor B · seed 1 \(.*init=glorot_normal/);
    await saveScreenshot(page, 'compare-overlay');

    // The seed group: both seeds of B.
    await rowB.getByRole('button', { name: 'seeds' }).click();
    const stats = page.locator('[data-testid="seed-stats"]');
    await stats.waitFor({ timeout: 10_000 });
    expect(await stats.getAttribute('data-runs')).toBe('2');
    expect(await stats.locator('tr[data-metric="bestScore"] td').last().textContent()).toBe('2');
    const bandLines = (await page.locator('[data-chart="bands"]').getAttribute('data-lines')) ?? '';
    expect(bandLines).toContain('(n=2)');
    await page.getByRole('button', { name: 'Compare with the cost rule' }).click();
    await page.locator('[data-testid="cost-table"]').waitFor({ timeout: 10_000 });
    await saveScreenshot(page, 'compare-seed-band');
    expect(errors).toEqual([]);
  }, 300_000);
});
