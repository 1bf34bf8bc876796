/**
 * A stand-in for the `electron` module, for the desktop smoke test (test/electron/desktopSmoke.test.ts).
 * It is NOT Electron: it implements just enough of the API the bundled main process calls to run
 * it under Electron's Node, and records every call as a JSON line in $STANDIN_RECORD:
 * - app: paths under $STANDIN_DIR, the single-instance lock, events, quit (with before-quit, as
 *   Electron runs it) and exit;
 * - BrowserWindow: loadFile fails like Electron for a missing file; webContents records listeners;
 * - ipcMain.handle, Menu, dialog, session, screen, nativeTheme, shell: recorded, inert;
 * - utilityProcess.fork: a Node child process with an IPC channel (a real utilityProcess child has
 *   process.parentPort instead; the trainer speaks both).
 * With $STANDIN_QUIT_AFTER_LOAD=1 it quits once the page is loaded and every forked process has
 * exited (the lab's backend probe), or after $STANDIN_QUIT_AFTER_MS.
 */
import { fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { clearInterval, setInterval } from 'node:timers';

const DIR = process.env.STANDIN_DIR ?? '/tmp/strata-standin';
const RECORD = process.env.STANDIN_RECORD ?? path.join(DIR, 'calls.jsonl');
const APP_DIR = process.env.STANDIN_APP_DIR ?? process.cwd();
mkdirSync(DIR, { recursive: true });
// Electron sets this in every process: the folder holding app.asar and extraResources.
process.resourcesPath = path.join(DIR, 'resources');

/** Records one call; values that do not serialise are written as their type. */
function record(call, ...args) {
  const safe = args.map((a) => {
    if (typeof a === 'function') return '[function]';
    try {
      return JSON.parse(JSON.stringify(a));
    } catch {
      return `[${typeof a}]`;
    }
  });
  appendFileSync(RECORD, `${JSON.stringify({ call, args: safe })}\n`);
}

let loaded = false;
const children = new Set();

class App extends EventEmitter {
  isPackaged = process.env.STANDIN_PACKAGED === '1';
  name = 'Strata';
  setName(name) {
    record('app.setName', name);
    this.name = name;
  }
  getPath(name) {
    record('app.getPath', name);
    const p = path.join(DIR, name);
    mkdirSync(p, { recursive: true });
    return p;
  }
  getAppPath() {
    return APP_DIR;
  }
  getVersion() {
    return JSON.parse(readFileSync(path.join(APP_DIR, 'package.json'), 'utf8')).version;
  }
  getName() {
    return this.name;
  }
  requestSingleInstanceLock() {
    record('app.requestSingleInstanceLock');
    return process.env.STANDIN_LOCK_TAKEN !== '1';
  }
  releaseSingleInstanceLock() {
    record('app.releaseSingleInstanceLock');
  }
  whenReady() {
    record('app.whenReady');
    return Promise.resolve();
  }
  on(event, listener) {
    record('app.on', event);
    return super.on(event, listener);
  }
  quit() {
    record('app.quit');
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (prevented) return;
    this.emit('will-quit', { preventDefault: () => undefined });
    record('process.exit', 0);
    process.exit(0);
  }
  exit(code = 0) {
    record('app.exit', code);
    process.exit(code);
  }
}

export const app = new App();

class WebContents extends EventEmitter {
  on(event, listener) {
    record('webContents.on', event);
    return super.on(event, listener);
  }
  setWindowOpenHandler() {
    record('webContents.setWindowOpenHandler');
  }
  closeDevTools() {
    record('webContents.closeDevTools');
  }
}

export class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    record('new BrowserWindow', options);
    this.webContents = new WebContents();
    app.emit('web-contents-created', {}, this.webContents);
  }
  static getFocusedWindow() {
    return null;
  }
  async loadFile(file) {
    record('BrowserWindow.loadFile', file);
    if (!existsSync(file)) throw new Error(`ERR_FILE_NOT_FOUND (-6) loading 'file://${file}'`);
    loaded = true;
    this.emit('ready-to-show');
  }
  show() {
    record('BrowserWindow.show');
  }
  maximize() {}
  isMinimized() {
    return false;
  }
  isMaximized() {
    return false;
  }
  restore() {}
  focus() {}
  getNormalBounds() {
    return { x: 0, y: 0, width: 1440, height: 900 };
  }
}

