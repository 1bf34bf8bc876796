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
 * written; the trainer process starts and answers the backend probe; quitting closes the lab; a
 * start-up failure (a file in the way of the runs folder, a read-only home, run as `nobody` where the
 * tests run as root) shows an error box naming the folder and exits with code 1; and an install that
 * lacks a package (electron-log removed from a copy of the built app) still gets that error box, naming
 * the package and the logs folder, and a main.log line, from the main entry (main.ts) that loads the
 * rest of the main process (app.js) inside its try.
 * What it cannot show: real windows, real IPC between processes, real native dialogs and menus,
 * Chromium loading and rendering the page (the CSP, the preload), and utilityProcess's own
 * semantics (process.parentPort, its sandbox, how it reports crashes); docs/desktop.md lists the
 * manual checks for a machine with Electron.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { IPC } from '../../shared/api/ipcChannels';
import { builtApp, builtAppWithout } from '../build/builtApp';
import { electronNode, electronNodeUnavailable } from '../helpers/electronNode';
import { named, order, runMain as start, type Run } from './standin/runMain';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-smoke-'));
// Traversable by `nobody`, for the read-only case below.
chmodSync(tmp, 0o755);
process.on('exit', () => {
  chmodSync(tmp, 0o755);
  rmSync(tmp, { recursive: true, force: true });
});

let appDir = '';
let node = '';

/** Runs the bundled main process of `app` (the built app by default) under Electron's Node with the stand-in. */
function runMain(name: string, env: NodeJS.ProcessEnv, opts: { app?: string; uid?: number; gid?: number } = {}): Promise<Run> {
  return start({ node, appDir: opts.app ?? appDir, dir: path.join(tmp, name), env, ...(opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.gid ?? opts.uid }) });
}

/** Root ignores permission bits: a read-only folder is tried as the unprivileged user `nobody` then. */
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

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
      // An error box first: a module that cannot load is reported there, not on stderr.
      expect(named(run, 'dialog.showErrorBox').map((c) => c.args[1]), run.stderr).toEqual([]);
      expect(run.code, run.stderr).toBe(0);
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
      // Packaged, without STRATA_DEVTOOLS=1: the start says DevTools are off.
      expect(log).toMatch(/Strata starting \{[^}]*packaged: true,\s+devTools: false,/);
      expect(log).toContain(`lab folders: data ${home}, runs ${path.join(home, 'runs')}`);
      expect(log).toContain('window loaded');
      expect(log).toMatch(/\[info\]\s+backend \{ name: '(wasm|cpu|tfjs-node|tfjs-node-gpu)'/);
      expect(log).toContain('quitting: closing the lab');
    });
  });

  describe('packaged, with the support switch STRATA_DEVTOOLS=1', () => {
    let run: Run;
    beforeAll(async () => {
      run = await runMain('devtools', { STRATA_HOME: path.join(tmp, 'devtools', 'home'), STANDIN_PACKAGED: '1', STRATA_DEVTOOLS: '1' });
    }, 120_000);

    it('brings back Reload and DevTools, without the shortcut guard, and says so in main.log', () => {
      expect(named(run, 'dialog.showErrorBox').map((c) => c.args[1]), run.stderr).toEqual([]);
      expect(run.code, run.stderr).toBe(0);
      const all = flatten(named(run, 'Menu.setApplicationMenu')[0]?.args[0] as MenuOutline[]);
      expect(all).toEqual(expect.arrayContaining(['toggleDevTools', 'reload']));
      const events = named(run, 'webContents.on').map((c) => c.args[0]);
      expect(events).not.toContain('before-input-event');
      expect(events).not.toContain('devtools-opened');
      expect(readFileSync(path.join(run.standinDir, 'logs', 'main.log'), 'utf8')).toMatch(/Strata starting \{[^}]*packaged: true,\s+devTools: true,/);
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

  describe.runIf(process.platform !== 'win32')('a read-only STRATA_HOME', () => {
    let run: Run;
    const home = path.join(tmp, 'read-only', 'home');
    beforeAll(async () => {
      // The run's own folder (the stand-in's logs, its record) is the user's; the home is not writable.
      const dir = path.join(tmp, 'read-only');
      mkdirSync(home, { recursive: true });
      if (asRoot) chownSync(dir, NOBODY, NOBODY);
      chmodSync(home, 0o555);
      run = await runMain('read-only', { STRATA_HOME: home }, asRoot ? { uid: NOBODY } : {});
    }, 120_000);

    it("shows the folder's own message, with the desktop's hint (no --data-dir), and the log; exits 1", () => {
      expect(run.code, run.stderr).toBe(1);
      const boxes = named(run, 'dialog.showErrorBox');
      expect(boxes.map((b) => b.args[0])).toEqual(['Strata could not start']);
      const mainLog = path.join(run.standinDir, 'logs', 'main.log');
      expect(boxes[0]?.args[1]).toBe(`cannot write to the data folder ${home}: permission denied (set STRATA_HOME to a writable folder)\n\nThe log has the details: ${mainLog}`);
      expect(readFileSync(mainLog, 'utf8')).toMatch(/\[error\]\s+start-up failed: FolderError: cannot write to the data folder/);
      expect(existsSync(path.join(home, 'runs'))).toBe(false);
      expect(named(run, 'new BrowserWindow')).toEqual([]);
    });
  });

  describe('a main process that cannot load (a package missing from the install)', () => {
    let run: Run;
    let app = '';
    beforeAll(async () => {
      // The logging library itself: the failure must still be shown and logged.
      app = await builtAppWithout(path.join(tmp, 'incomplete-app'), ['electron-log']);
      run = await runMain('incomplete', { STRATA_HOME: path.join(tmp, 'incomplete', 'home') }, { app });
    }, 120_000);

    it('shows the error box naming the missing package and where the logs are, and exits 1', () => {
      expect(run.code, run.stderr).toBe(1);
      const boxes = named(run, 'dialog.showErrorBox');
      expect(boxes).toHaveLength(1);
      expect(boxes[0]?.args[0]).toBe('Strata could not start');
      const content = String(boxes[0]?.args[1]);
      expect(content).toMatch(/^The main process could not load: Cannot find package 'electron-log' imported from /);
      expect(content).toContain(path.join(app, 'dist/main/electron/app.js'));
      expect(content).toContain('installing Strata again should repair it');
      expect(content).toContain(`The log has the details: ${path.join(run.standinDir, 'logs', 'main.log')}`);
      expect(named(run, 'app.exit').map((c) => c.args[0])).toEqual([1]);
      // The error box waits for Electron to be ready (on Linux one shown before only goes to stderr).
      expect(order(run, 'app.whenReady')).toBeLessThan(order(run, 'dialog.showErrorBox'));
    });

    it('writes the failure to main.log in the logs folder without the logging library, and starts nothing', () => {
      const log = readFileSync(path.join(run.standinDir, 'logs', 'main.log'), 'utf8');
      expect(log).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[error\] start-up failed: Error \[ERR_MODULE_NOT_FOUND\]: Cannot find package 'electron-log'/m);
      expect(named(run, 'app.setName').map((c) => c.args[0])).toEqual(['Strata']);
      for (const call of ['app.requestSingleInstanceLock', 'new BrowserWindow', 'ipcMain.handle', 'utilityProcess.fork']) expect(named(run, call), call).toEqual([]);
    });
  });
});
