/**
 * Desktop smoke test: the BUNDLED main process (dist/main/electron/main.js, built by `buildApp` into
 * a folder of its own) runs under Electron's Node (24.11.1, `electronNode()`), with the module
 * `electron` resolved to a stand-in (test/electron/standin/electron.mjs, through a Node resolve hook)
 * that records every call.
 *
 * THIS IS NOT ELECTRON. The stand-in implements just enough of app, BrowserWindow, ipcMain, Menu,
 * dialog, session, screen, nativeTheme, shell and utilityProcess for the main process to run. What
 * it shows: the bundle loads and starts under Electron's Node; the start-up sequence gets as far as
 * loading the window's page (which exists); the three IPC channels are registered; the lab opens in
 * $STRATA_HOME (its store and lock); the menu is set (without DevTools when packaged); the logs are
 * written; the trainer process starts and answers the backend probe; quitting closes the lab; and a
 * start-up failure shows an error box naming the folder and exits with code 1.
 * What it cannot show: real windows, real IPC between processes, real native dialogs and menus,
 * Chromium loading and rendering the page (the CSP, the preload), and utilityProcess's own
 * semantics (process.parentPort, its sandbox, how it reports crashes); docs/desktop.md lists the
 * manual checks for a machine with Electron.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { IPC } from '../../shared/api/ipcChannels';
import { builtApp } from '../build/builtApp';
import { electronNode, electronNodeUnavailable } from '../helpers/electronNode';

const REGISTER = fileURLToPath(new URL('./standin/register.mjs', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-smoke-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

interface Call {
  call: string;
  args: unknown[];
}

interface Run {
  code: number | null;
  stderr: string;
  calls: Call[];
  standinDir: string;
}

let appDir = '';
let node = '';

/** Runs the bundled main process under Electron's Node with the stand-in, until it exits. */
function runMain(name: string, env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<Run> {
  const standinDir = path.join(tmp, name, 'electron');
  const record = path.join(tmp, name, 'calls.jsonl');
  const { STRATA_RUNS_DIR: _r, STRATA_HOME: _h, NODE_OPTIONS: _n, ...base } = process.env;
  const child = spawn(node, ['--import', REGISTER, path.join(appDir, 'dist/main/electron/main.js')], {
    cwd: appDir,
    env: { ...base, STANDIN_DIR: standinDir, STANDIN_RECORD: record, STANDIN_APP_DIR: appDir, STANDIN_QUIT_AFTER_LOAD: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the main process did not exit within ${timeoutMs} ms; output:\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const calls = existsSync(record)
        ? readFileSync(record, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Call)
        : [];
      resolve({ code, stderr, calls, standinDir });
    });
  });
}

const named = (r: Run, call: string) => r.calls.filter((c) => c.call === call);
const order = (r: Run, call: string) => r.calls.findIndex((c) => c.call === call);

interface MenuOutline {
  label: string | null;
  role: string | null;
  submenu?: MenuOutline[];
}
const flatten = (items: MenuOutline[]): string[] => items.flatMap((i) => [String(i.role ?? i.label), ...flatten(i.submenu ?? [])]);

const unavailable = electronNodeUnavailable();

