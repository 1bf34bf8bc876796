/**
 * The recipe settings in Chromium against `npm run lab` (issue 21): the setup form's Lovász weight,
 * warm start from a real run's checkpoint, test ids, time budget, augmentation and inference fields
 * filled and queued, the stored config read back from the lab; the run details showing them.
 */
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CallName, ChannelInput } from '../../shared/api/channels';
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

async function waitDone(id: string): Promise<void> {
  const end = Date.now() + 120_000;
  for (;;) {
    const r = await call('getRun', { id });
    if (r.status === 'done') return;
    if (['failed', 'stopped', 'interrupted'].includes(r.status)) throw new Error(`run ${id} ended ${r.status}: ${r.statusReason ?? ''}\n${lab.stderr()}`);
    if (Date.now() > end) throw new Error(`run ${id} did not finish in 120 s`);
    await new Promise((res) => setTimeout(res, 300));
  }
}

beforeAll(async () => {
  const run = await call('startRun', { design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', demoCount: 24, name: 'warm source', config: { epochs: 1, batch: 8 } });
  sourceId = run.id;
  await waitDone(sourceId);
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
    expect(await aug.locator('summary').textContent()).toContain('shift ±10% of the side');
    expect(await inf.locator('summary').textContent()).toContain('threshold and min area tuned on validation');
    await aug.locator('summary').click();
    await f.getByLabel('Shift (share of side)').fill('0.05');
    await f.getByLabel('Brightness (± of range)').fill('0.1');
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
});
