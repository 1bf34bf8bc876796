/**
 * The desktop shell's channels at the Electron boundary: a recording stand-in for Electron's
 * `dialog` answers as the user would (a path, or cancel); files are real files in a temp folder.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { OpenDialogOptions, SaveDialogOptions } from 'electron';
import { afterAll, describe, expect, it } from 'vitest';
import type { MenuCommand } from '../../shared/api/types';
import { MAX_DESIGN_FILE_BYTES } from '../../shared/arch/designFile';
import { desktopShell, MenuCommandBus, type DialogLike } from '../../src-main/electron/desktopShell';
import { LabError } from '../../src-main/lab/errors';
import { createHandlers } from '../../src-main/lab/handlers';
import type { LabService } from '../../src-main/lab/service';
import { writeDesignFile } from '../../src-main/lab/shell';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-shell-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const docs = path.join(tmp, 'Documents');
mkdirSync(docs);

type Answer = { canceled: boolean; filePaths?: string[]; filePath?: string };

/** A dialog that records what it was asked and gives the queued answers in turn. */
function fakeDialog(...answers: Answer[]) {
  const opened: OpenDialogOptions[] = [];
  const saved: SaveDialogOptions[] = [];
  const next = () => {
    const a = answers.shift();
    if (!a) throw new Error('the test queued no answer for this dialog');
    return a;
  };
  const dialog: DialogLike = {
    showOpenDialog: (o) => {
      opened.push(o);
      const a = next();
      return Promise.resolve({ canceled: a.canceled, filePaths: a.filePaths ?? [] });
    },
    showSaveDialog: (o) => {
      saved.push(o);
      const a = next();
      return Promise.resolve({ canceled: a.canceled, ...(a.filePath === undefined ? {} : { filePath: a.filePath }) });
    },
  };
  return { dialog, opened, saved };
}

function shellWith(dialog: DialogLike, menu = new MenuCommandBus()) {
  return desktopShell({ dialog, documentsDir: docs, dirs: { dataDir: path.join(tmp, 'home'), runsDir: path.join(tmp, 'home/runs') }, logsDir: path.join(tmp, 'logs'), menu, version: '9.8.7' });
}

describe('pickFolder', () => {
  it('opens a folder dialog titled for its purpose in Documents, then beside the last folder picked', async () => {
    const picked = path.join(tmp, 'data', 'tgs-train');
    const f = fakeDialog({ canceled: false, filePaths: [picked] }, { canceled: false, filePaths: [path.join(tmp, 'data', 'other')] }, { canceled: false, filePaths: [picked] });
    const shell = shellWith(f.dialog);
    expect(await shell.pickFolder({ purpose: 'import-dataset' })).toEqual({ path: picked });
    expect(f.opened[0]).toMatchObject({ defaultPath: docs, buttonLabel: 'Import' });
    expect(f.opened[0]?.properties).toContain('openDirectory');
    expect(f.opened[0]?.title).toMatch(/dataset/i);

    await shell.pickFolder({ purpose: 'import-dataset' });
    expect(f.opened[1]?.defaultPath).toBe(path.join(tmp, 'data'));

    // Each purpose remembers its own folder, and has its own title.
    await shell.pickFolder({ purpose: 'predict-folder' });
    expect(f.opened[2]).toMatchObject({ defaultPath: docs, buttonLabel: 'Predict' });
    expect(f.opened[2]?.title).toMatch(/predict/i);
  });

  it('answers a cancelled dialog with a null path and remembers nothing', async () => {
    const f = fakeDialog({ canceled: true, filePaths: [] }, { canceled: false, filePaths: [] });
    const shell = shellWith(f.dialog);
    expect(await shell.pickFolder({ purpose: 'import-dataset' })).toEqual({ path: null });
    expect(await shell.pickFolder({ purpose: 'import-dataset' })).toEqual({ path: null });
    expect(shell.lastFolders.size).toBe(0);
  });
});

