/** The application menu as data, its clicks, the About text, and the DevTools guard, without Electron. */
import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import type { AppInfo, BackendInfo, MenuCommand } from '../../shared/api/types';
import { guardDevTools, isDevToolsShortcut, type DevToolsContents, type KeyInput } from '../../src-main/electron/devtools';
import { aboutMessage, menuTemplate, readmeUrl, type MenuDeps } from '../../src-main/electron/menu';

function build(platform: NodeJS.Platform, development: boolean) {
  const emitted: MenuCommand[] = [];
  const calls: string[] = [];
  const deps: MenuDeps = {
    platform,
    appName: 'Strata',
    development,
    emit: (c) => emitted.push(c),
    openReadme: () => calls.push('readme'),
    openLogsFolder: () => calls.push('logs'),
    showAbout: () => calls.push('about'),
  };
  return { template: menuTemplate(deps), emitted, calls };
}

const sub = (item: MenuItemConstructorOptions | undefined) => (Array.isArray(item?.submenu) ? item.submenu : []);
const top = (t: MenuItemConstructorOptions[], label: string) => t.find((m) => m.label?.replace('&', '') === label || m.role === label.toLowerCase());
const byLabel = (items: MenuItemConstructorOptions[], label: string) => items.find((i) => i.label === label);
const click = (item: MenuItemConstructorOptions | undefined) => {
  if (!item?.click) throw new Error(`no click on ${item?.label ?? 'a missing item'}`);
  (item.click as () => void)();
};
/** Every role and label, depth first. */
function flatten(items: MenuItemConstructorOptions[]): string[] {
  return items.flatMap((i) => [String(i.role ?? i.label ?? i.type), ...flatten(sub(i))]);
}

describe('the application menu', () => {
  it('has File, Edit, View, Window and Help on Linux, with Quit in File and About in Help', () => {
    const { template } = build('linux', false);
    expect(template.map((m) => m.label ?? m.role)).toEqual(['&File', '&Edit', '&View', 'windowMenu', '&Help']);
    const file = sub(top(template, 'File'));
    expect(file.filter((i) => i.label).map((i) => i.label)).toEqual(['Import Dataset…', 'Open Design…', 'Save Design As…', 'Export Submission…', 'Quit']);
    expect(file.at(-1)?.role).toBe('quit');
    expect(flatten(sub(top(template, 'Help')))).toEqual(['Strata README', 'Open Logs Folder', 'separator', 'About Strata']);
  });

  it('has the macOS app menu first, with About and Quit there, and Close in File', () => {
    const { template, calls } = build('darwin', false);
    expect(template[0]?.label).toBe('Strata');
    const appMenu = sub(template[0]);
    expect(appMenu.map((i) => i.role ?? i.label ?? i.type)).toEqual(['About Strata', 'separator', 'services', 'separator', 'hide', 'hideOthers', 'unhide', 'separator', 'quit']);
    click(appMenu[0]);
    expect(calls).toEqual(['about']);
    expect(sub(top(template, 'File')).at(-1)?.role).toBe('close');
    expect(flatten(sub(top(template, 'Help')))).not.toContain('About Strata');
  });

  it('sends the page a command for each File item and each view', () => {
    const { template, emitted } = build('linux', false);
    const file = sub(top(template, 'File'));
    for (const label of ['Import Dataset…', 'Open Design…', 'Save Design As…', 'Export Submission…']) click(byLabel(file, label));
    const view = sub(top(template, 'View'));
    for (const label of ['Data', 'Designer', 'Training', 'Masks', 'Runs']) click(byLabel(view, label));
    expect(emitted).toEqual([
      { command: 'import-dataset' },
      { command: 'open-design' },
      { command: 'save-design' },
      { command: 'export-submission' },
      { command: 'show-view', view: 'data' },
      { command: 'show-view', view: 'designer' },
      { command: 'show-view', view: 'training' },
      { command: 'show-view', view: 'masks' },
      { command: 'show-view', view: 'runs' },
    ]);
  });

  it('uses Alt+1..5 for the views, Cmd+1..5 on macOS (Option+1 types "¡" there)', () => {
    const views = (p: NodeJS.Platform) => sub(top(build(p, false).template, 'View')).slice(0, 5).map((i) => i.accelerator);
    expect(views('linux')).toEqual(['Alt+1', 'Alt+2', 'Alt+3', 'Alt+4', 'Alt+5']);
    expect(views('win32')).toEqual(['Alt+1', 'Alt+2', 'Alt+3', 'Alt+4', 'Alt+5']);
    expect(views('darwin')).toEqual(['Cmd+1', 'Cmd+2', 'Cmd+3', 'Cmd+4', 'Cmd+5']);
  });

  it('never binds Ctrl+S (the designer saves into the lab with it)', () => {
    const accels = (t: MenuItemConstructorOptions[]): string[] => t.flatMap((i) => [String(i.accelerator ?? ''), ...accels(sub(i))]);
    expect(accels(build('linux', true).template)).not.toContain('CmdOrCtrl+S');
  });

  it('has the standard Edit roles, leaving Ctrl+Z/C/V to the page except on macOS', () => {
    const edit = (p: NodeJS.Platform) => sub(top(build(p, false).template, 'Edit'));
    for (const role of ['undo', 'redo', 'cut', 'copy', 'paste', 'selectAll']) {
      expect(edit('linux').find((i) => i.role === role)?.registerAccelerator, role).toBe(false);
      expect(edit('darwin').find((i) => i.role === role)?.registerAccelerator, role).toBeUndefined();
    }
    expect(edit('darwin').map((i) => i.role)).toContain('pasteAndMatchStyle');
  });

  it('offers Reload and DevTools only in development', () => {
    expect(flatten(build('linux', false).template)).not.toEqual(expect.arrayContaining(['toggleDevTools']));
    expect(flatten(build('linux', false).template)).not.toContain('reload');
    expect(flatten(build('darwin', false).template)).not.toContain('toggleDevTools');
    expect(flatten(build('linux', true).template)).toEqual(expect.arrayContaining(['reload', 'forceReload', 'toggleDevTools']));
  });

  it('Help opens the README and the logs folder', () => {
    const { template, calls } = build('linux', false);
    const help = sub(top(template, 'Help'));
    click(byLabel(help, 'Strata README'));
    click(byLabel(help, 'Open Logs Folder'));
    click(byLabel(help, 'About Strata'));
    expect(calls).toEqual(['readme', 'logs', 'about']);
  });
});