describe.skipIf(unavailable !== null)("the bundled main process under Electron's Node, with a stand-in for Electron", () => {
  beforeAll(async () => {
    node = electronNode();
    appDir = await builtApp();
  }, 300_000);

  describe('a normal start', () => {
    let run: Run;
    const home = path.join(tmp, 'ok', 'home');
    beforeAll(async () => {
      run = await runMain('ok', { STRATA_HOME: home, STANDIN_PACKAGED: '1' });
    }, 120_000);

    it('exits cleanly after quitting (the stand-in quits once the page is loaded)', () => {
      expect(run.code, run.stderr).toBe(0);
      expect(named(run, 'dialog.showErrorBox'), run.stderr).toEqual([]);
    });

    it("gets as far as loading the window's page, which exists and is dist/renderer/index.html", () => {
      const loads = named(run, 'BrowserWindow.loadFile');
      expect(loads).toHaveLength(1);
      const page = String(loads[0]?.args[0]);
      expect(page).toBe(path.join(appDir, 'dist/renderer/index.html'));
      expect(existsSync(page)).toBe(true);
      const win = named(run, 'new BrowserWindow')[0]?.args[0] as { webPreferences: Record<string, unknown> };
      expect(win.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, preload: path.join(appDir, 'dist/main/electron/preload.cjs') });
      expect(existsSync(String(win.webPreferences['preload']))).toBe(true);
    });

    it("names the app 'Strata' before asking for any path, so userData and logs are the Strata home's", () => {
      expect(named(run, 'app.setName').map((c) => c.args[0])).toEqual(['Strata']);
      expect(order(run, 'app.getPath')).toBeGreaterThan(order(run, 'app.setName'));
    });

    it('registers every IPC channel before the page loads', () => {
      const channels = named(run, 'ipcMain.handle').map((c) => c.args[0]);
      expect(channels.sort()).toEqual([IPC.call, IPC.listen, IPC.unlisten].sort());
      expect(order(run, 'ipcMain.handle')).toBeLessThan(order(run, 'BrowserWindow.loadFile'));
    });

    it('applies the security settings: permissions refused, CSP header, every web contents hardened', () => {
      for (const call of ['session.setPermissionRequestHandler', 'session.setPermissionCheckHandler', 'session.webRequest.onHeadersReceived', 'webContents.setWindowOpenHandler']) {
        expect(named(run, call), call).toHaveLength(1);
      }
      const events = named(run, 'webContents.on').map((c) => c.args[0]);
      expect(events).toEqual(expect.arrayContaining(['will-navigate', 'will-redirect', 'will-attach-webview', 'before-input-event', 'devtools-opened']));
    });

    it('opens the lab in $STRATA_HOME: its run store and data-folder lock (released on quit)', () => {
      expect(existsSync(path.join(home, 'runs')), 'the runs folder').toBe(true);
      const store = ['index.sqlite', 'index.db'].map((f) => path.join(home, 'runs', f)).find((f) => existsSync(f));
      expect(store, `a run store file in ${path.join(home, 'runs')}`).toBeDefined();
      // lab.close() on before-quit released the lock.
      expect(existsSync(path.join(home, 'lab.lock'))).toBe(false);
      // Only naming the app and asking for its logs folder come before the single-instance lock.
      const before = run.calls.slice(0, order(run, 'app.requestSingleInstanceLock')).map((c) => c.call);
      expect(new Set(before)).toEqual(new Set(['app.setName', 'app.getPath']));
    });

    it('sets a real menu, without DevTools or Reload when packaged', () => {
      const menus = named(run, 'Menu.setApplicationMenu');
      expect(menus).toHaveLength(1);
      const outline = menus[0]?.args[0] as MenuOutline[];
      expect(outline.map((m) => m.label ?? m.role)).toEqual(['&File', '&Edit', '&View', 'windowMenu', '&Help']);
      const all = flatten(outline);
      expect(all).toEqual(expect.arrayContaining(['Import Dataset…', 'Open Design…', 'Save Design As…', 'Export Submission…', 'Data', 'Runs', 'copy', 'paste', 'Strata README', 'Open Logs Folder', 'About Strata']));
      expect(all).not.toContain('toggleDevTools');
      expect(all).not.toContain('reload');
    });

    it('starts the trainer in a utility process, which answers the backend probe under this Node', () => {
      const forks = named(run, 'utilityProcess.fork');
      expect(forks.length).toBeGreaterThanOrEqual(1);
      expect(forks[0]?.args[0]).toBe(path.join(appDir, 'dist/main/training/trainerProcess.js'));
      expect(forks[0]?.args[1]).toEqual({ serviceName: 'Strata trainer', stdio: 'pipe' });
      expect(named(run, 'utilityProcess.exit')[0]?.args[0], run.stderr).toBe(0);
    });

    it('writes main.log in the logs folder: start-up, the folders, the window, the backend and the quit', () => {
      const log = readFileSync(path.join(run.standinDir, 'logs', 'main.log'), 'utf8');
      expect(log).toContain('Strata starting');
      expect(log).toContain(`lab folders: data ${home}, runs ${path.join(home, 'runs')}`);
      expect(log).toContain('window loaded');
      expect(log).toMatch(/\[info\]\s+backend \{ name: '(wasm|cpu|tfjs-node|tfjs-node-gpu)'/);
      expect(log).toContain('quitting: closing the lab');
    });
  });

  describe('a start-up failure', () => {
    let run: Run;
    let runsDir = '';
    beforeAll(async () => {
      const file = path.join(tmp, 'bad', 'a-file');
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, 'a regular file where the runs folder should be');
      runsDir = path.join(file, 'runs');
      run = await runMain('bad', { STRATA_HOME: path.join(tmp, 'bad', 'home'), STRATA_RUNS_DIR: runsDir });
    }, 120_000);

    it('shows an error box naming the folder and the log, and exits with code 1', () => {
      expect(run.code, run.stderr).toBe(1);
      const boxes = named(run, 'dialog.showErrorBox');
      expect(boxes).toHaveLength(1);
      expect(boxes[0]?.args[0]).toBe('Strata could not start');
      const content = String(boxes[0]?.args[1]);
      expect(content).toContain(runsDir);
      expect(content).toContain(`The log has the details: ${path.join(run.standinDir, 'logs', 'main.log')}`);
      expect(named(run, 'app.exit').map((c) => c.args[0])).toEqual([1]);
    });

    it('releases the single-instance lock, opens no window, and logs the failure', () => {
      expect(order(run, 'app.releaseSingleInstanceLock')).toBeGreaterThan(order(run, 'dialog.showErrorBox'));
      expect(order(run, 'app.releaseSingleInstanceLock')).toBeLessThan(order(run, 'app.exit'));
      expect(named(run, 'new BrowserWindow')).toEqual([]);
      expect(readFileSync(path.join(run.standinDir, 'logs', 'main.log'), 'utf8')).toMatch(/\[error\]\s+start-up failed:/);
    });
  });
});
