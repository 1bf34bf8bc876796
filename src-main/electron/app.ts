/**
 * The Electron main process, kept thin, loaded by the main entry (main.ts) inside its try, so that a
 * failure while this file or anything it imports loads still gets Strata's error box. `startApp`
 * runs the start-up sequence (startup.ts): it opens the logs, the lab and one window on the built
 * renderer, with the lab behind IPC, the native dialogs and the menu (desktopShell.ts, menu.ts),
 * training in utility processes whose output goes to the trainer log (utilityLauncher.ts), and the
 * security settings of security.ts applied. Every piece of logic lives in those modules, written
 * against small interfaces and tested without Electron; this file wires Electron's objects into them.
 * On import this file only computes paths (naming the app is main.ts's first step); every step that
 * can fail runs inside the start-up sequence.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeTheme, screen, session, shell, utilityProcess, type WebContents } from 'electron';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createHandlers } from '../lab/handlers';
import { ensureLabDirs, resolveLabDirs } from '../lab/paths';
import { LabService } from '../lab/service';
import { setTrainerLauncher } from '../lab/trainerHost';
import { registerIpcApi } from '../lab/transport/ipc';
import { writeFileAtomic } from '../runs/atomic';
import { desktopShell, MenuCommandBus, type DialogLike } from './desktopShell';
import { guardDevTools } from './devtools';
import { openLogs, type AppLogger, type AppLogs } from './logging';
import { aboutMessage, menuTemplate, readmeUrl } from './menu';
import { CONTENT_SECURITY_POLICY, isAllowedExternal, isAllowedNavigation, parseWindowBounds, windowOptions, type WindowBounds } from './security';
import { startDesktop, type StartupOutcome } from './startup';
import { childProcessGone, utilityLauncher } from './utilityLauncher';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererIndex = path.resolve(here, '../../renderer/index.html');
const preloadPath = path.resolve(here, 'preload.cjs');
const appUrl = pathToFileURL(rendererIndex).href;

/** Reload and DevTools: only when not packaged, or asked for with STRATA_DEVTOOLS=1 (docs/security.md). */
const development = !app.isPackaged || process.env['STRATA_DEVTOOLS'] === '1';

/** main.log and trainer.log in Electron's logs folder, once the start-up sequence has opened them. */
function openAppLogs(): AppLogs {
  const opened = openLogs(app.getPath('logs'), { console: !app.isPackaged });
  const log = opened.main;
  // Until the lab is open (createUi installs the lab's own handlers, which keep it serving).
  const offMonitor = () => {
    process.off('uncaughtExceptionMonitor', onException);
    process.off('unhandledRejection', onRejection);
  };
  const onException = (err: unknown) => log.error('uncaught exception:', err);
  const onRejection = (reason: unknown) => log.error('unhandled rejection:', reason);
  process.on('uncaughtExceptionMonitor', onException);
  process.on('unhandledRejection', onRejection);
  stopEarlyFaultLog = offMonitor;
  return opened;
}

/** Removes the start-up fault logging of openAppLogs once the lab's handlers take over. */
let stopEarlyFaultLog: () => void = () => undefined;

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
  guardDevTools(contents, process.platform, development);
}

function homepage(): string | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(app.getAppPath(), 'package.json'), 'utf8')) as { homepage?: string }).homepage;
  } catch {
    return undefined;
  }
}

/**
 * Linux takes the window's icon from the window (Windows and macOS from the executable and the
 * bundle): the packaged app's copy in resources/, else the repository's icon set under `npm start`.
 */
function linuxWindowIcon(): { icon?: string } {
  if (process.platform !== 'linux') return {};
  const icon = app.isPackaged ? path.join(process.resourcesPath, 'icon.png') : path.join(app.getAppPath(), 'resources/icons/512x512.png');
  return existsSync(icon) ? { icon } : {};
}

let win: BrowserWindow | null = null;

/** Electron's dialogs, modal to the app's window when there is one. */
const dialogs: DialogLike = {
  showOpenDialog: (o) => (win ? dialog.showOpenDialog(win, o) : dialog.showOpenDialog(o)),
  showSaveDialog: (o) => (win ? dialog.showSaveDialog(win, o) : dialog.showSaveDialog(o)),
};