describe('Help links and the About box', () => {
  it('links the README on an allowed homepage only', () => {
    expect(readmeUrl('https://github.com/strata-lab/strata')).toBe('https://github.com/strata-lab/strata#readme');
    expect(readmeUrl('https://github.com/strata-lab/strata/')).toBe('https://github.com/strata-lab/strata#readme');
    expect(readmeUrl('https://evil.example/strata')).toBeNull();
    expect(readmeUrl('http://github.com/strata-lab/strata')).toBeNull();
    expect(readmeUrl(undefined)).toBeNull();
  });

  const info: AppInfo = {
    shell: 'desktop',
    version: '0.1.0',
    versions: { node: '24.11.1', electron: '40.10.6', chrome: '144.0.1', v8: '14.4.1' },
    platform: 'linux-x64',
    dataDir: '/home/u/.config/Strata',
    runsDir: '/home/u/.config/Strata/runs',
    logsDir: '/home/u/.config/Strata/logs',
  };
  const note = 'how the backend is chosen';

  it('names every runtime version, the backend in use with the skipped reasons, and the folders', () => {
    const backend: BackendInfo = {
      last: null,
      note,
      probeProblem: null,
      available: {
        backend: { name: 'wasm', detail: '2 threads · SIMD', threads: 2 },
        skipped: [{ name: 'tfjs-node-gpu', reason: "no CUDA device; TensorFlow: Could not load dynamic library 'libcudart.so.11.0'" }],
      },
    };
    const { message, detail } = aboutMessage(info, backend);
    expect(message).toBe('Strata 0.1.0');
    for (const s of ['Electron 40.10.6', 'Chrome 144.0.1', 'Node 24.11.1', 'V8 14.4.1', 'Backend: wasm (2 threads · SIMD)', "tfjs-node-gpu skipped: no CUDA device; TensorFlow: Could not load dynamic library 'libcudart.so.11.0'", 'Runs: /home/u/.config/Strata/runs', 'Logs: /home/u/.config/Strata/logs']) {
      expect(detail).toContain(s);
    }
  });

  it('says when the backend is still being checked, or why the check failed', () => {
    expect(aboutMessage(info, { last: null, note, available: null, probeProblem: null }).detail).toContain('Backend: still being checked');
    expect(aboutMessage(info, { last: null, note, available: null, probeProblem: 'the backend probe took longer than 60 s' }).detail).toContain(
      'Backend: unknown (the check failed: the backend probe took longer than 60 s)',
    );
  });
});

describe('DevTools in production', () => {
  const key = (k: Partial<KeyInput>): KeyInput => ({ type: 'keyDown', key: 'a', control: false, meta: false, shift: false, alt: false, ...k });

  it('recognises the DevTools shortcuts per platform, and nothing else', () => {
    expect(isDevToolsShortcut(key({ key: 'F12' }), 'linux')).toBe(true);
    expect(isDevToolsShortcut(key({ key: 'I', control: true, shift: true }), 'linux')).toBe(true);
    expect(isDevToolsShortcut(key({ key: 'j', control: true, shift: true }), 'win32')).toBe(true);
    expect(isDevToolsShortcut(key({ key: 'i', meta: true, alt: true }), 'darwin')).toBe(true);
    expect(isDevToolsShortcut(key({ key: 'i', control: true }), 'linux')).toBe(false);
    expect(isDevToolsShortcut(key({ key: 'c', control: true }), 'linux')).toBe(false);
    expect(isDevToolsShortcut(key({ key: 'F12', type: 'keyUp' }), 'linux')).toBe(false);
  });

  function contents() {
    const listeners = new Map<string, (...a: never[]) => void>();
    let closed = 0;
    const c: DevToolsContents = {
      on: (event: string, l: (...a: never[]) => void) => listeners.set(event, l),
      closeDevTools: () => {
        closed++;
      },
    };
    return { c, listeners, closed: () => closed };
  }

  it('swallows the shortcuts and closes DevTools that open anyway, unless in development', () => {
    const prod = contents();
    guardDevTools(prod.c, 'linux', false);
    let prevented = 0;
    const onInput = prod.listeners.get('before-input-event') as unknown as (e: { preventDefault(): void }, i: KeyInput) => void;
    onInput({ preventDefault: () => prevented++ }, key({ key: 'F12' }));
    onInput({ preventDefault: () => prevented++ }, key({ key: 'x', control: true }));
    expect(prevented).toBe(1);
    (prod.listeners.get('devtools-opened') as unknown as () => void)();
    expect(prod.closed()).toBe(1);

    const dev = contents();
    guardDevTools(dev.c, 'linux', true);
    expect(dev.listeners.size).toBe(0);
  });
});
