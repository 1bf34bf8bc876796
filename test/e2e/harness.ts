/**
 * End-to-end harness: builds the renderer, starts `npm run lab` on scratch folders, and drives the
 * system Chromium through playwright-core. Shared by every e2e test file:
 *
 *   const ui = await buildRenderer();
 *   const lab = await startLab({ staticDir: ui });
 *   const browser = await launchBrowser();
 *   const { page } = await openApp(browser, lab);
 *   ...
 *   await saveScreenshot(page, 'my-test');
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import type { CallName, ChannelInput, ChannelResult } from '../../shared/api/channels';
import { decodeWire, encodeWire } from '../../shared/api/wire';
import { afterAll, beforeAll } from 'vitest';
import { REPO_ROOT } from '../helpers/paths';

/** The Chromium the tests drive (installed by the system package manager). */
export const CHROMIUM_PATH = process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium';
/** Where screenshots go; CI keeps the folder as an artifact. */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-results', 'screenshots');

const made: string[] = [];

/** A fresh empty folder under the system temp folder; {@link removeScratch} deletes them all. */
export function scratchDir(tag: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `strata-e2e-${tag}-`));
  made.push(d);
  return d;
}

/** Deletes every folder {@link scratchDir} made. */
export function removeScratch(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Builds the renderer with the repository's vite.config.ts into a scratch folder; returns the folder. */
export async function buildRenderer(): Promise<string> {
  const outDir = path.join(scratchDir('ui'), 'renderer');
  await build({
    configFile: path.join(REPO_ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
  if (!fs.existsSync(path.join(outDir, 'index.html'))) throw new Error(`vite build wrote no index.html into ${outDir}`);
  return outDir;
}

/** A running `npm run lab`. */
export interface RunningLab {
  /** The address it printed, token included. */
  url: string;
  origin: string;
  token: string;
  dataDir: string;
  /** Everything it wrote to stderr so far, for failure messages. */
  stderr(): string;
  /** Stops it with SIGTERM (as Ctrl-C would) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts the lab in browser mode on a scratch data folder, serving `staticDir`, on a free port.
 * Resolves once it printed its address (its first stdout line).
 */
export async function startLab(opts: {
  staticDir: string;
  dataDir?: string;
  startTimeoutMs?: number;
  /** Another entry taking main.ts's arguments (e.g. a lab whose trainers are stand-ins, for load tests). */
  script?: string;
  env?: NodeJS.ProcessEnv;
}): Promise<RunningLab> {
  const dataDir = opts.dataDir ?? scratchDir('lab');
  const { STRATA_RUNS_DIR: _r, STRATA_HOME: _h, ...inherited } = process.env;
  const env = { ...inherited, ...opts.env };
  const script = opts.script ?? path.join(REPO_ROOT, 'src-main/lab/transport/http/main.ts');
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script, '--port', '0', '--data-dir', dataDir, '--static-dir', opts.staticDir], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the lab printed no address within ${opts.startTimeoutMs ?? 60_000} ms; stderr:\n${stderr}`)), opts.startTimeoutMs ?? 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const nl = stdout.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(stdout.slice(0, nl).trim());
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the lab exited with code ${code} before printing its address; stderr:\n${stderr}`));
    });
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    dataDir,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Waits for the Chromium binary (it may still be installing on a fresh machine). */
export async function waitForChromium(timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fs.existsSync(CHROMIUM_PATH)) {
    if (Date.now() > end) throw new Error(`no Chromium at ${CHROMIUM_PATH} after ${timeoutMs} ms (set STRATA_CHROMIUM to another binary)`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Launches headless Chromium with the flags a container needs. */
export async function launchBrowser(): Promise<Browser> {
  await waitForChromium();
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A page of the app, with what went wrong in it. */
export interface AppPage {
  page: Page;
  /** Console errors and uncaught exceptions (the browser's own "Failed to load resource" lines are in `httpErrors`). */
  errors: string[];
  /** Every answer of 400 or above, as `STATUS METHOD PATH`: API refusals the UI showed, and missing files. */
  httpErrors: string[];
}

/**
 * Opens the lab's address (with its token) in a fresh context. `hash` opens a route directly,
 * e.g. `#/runs`.
 */
export async function openApp(
  browser: Browser,
  lab: RunningLab,
  opts: { hash?: string; colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } } = {},
): Promise<AppPage> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1440, height: 900 }, colorScheme: opts.colorScheme ?? 'light' });
  const page = await context.newPage();
  const errors: string[] = [];
  const httpErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) httpErrors.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  await page.goto(`${lab.url}${opts.hash ?? ''}`);
  await page.locator('nav[aria-label="Views"]').waitFor();
  return { page, errors, httpErrors };
}

/** Saves a full-page screenshot as `test-results/screenshots/<name>.png`; returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Calls the lab's API over HTTP with its token, as the page does; an error answer throws with its message. */
export async function apiCall<K extends CallName>(lab: RunningLab, name: K, input: ChannelInput<K>): Promise<ChannelResult<K>> {
  const res = await fetch(`${lab.origin}/api/${name}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${lab.token}`, 'Content-Type': 'application/json' },
    body: encodeWire(input),
  });
  const out = decodeWire(await res.text()) as { ok: true; value: ChannelResult<K> } | { ok: false; error: { message: string } };
  if (!out.ok) throw new Error(`${name}: ${out.error.message}`);
  return out.value;
}

/**
 * The set-up of an end-to-end file, registered as its hooks: the UI built, a lab started on it and
 * Chromium launched (`ready` receives them), then all of it closed and the scratch folders removed.
 */
export function setUpLabAndBrowser(ready: (lab: RunningLab, browser: Browser) => void, opts: Omit<Parameters<typeof startLab>[0], 'staticDir'> = {}): void {
  let lab: RunningLab | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    const staticDir = await buildRenderer();
    [lab, browser] = await Promise.all([startLab({ ...opts, staticDir }), launchBrowser()]);
    ready(lab, browser);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await lab?.stop();
    removeScratch();
  });
}