export const ipcMain = {
  handle(channel) {
    record('ipcMain.handle', channel);
  },
};

/** A menu template reduced to labels and roles, for the record. */
function outline(items) {
  return items.map((i) => ({ label: i.label ?? null, role: i.role ?? null, accelerator: i.accelerator ?? null, ...(Array.isArray(i.submenu) ? { submenu: outline(i.submenu) } : {}) }));
}

export const Menu = {
  buildFromTemplate(template) {
    return { template };
  },
  setApplicationMenu(menu) {
    record('Menu.setApplicationMenu', menu ? outline(menu.template) : null);
  },
};

export const dialog = {
  showErrorBox(title, content) {
    record('dialog.showErrorBox', title, content);
  },
  async showOpenDialog(...args) {
    record('dialog.showOpenDialog', args.at(-1));
    return { canceled: true, filePaths: [] };
  },
  async showSaveDialog(...args) {
    record('dialog.showSaveDialog', args.at(-1));
    return { canceled: true };
  },
  async showMessageBox(...args) {
    record('dialog.showMessageBox', args.at(-1));
    return { response: 0 };
  },
};

export const session = {
  defaultSession: {
    setPermissionRequestHandler() {
      record('session.setPermissionRequestHandler');
    },
    setPermissionCheckHandler() {
      record('session.setPermissionCheckHandler');
    },
    webRequest: {
      onHeadersReceived() {
        record('session.webRequest.onHeadersReceived');
      },
    },
  },
};

export const screen = { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] };
export const nativeTheme = { shouldUseDarkColors: false };

export const shell = {
  async openExternal(url) {
    record('shell.openExternal', url);
  },
  async openPath(p) {
    record('shell.openPath', p);
    return '';
  },
};

class UtilityChild extends EventEmitter {
  constructor(child) {
    super();
    this.child = child;
    this.stdout = child.stdout;
    this.stderr = child.stderr;
    child.on('message', (m) => this.emit('message', m));
    child.on('exit', (code, signal) => {
      record('utilityProcess.exit', code, signal);
      children.delete(this);
      this.emit('exit', code ?? 1);
    });
    child.on('error', (e) => this.emit('error', 'FatalError', e.message));
  }
  get pid() {
    return this.child.pid;
  }
  postMessage(m) {
    if (this.child.connected) this.child.send(m);
  }
  kill() {
    return this.child.kill();
  }
}

export const utilityProcess = {
  fork(modulePath, args, options) {
    record('utilityProcess.fork', modulePath, { serviceName: options?.serviceName, stdio: options?.stdio });
    const child = fork(modulePath, args ?? [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: options?.env ?? process.env,
      execArgv: options?.execArgv ?? [],
    });
    const c = new UtilityChild(child);
    children.add(c);
    return c;
  },
};

if (process.env.STANDIN_QUIT_AFTER_LOAD === '1') {
  const started = Date.now();
  const limit = Number(process.env.STANDIN_QUIT_AFTER_MS ?? 60_000);
  const timer = setInterval(() => {
    const settled = loaded && children.size === 0 && Date.now() - started > 500;
    if (settled || Date.now() - started > limit) {
      clearInterval(timer);
      record('standin.quitting', { loaded, liveChildren: children.size });
      app.quit();
    }
  }, 100);
}

export default { app, BrowserWindow, ipcMain, Menu, dialog, session, screen, nativeTheme, shell, utilityProcess };
