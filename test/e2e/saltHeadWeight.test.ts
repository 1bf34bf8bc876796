/**
 * The setup form's salt head weight in Chromium against `npm run lab` (issue 21 item 4): offered for a
 * design with a salt head (the small-salt preset) with the design's weight as its placeholder, a bad
 * value refused next to it, a good one queued into the run's config and its stored design; not offered
 * for a design without a head. The lab's own refusal of the setting for such a design, over its API.
 */
import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { CallName, ChannelInput } from '../../shared/api/channels';
import { saltHeadOf } from '../../shared/arch';
import { apiCall, openApp, scratchDir, setUpLabAndBrowser, type RunningLab } from './harness';

let lab: RunningLab;
let browser: Browser;
setUpLabAndBrowser(
  (l, b) => {
    lab = l;
    browser = b;
  },
  { env: { STRATA_RUNS_DIR: scratchDir('salt-weight-runs') } },
);
const call = <K extends CallName>(name: K, input: ChannelInput<K>) => apiCall(lab, name, input);

describe('the salt head weight in the setup form, in Chromium', () => {
  it('is offered for small-salt only, refuses 0 by its field and queues 0.3 into the run', async () => {
    const { page, errors } = await openApp(browser, lab, { hash: '#/training', viewport: { width: 1440, height: 1500 } });
    await page.locator('[data-tab="setup"]').click();
    const f = page.locator('[data-testid="training-setup"]');
    await page.locator('[data-testid="memory-estimate"]').waitFor({ timeout: 20_000 });
    // The default design, small, has no salt head: no field.
    expect(await f.getByLabel('Salt head weight').count()).toBe(0);
    await f.getByLabel('Design', { exact: true }).selectOption('preset:small-salt');
    const weight = f.getByLabel('Salt head weight');
    await weight.waitFor({ timeout: 20_000 });
    expect(await weight.getAttribute('placeholder')).toBe("0.1 (the design's)");
    await f.getByLabel('Demo samples').fill('16');
    await f.getByLabel('Epochs', { exact: true }).fill('1');
    await f.getByLabel('Batch size').fill('8');
    await f.getByLabel('Name (optional)').fill('salt weight e2e');
    await weight.fill('0');
    await page.locator('[data-testid="queue-runs"]').click();
    await expect.poll(() => f.textContent()).toContain('Salt head weight must be above 0');
    await weight.fill('0.3');
    await page.locator('[data-testid="queue-runs"]').click();
    await expect.poll(() => page.locator('[data-tab="monitor"]').getAttribute('aria-selected'), { timeout: 20_000 }).toBe('true');
    const queued = (await call('listRuns', {})).runs.find((r) => r.name === 'salt weight e2e');
    if (!queued) throw new Error('the run was not queued');
    const run = await call('getRun', { id: queued.id });
    await call('stopRun', { id: queued.id });
    expect(run.config.saltHeadWeight).toBe(0.3);
    expect(saltHeadOf(run.arch)?.lossWeight).toBe(0.3);

    // Back to a design without a head: the field goes, and nothing of it is sent.
    await page.locator('[data-tab="setup"]').click();
    await f.getByLabel('Design', { exact: true }).selectOption('preset:tiny');
    await expect.poll(() => f.getByLabel('Salt head weight').count(), { timeout: 20_000 }).toBe(0);
    expect(errors).toEqual([]);
  });

  it('is refused by the lab for a design without a salt head, naming it', async () => {
    await expect(call('startRun', { design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', demoCount: 16, config: { epochs: 1, saltHeadWeight: 0.5 } })).rejects.toThrow(
      'startRun: salt head weight: design "tiny" has no salt head ("Salt present" node) for it to weigh: use a design with one, e.g. the small-salt preset, or leave it out',
    );
  });
});
