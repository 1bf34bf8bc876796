/**
 * The Electron main process, kept thin: one window on the built renderer, the lab service behind
 * IPC, training in utility processes, and the security settings of security.ts applied.
 */
import { app, BrowserWindow, ipcMain, nativeTheme, screen, session, shell, utilityProcess, type WebContents } from 'electron';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createHandlers } from '../lab/handlers';
import { LabService } from '../lab/service';
import { setTrainerLauncher, type TrainerChild } from '../lab/trainerHost';
import { writeFileAtomic } from '../runs/atomic';
import { registerIpcApi } from './ipc';
import { CONTENT_SECURITY_POLICY, isAllowedExternal, isAllowedNavigation, parseWindowBounds, windowOptions, type WindowBounds } from './security';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererIndex = path.resolve(here, '../../renderer/index.html');
const preloadPath = path.resolve(here, 'preload.cjs');
const appUrl = pathToFileURL(rendererIndex).href;

/** Training runs in Electron's utilityProcess: a crash there never takes the app down. */
setTrainerLauncher((entry, env) => {
  const child = utilityProcess.fork(entry.file, [], { serviceName: 'Strata trainer', stdio: 'inherit', env });
  const api: TrainerChild = {
    get pid() {
      return child.pid;
    },
    send: (c) => child.postMessage(c),
    onMessage: (l) => child.on('message', l),
    // utilityProcess reports only an exit code; a crash by signal shows as a non-zero code.
    onExit: (l) => child.on('exit', (code) => l(code, null)),
    onError: (l) => child.on('error', (type, location) => l(new Error(`${type} at ${location}`))),
    kill: () => {
      child.kill();
    },
  };
  return api;
});

function stateFile(): string {
  return path.join(app.getPath('userData'), 'window-state.json');
}

function loadBounds(): WindowBounds {
  let raw: unknown = null;
  try {
    raw = JSON.parse(readFileSync(stateFile(), 'utf8'));
  } catch {
    // No state yet, or unreadable: the default place.
  }
  return parseWindowBounds(raw, screen.getAllDisplays().map((d) => d.workArea));
}

function saveBounds(win: BrowserWindow): void {
  const b = win.getNormalBounds();
  try {
    writeFileAtomic(stateFile(), JSON.stringify({ ...b, maximized: win.isMaximized() }));
  } catch {
    // Losing the window position is not worth interrupting a quit for.
  }
}

function harden(contents: WebContents): void {
  contents.on('will-navigate', (e, url) => {
    if (!isAllowedNavigation(url, appUrl)) e.preventDefault();
  });
  contents.on('will-redirect', (e, url) => {
    if (!isAllowedNavigation(url, appUrl)) e.preventDefault();
  });
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternal(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  app.on('web-contents-created', (_e, contents) => harden(contents));

  const dataDir = path.join(app.getPath('userData'), 'lab');
  const lab = LabService.open({ dataDir, runsDir: path.join(dataDir, 'runs') });
  registerIpcApi(ipcMain, createHandlers(lab), () => appUrl);

  const bounds = loadBounds();
  const win = new BrowserWindow(windowOptions(bounds, preloadPath, nativeTheme.shouldUseDarkColors));
  if (bounds.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());
  win.on('close', () => saveBounds(win));
  app.on('second-instance', () => {
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  let closing = false;
  app.on('before-quit', (e) => {
    if (closing) return;
    // Stop training cleanly first: the run keeps its checkpoints and can be resumed.
    closing = true;
    e.preventDefault();
    void lab.close().finally(() => app.quit());
  });
  app.on('window-all-closed', () => app.quit());
  await win.loadFile(rendererIndex);
}

void main();
