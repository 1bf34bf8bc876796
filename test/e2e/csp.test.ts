/**
 * The page's security in real Chromium: the built index.html carries the shared Content-Security-
 * Policy, which blocks an injected inline script both from file:// (as the desktop app loads it) and
 * from the lab's address (where the server also sends it as a header), while the app itself renders
 * under it without a single violation. And the lab's token leaves the address bar once the page has
 * read it, without a reload losing the connection.
 *
 * From file:// there is no lab, so the page shows its not-connected screen: that is what is asserted
 * there. Chromium refuses module scripts from file:// unless file access is allowed; Electron grants
 * its file:// pages that, so this browser is started with --allow-file-access-from-files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../shared/api/csp';
import { TOKEN_STORAGE_KEY } from '../../src-renderer/api/httpTransport';
import { buildRenderer, CHROMIUM_PATH, removeScratch, saveScreenshot, startLab, waitForChromium, type RunningLab } from './harness';

let ui: string;
let lab: RunningLab;
let browser: Browser;

beforeAll(async () => {
  ui = await buildRenderer();
  await waitForChromium();
  [lab, browser] = await Promise.all([
    startLab({ staticDir: ui }),
    chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--allow-file-access-from-files'],
    }),
  ]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await lab?.stop();
  removeScratch();
});

/** Every CSP violation the page reports, collected from before its first script runs. */
declare global {
  interface Window {
    __violations?: { directive: string; blocked: string; sample: string }[];
    __injected?: boolean;
  }
}

async function newPage(): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // Playwright's init scripts do not go through the page's CSP; this one only records violations.
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__violations?.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample });
    });
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  page.on('console', (m) => {
    // The browser's own "Failed to load resource" lines (its favicon request) are not the page's errors.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`console: ${m.text()}`);
  });
  return { page, errors };
}

/** Appends an inline <script> that would set window.__injected; answers whether it ran, and the violations since. */
async function injectInlineScript(page: Page): Promise<{ ran: boolean; violations: { directive: string; blocked: string }[] }> {
  return page.evaluate(async () => {
    const before = window.__violations?.length ?? 0;
    const s = document.createElement('script');
    s.textContent = 'window.__injected = true;';
    document.head.appendChild(s);
    await new Promise((r) => setTimeout(r, 200));
    return { ran: window.__injected === true, violations: (window.__violations ?? []).slice(before) };
  });
}