describe('pickSaveFile', () => {
  it('proposes the name in Documents with the purpose filter, and adds a missing extension', async () => {
    const f = fakeDialog({ canceled: false, filePath: path.join(tmp, 'out', 'sub') }, { canceled: false, filePath: path.join(tmp, 'designs', 'mine.json') });
    const shell = shellWith(f.dialog);
    expect(await shell.pickSaveFile({ purpose: 'submission', defaultName: 'run-1-submission.csv' })).toEqual({ path: path.join(tmp, 'out', 'sub.csv') });
    expect(f.saved[0]?.defaultPath).toBe(path.join(docs, 'run-1-submission.csv'));
    expect(f.saved[0]?.filters).toEqual([{ name: 'Kaggle submission (CSV)', extensions: ['csv'] }]);
    expect(f.saved[0]?.properties).toContain('showOverwriteConfirmation');

    expect(await shell.pickSaveFile({ purpose: 'design', defaultName: 'fig2.json' })).toEqual({ path: path.join(tmp, 'designs', 'mine.json') });
    expect(f.saved[1]?.filters?.[0]?.extensions).toEqual(['json']);
    // Submissions keep their own last folder: a design save does not move it.
    expect(shell.lastFolders.get('save:submission')).toBe(path.join(tmp, 'out'));
    expect(shell.lastFolders.get('save:design')).toBe(path.join(tmp, 'designs'));
  });

  it('answers cancel (with or without a path) with a null path', async () => {
    const f = fakeDialog({ canceled: true, filePath: path.join(tmp, 'x.csv') }, { canceled: false, filePath: '' });
    const shell = shellWith(f.dialog);
    expect(await shell.pickSaveFile({ purpose: 'submission', defaultName: 'a.csv' })).toEqual({ path: null });
    expect(await shell.pickSaveFile({ purpose: 'submission', defaultName: 'a.csv' })).toEqual({ path: null });
    expect(shell.lastFolders.size).toBe(0);
  });
});