async function createUi(lab: LabService, logs: AppLogs): Promise<void> {
  const log: AppLogger = logs.main;
  stopEarlyFaultLog();
  lab.installFaultHandlers((line) => log.error(line.trimEnd()));
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  // The page carries the same policy in a <meta> tag (enforced from file://); the header covers
  // anything else the session loads.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  app.on('web-contents-created', (_e, contents) => harden(contents));

  const menuBus = new MenuCommandBus();
  const desktop = desktopShell({ dialog: dialogs, documentsDir: app.getPath('documents'), dirs: lab.dirs, logsDir: logs.dir, menu: menuBus, version: app.getVersion() });
  registerIpcApi(ipcMain, createHandlers(lab, desktop), (url) => isAllowedNavigation(url, appUrl));

  const readme = readmeUrl(homepage());
  const localReadme = path.join(app.getAppPath(), 'README.md');
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      menuTemplate({
        platform: process.platform,
        appName: 'Strata',
        development,
        emit: (c) => menuBus.emit(c),
        openReadme: () => {
          if (readme) void shell.openExternal(readme);
          else if (existsSync(localReadme)) void shell.openPath(localReadme);
        },
        openLogsFolder: () => {
          void shell.openPath(logs.dir).then((problem) => {
            if (problem) log.warn(`could not open the logs folder ${logs.dir}: ${problem}`);
          });
        },
        showAbout: () => {
          const { message, detail } = aboutMessage(desktop.getAppInfo(), lab.getBackendInfo());
          const options = { type: 'info' as const, title: 'About Strata', message, detail, buttons: ['OK'] };
          void (win ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options));
        },
      }),
    ),
  );

  const bounds = loadBounds();
  const w = new BrowserWindow({ ...windowOptions(bounds, preloadPath, nativeTheme.shouldUseDarkColors), ...linuxWindowIcon() });
  win = w;
  if (bounds.maximized) w.maximize();
  w.once('ready-to-show', () => w.show());
  w.on('close', () => saveBounds(w));
  w.on('closed', () => {
    win = null;
  });
  app.on('second-instance', () => {
    if (w.isMinimized()) w.restore();
    w.focus();
  });
  let closing = false;
  app.on('before-quit', (e) => {
    if (closing) return;
    // Stop training cleanly first: the run keeps its checkpoints and can be resumed.
    closing = true;
    e.preventDefault();
    log.info('quitting: closing the lab');
    void lab
      .close()
      .catch((err: unknown) => log.error('closing the lab failed:', err))
      .finally(() => app.quit());
  });
  app.on('window-all-closed', () => app.quit());
  await w.loadFile(rendererIndex);
}

/** Runs the start-up sequence (never rejects: a failure shows the error box and exits 1). */
export function startApp(): Promise<StartupOutcome> {
  let logs: AppLogs | null = null;
  const opened = (): AppLogs => {
    if (!logs) throw new Error('the logs are not open');
    return logs;
  };
  return startDesktop<LabService>({
    logsDir: app.getPath('logs'),
    openLogs: () => {
      logs = openAppLogs();
      return { log: logs.main, logFile: logs.mainFile };
    },
    describe: () => ({
      strata: app.getVersion(),
      electron: process.versions.electron,
      chrome: process.versions.chrome,
      node: process.versions.node,
      v8: process.versions.v8,
      platform: `${process.platform}-${process.arch}`,
      packaged: app.isPackaged,
      // Reload and DevTools (true in a packaged app only with STRATA_DEVTOOLS=1, a support switch).
      devTools: development,
      logs: opened().dir,
    }),
    requestSingleInstanceLock: () => app.requestSingleInstanceLock(),
    releaseSingleInstanceLock: () => app.releaseSingleInstanceLock(),
    // Training runs in Electron's utilityProcess: a crash there never takes the app down.
    // Electron's child-process-gone details tell a crash signal from an exit code (utilityLauncher.ts).
    setUp: () => setTrainerLauncher(utilityLauncher(utilityProcess, { onLine: opened().trainerLine, passThrough: !app.isPackaged, processGone: childProcessGone(app) })),
    whenReady: () => app.whenReady(),
    // $STRATA_HOME / $STRATA_RUNS_DIR, as for the CLI and `npm run lab` (the shared default lives in paths.ts).
    resolveDirs: () => ensureLabDirs(resolveLabDirs({})),
    openLab: (dirs) => LabService.open(dirs),
    createUi: (lab) => createUi(lab, opened()),
    showErrorBox: (title, content) => dialog.showErrorBox(title, content),
    quit: () => app.quit(),
    exit: (code) => app.exit(code),
  });
}
