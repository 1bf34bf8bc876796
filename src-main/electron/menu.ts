/**
 * The desktop app's menu as plain data: a pure function of a small deps object builds Electron's
 * template, so it is unit-tested without Electron; main.ts passes it to Menu.buildFromTemplate.
 * Items that act on the page (import, open, save, export, the views) emit a MenuCommand that the
 * page carries out with its own state; Help opens the README, the logs folder and the About box.
 * Reload and DevTools exist only in development.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { AppInfo, BackendInfo, MenuCommand } from '../../shared/api/types';
import { MENU_VIEWS } from '../../shared/api/types';
import { isAllowedExternal } from './security';

/** What the menu needs. */
export interface MenuDeps {
  platform: NodeJS.Platform;
  appName: string;
  /** Development build (not packaged, or STRATA_DEVTOOLS=1): adds Reload and Toggle Developer Tools. */
  development: boolean;
  emit(command: MenuCommand): void;
  openReadme(): void;
  openLogsFolder(): void;
  showAbout(): void;
}

const VIEW_LABELS: Record<(typeof MENU_VIEWS)[number], string> = {
  data: 'Data',
  designer: 'Designer',
  training: 'Training',
  masks: 'Masks',
  runs: 'Runs',
};

/**
 * The view accelerators: Alt+1..5 as in the page (README); on macOS Cmd+1..5, because Option+digit
 * types a character there ("¡" for Option+1) and Cmd+digit is how Mac apps switch views.
 */
export function viewAccelerator(platform: NodeJS.Platform, index: number): string {
  return platform === 'darwin' ? `Cmd+${index + 1}` : `Alt+${index + 1}`;
}

/** The application menu's template. */
export function menuTemplate(deps: MenuDeps): MenuItemConstructorOptions[] {
  const mac = deps.platform === 'darwin';
  // On Linux and Windows a registered accelerator takes the key away from the page, and the designer
  // has its own Ctrl+Z/C/V for the graph; Chromium handles them in text fields by itself there. On
  // macOS text fields copy and paste only through the Edit menu's registered key equivalents.
  const editKeys = mac ? {} : { registerAccelerator: false };
  const about: MenuItemConstructorOptions = { label: `About ${deps.appName}`, click: () => deps.showAbout() };

  const template: MenuItemConstructorOptions[] = [];
  if (mac) {
    template.push({
      label: deps.appName,
      submenu: [
        about,
        { type: 'separator' },
        { role: 'services' },
        { type: 'separator' },
        { role: 'hide' },
        { role: 'hideOthers' },
        { role: 'unhide' },
        { type: 'separator' },
        { role: 'quit' },
      ],
    });
  }
  template.push({
    label: '&File',
    submenu: [
      { label: 'Import Dataset…', accelerator: 'CmdOrCtrl+I', click: () => deps.emit({ command: 'import-dataset' }) },
      { type: 'separator' },
      { label: 'Open Design…', accelerator: 'CmdOrCtrl+O', click: () => deps.emit({ command: 'open-design' }) },
      // Not Ctrl+S: in the designer that saves the design into the lab; this writes a file.
      { label: 'Save Design As…', accelerator: 'CmdOrCtrl+Shift+S', click: () => deps.emit({ command: 'save-design' }) },
      { type: 'separator' },
      { label: 'Export Submission…', accelerator: 'CmdOrCtrl+E', click: () => deps.emit({ command: 'export-submission' }) },
      { type: 'separator' },
      mac ? { role: 'close' } : { role: 'quit', label: 'Quit', accelerator: 'Ctrl+Q' },
    ],
  });
  template.push({
    label: '&Edit',
    submenu: [
      { role: 'undo', ...editKeys },
      { role: 'redo', ...editKeys },
      { type: 'separator' },
      { role: 'cut', ...editKeys },
      { role: 'copy', ...editKeys },
      { role: 'paste', ...editKeys },
      ...(mac ? [{ role: 'pasteAndMatchStyle' } as const] : []),
      { role: 'delete' },
      { type: 'separator' },
      { role: 'selectAll', ...editKeys },
    ],
  });
  const dev: MenuItemConstructorOptions[] = deps.development
    ? [{ type: 'separator' }, { role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }]
    : [];
  template.push({
    label: '&View',
    submenu: [
      ...MENU_VIEWS.map(
        (view, i): MenuItemConstructorOptions => ({
          label: VIEW_LABELS[view],
          accelerator: viewAccelerator(deps.platform, i),
          click: () => deps.emit({ command: 'show-view', view }),
        }),
      ),
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
      ...dev,
    ],
  });
  template.push({ role: 'windowMenu' });
  template.push({
    role: 'help',
    label: '&Help',
    submenu: [
      { label: `${deps.appName} README`, click: () => deps.openReadme() },
      { label: 'Open Logs Folder', click: () => deps.openLogsFolder() },
      ...(mac ? [] : [{ type: 'separator' } as const, about]),
    ],
  });
  return template;
}

/** Where Help > README leads: the README on the project's homepage, when that is an allowed link. */
export function readmeUrl(homepage: string | undefined): string | null {
  if (!homepage) return null;
  const url = `${homepage.replace(/\/+$/, '')}#readme`;
  return isAllowedExternal(url) ? url : null;
}

/** The About box's text: Strata's version, the runtimes, the backend in use and the folders. */
export function aboutMessage(info: AppInfo, backend: BackendInfo): { message: string; detail: string } {
  const v = info.versions;
  const runtimes = [
    `Electron ${v['electron'] ?? 'n/a'}`,
    `Chrome ${v['chrome'] ?? 'n/a'}`,
    `Node ${v['node'] ?? 'n/a'}`,
    `V8 ${v['v8'] ?? 'n/a'}`,
  ].join('\n');
  const lines: string[] = [];
  if (backend.available) {
    const b = backend.available.backend;
    lines.push(`Backend: ${b.name} (${b.detail})`);
    for (const s of backend.available.skipped) lines.push(`  ${s.name} skipped: ${s.reason}`);
  } else if (backend.probeProblem) {
    lines.push(`Backend: unknown (the check failed: ${backend.probeProblem})`);
  } else {
    lines.push('Backend: still being checked');
  }
  if (backend.last) lines.push(`Last run ${backend.last.runId}: ${backend.last.backend.name} (${backend.last.backend.detail})`);
  const folders = [`Data: ${info.dataDir}`, `Runs: ${info.runsDir}`, `Logs: ${info.logsDir ?? 'none'}`].join('\n');
  return { message: `Strata ${info.version}`, detail: `${runtimes}\n\n${lines.join('\n')}\n\n${folders}\nPlatform: ${info.platform}` };
}