describe('openDesignFile', () => {
  const designs = path.join(tmp, 'designs-in');
  mkdirSync(designs);

  it('reads the chosen file and names it', async () => {
    const file = path.join(designs, 'tiny.json');
    writeFileSync(file, '{"name":"tiny"}\n');
    const f = fakeDialog({ canceled: false, filePaths: [file] });
    const shell = shellWith(f.dialog);
    expect(await shell.openDesignFile({})).toEqual({ path: file, name: 'tiny.json', text: '{"name":"tiny"}\n' });
    expect(f.opened[0]?.properties).toContain('openFile');
    expect(f.opened[0]?.filters?.[0]?.extensions).toEqual(['json']);
    expect(shell.lastFolders.get('open:design')).toBe(designs);
  });

  it('answers a cancelled dialog with null', async () => {
    const shell = shellWith(fakeDialog({ canceled: true, filePaths: [] }).dialog);
    expect(await shell.openDesignFile({})).toBeNull();
  });

  it('refuses a file over the size limit, naming its size and the limit', async () => {
    const file = path.join(designs, 'huge.json');
    writeFileSync(file, Buffer.alloc(MAX_DESIGN_FILE_BYTES + 1, 0x20));
    const shell = shellWith(fakeDialog({ canceled: false, filePaths: [file] }).dialog);
    const err = await Promise.resolve(shell.openDesignFile({})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect(err).toMatchObject({ code: 'bad-request', message: 'huge.json is 5.0 MB; a design file is at most 5 MB' });
  });

  it('says why an unreadable file cannot be read', async () => {
    const gone = path.join(designs, 'gone.json');
    const shell = shellWith(fakeDialog({ canceled: false, filePaths: [gone] }, { canceled: false, filePaths: [designs] }).dialog);
    await expect(Promise.resolve(shell.openDesignFile({}))).rejects.toMatchObject({ code: 'bad-request', message: `cannot read ${gone}: it no longer exists` });
    await expect(Promise.resolve(shell.openDesignFile({}))).rejects.toMatchObject({ code: 'bad-request', message: `${designs} is not a file` });
  });

  it.skipIf(process.getuid?.() === 0)('says "permission denied" for a file it may not read', async () => {
    const locked = path.join(designs, 'locked.json');
    writeFileSync(locked, '{}');
    chmodSync(locked, 0o000);
    const shell = shellWith(fakeDialog({ canceled: false, filePaths: [locked] }).dialog);
    await expect(Promise.resolve(shell.openDesignFile({}))).rejects.toMatchObject({ message: `cannot read ${locked}: permission denied` });
  });
});

describe('menu commands and app info', () => {
  it('delivers what the menu emits to every subscribed page until it unsubscribes', () => {
    const bus = new MenuCommandBus();
    const shell = shellWith(fakeDialog().dialog, bus);
    const a: MenuCommand[] = [];
    const b: MenuCommand[] = [];
    const offA = shell.onMenuCommand({}, (c) => a.push(c));
    shell.onMenuCommand({}, (c) => b.push(c));
    bus.emit({ command: 'show-view', view: 'masks' });
    offA();
    bus.emit({ command: 'open-design' });
    expect(a).toEqual([{ command: 'show-view', view: 'masks' }]);
    expect(b).toEqual([{ command: 'show-view', view: 'masks' }, { command: 'open-design' }]);
    expect(bus.size).toBe(1);
  });

  it('reports the desktop shell, the app version, the folders and the logs folder', () => {
    const info = shellWith(fakeDialog().dialog).getAppInfo();
    expect(info).toMatchObject({ shell: 'desktop', version: '9.8.7', dataDir: path.join(tmp, 'home'), runsDir: path.join(tmp, 'home/runs'), logsDir: path.join(tmp, 'logs') });
    expect(info.versions['node']).toBe(process.versions.node);
  });
});

/**
 * A stand-in for the lab service behind the handlers: `writeDesignFile` really writes (as the lab's
 * does), `exportSubmission` writes a one-line file, and every call is recorded.
 */
function recordingLab() {
  const calls: { name: string; params: unknown }[] = [];
  const lab = new Proxy({} as Record<string, unknown>, {
    get: (_t, name) => {
      if (name === 'dirs') return { dataDir: path.join(tmp, 'home'), runsDir: path.join(tmp, 'home/runs') };
      if (typeof name !== 'string') return undefined;
      return (params: { path?: string; arch?: unknown }) => {
        calls.push({ name, params });
        if (name === 'writeDesignFile') return writeDesignFile(params.path as string, params.arch);
        if (name === 'exportSubmission') {
          writeFileSync(params.path as string, 'id,rle_mask\n');
          return { path: params.path, rows: 0, withSalt: 0, threshold: 0.5 };
        }
        return null;
      };
    },
  }) as unknown as LabService;
  return { lab, calls };
}

function forbidden(f: () => unknown): LabError {
  try {
    f();
  } catch (e) {
    if (e instanceof LabError) return e;
    throw e;
  }
  throw new Error('expected a forbidden error');
}

describe('writes from the page (desktop handlers)', () => {
  const arch = { format: 'strata-arch', version: 1, name: 'mine', nodes: [], edges: [] } as never;
  const submission = { id: 'r1', source: { kind: 'epoch', epoch: 0 }, threshold: 0.5 } as const;

  it('writes a design or a submission only where the save dialog of that purpose answered', async () => {
    const dir = path.join(tmp, 'writes');
    mkdirSync(dir);
    const f = fakeDialog({ canceled: false, filePath: path.join(dir, 'mine.json') }, { canceled: false, filePath: path.join(dir, 'sub') });
    const { lab, calls } = recordingLab();
    const h = createHandlers(lab, shellWith(f.dialog));

    // Nothing chosen yet: refused by name, nothing reaches the lab, no file appears.
    const typed = path.join(dir, 'typed.json');
    const e = forbidden(() => h.writeDesignFile({ path: typed, arch }));
    expect(e.code).toBe('forbidden');
    expect(e.message).toBe(`${typed} was not chosen in a save dialog`);
    expect(calls).toEqual([]);
    expect(existsSync(typed)).toBe(false);

    const design = (await h.pickSaveFile({ purpose: 'design', defaultName: 'mine.json' })).path as string;
    expect(await h.writeDesignFile({ path: design, arch })).toMatchObject({ path: design });
    expect(JSON.parse(readFileSync(design, 'utf8'))).toMatchObject({ name: 'mine' });
    // The same file again (a second save) is still allowed; a path spelt differently is the same file.
    await h.writeDesignFile({ path: path.join(dir, '.', 'mine.json'), arch });
    expect(calls.map((c) => c.name)).toEqual(['writeDesignFile', 'writeDesignFile']);
    // Per purpose: the design's file is not a submission's.
    expect(forbidden(() => h.exportSubmission({ ...submission, path: design })).message).toBe(`${design} was not chosen in a save dialog`);

    // The dialog's answer with the extension it added is the one allowed.
    const sub = (await h.pickSaveFile({ purpose: 'submission', defaultName: 'r1-submission.csv' })).path as string;
    expect(sub).toBe(path.join(dir, 'sub.csv'));
    expect(forbidden(() => h.exportSubmission({ ...submission, path: path.join(dir, 'sub') })).code).toBe('forbidden');
    expect(await h.exportSubmission({ ...submission, path: sub })).toMatchObject({ path: sub });
    expect(readFileSync(sub, 'utf8')).toBe('id,rle_mask\n');
    expect(calls.map((c) => c.name)).toEqual(['writeDesignFile', 'writeDesignFile', 'exportSubmission']);
  });

  it('a cancelled save dialog allows nothing', async () => {
    const out = path.join(tmp, 'cancelled.csv');
    const f = fakeDialog({ canceled: true, filePath: out });
    const { lab, calls } = recordingLab();
    const h = createHandlers(lab, shellWith(f.dialog));
    expect(await h.pickSaveFile({ purpose: 'submission', defaultName: 'cancelled.csv' })).toEqual({ path: null });
    expect(forbidden(() => h.exportSubmission({ ...submission, path: out })).message).toBe(`${out} was not chosen in a save dialog`);
    expect(calls).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });

  it('browser mode still writes where the user typed', async () => {
    const typed = path.join(tmp, 'browser-typed.json');
    const { lab, calls } = recordingLab();
    const h = createHandlers(lab);
    expect(await h.writeDesignFile({ path: typed, arch })).toMatchObject({ path: typed });
    expect(existsSync(typed)).toBe(true);
    expect(calls.map((c) => c.name)).toEqual(['writeDesignFile']);
  });
});