describe('the Content-Security-Policy', () => {
  it('is in the built index.html as a <meta> tag, exactly the shared policy, ahead of every script and style', () => {
    const html = fs.readFileSync(path.join(ui, 'index.html'), 'utf8');
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html);
    expect(meta?.[1], `the built index.html has no CSP <meta> tag:\n${html}`).toBe(CONTENT_SECURITY_POLICY);
    const metaAt = html.indexOf('http-equiv="Content-Security-Policy"');
    for (const tag of ['<script', '<link rel="stylesheet"']) {
      const at = html.indexOf(tag);
      expect(at, `the built page has no ${tag}`).toBeGreaterThan(0);
      expect(at, `${tag} comes before the CSP <meta> tag, so the policy would not cover it`).toBeGreaterThan(metaAt);
    }
    // No inline script survives the build (the policy would block it): every <script> has a src.
    expect(html.match(/<script\b[^>]*>/g)?.every((t) => /\bsrc=/.test(t))).toBe(true);
  });

  it('blocks an injected inline script from file://, where the page renders its not-connected screen', async () => {
    const { page, errors } = await newPage();
    await page.goto(pathToFileURL(path.join(ui, 'index.html')).href);
    await page.getByRole('heading', { name: 'Strata lab: not connected' }).waitFor({ timeout: 20_000 });
    expect(await page.evaluate(() => window.__violations), 'the app itself broke its own policy from file://').toEqual([]);
    const r = await injectInlineScript(page);
    expect(r.ran, 'the injected inline script ran').toBe(false);
    expect(r.violations.map((v) => v.directive)).toEqual([expect.stringMatching(/^script-src(-elem)?$/)]);
    expect(r.violations[0]?.blocked).toBe('inline');
    expect(errors.filter((e) => !/Content Security Policy/.test(e))).toEqual([]);
    await saveScreenshot(page, 'csp-file-not-connected');
    await page.context().close();
  });

  it('is sent by the lab with the page, blocks an injected inline script there, and the app still connects', async () => {
    const { page, errors } = await newPage();
    const res = await page.goto(lab.url);
    expect(res?.headers()['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    await page.locator('nav[aria-label="Views"]').waitFor();
    // The HTTP API (connect-src 'self') answers: the demo set is listed...
    await page.locator('[data-testid="dataset-list"] [data-dataset="demo"]').waitFor({ timeout: 20_000 });
    // ...and the event socket (ws://127.0.0.1:PORT, also 'self') opens: the link state leaves the status bar.
    await expect.poll(() => page.locator('[data-testid="link-state"]').count(), { timeout: 20_000 }).toBe(0);
    await expect.poll(() => page.locator('[data-testid="samples"] canvas').count(), { timeout: 20_000 }).toBe(24);
    // Every view renders under the policy (the designer's canvas, the charts' inline styles...).
    for (const [key, view] of [['2', 'designer'], ['3', 'training'], ['4', 'masks'], ['5', 'runs'], ['1', 'data']] as const) {
      await page.keyboard.press(`Alt+${key}`);
      await expect.poll(() => page.locator('main').getAttribute('data-view')).toBe(view);
      if (view === 'designer') await page.locator('[data-testid="designer-canvas"]').waitFor();
      await page.waitForTimeout(300);
    }
    expect(await page.evaluate(() => window.__violations), 'the app itself broke its own policy from the lab').toEqual([]);
    const r = await injectInlineScript(page);
    expect(r.ran, 'the injected inline script ran').toBe(false);
    // Both the header and the <meta> tag apply, and each reports the block.
    expect(r.violations.length).toBeGreaterThanOrEqual(1);
    for (const v of r.violations) {
      expect(v.directive).toMatch(/^script-src(-elem)?$/);
      expect(v.blocked).toBe('inline');
    }
    expect(errors.filter((e) => !/Content Security Policy/.test(e))).toEqual([]);
    await page.context().close();
  });
});

describe('the lab token in browser mode', () => {
  it('leaves the address bar once read, keeping the route; a reload stays connected', async () => {
    const { page, errors } = await newPage();
    await page.goto(`${lab.url}#/runs`);
    await page.locator('nav[aria-label="Views"]').waitFor();
    await expect.poll(() => page.evaluate(() => window.location.search)).toBe('');
    expect(page.url()).not.toContain(lab.token);
    expect(await page.evaluate(() => window.location.hash)).toBe('#/runs');
    expect(await page.evaluate((k) => window.sessionStorage.getItem(k), TOKEN_STORAGE_KEY)).toBe(lab.token);
    await page.locator('text=No runs yet').waitFor({ timeout: 20_000 });

    await page.reload();
    await page.locator('nav[aria-label="Views"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('text=Strata lab: not connected').count()).toBe(0);
    expect(await page.evaluate(() => window.location.hash)).toBe('#/runs');
    await page.locator('text=No runs yet').waitFor({ timeout: 20_000 });
    await page.keyboard.press('Alt+1');
    await page.locator('[data-testid="dataset-list"] [data-dataset="demo"]').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator('[data-testid="link-state"]').count(), { timeout: 20_000 }).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('without the token, in a fresh tab, the page says it is not connected', async () => {
    const { page } = await newPage();
    await page.goto(`${lab.origin}/#/data`);
    await page.getByRole('heading', { name: 'Strata lab: not connected' }).waitFor({ timeout: 20_000 });
    await page.context().close();
  });
});
