/**
 * The desktop app's shell channels (see src-main/lab/shell.ts): native folder, save and open dialogs,
 * the menu's commands to the page, and the app info. Written against small interfaces of Electron's
 * `dialog` (already bound to the app's window by main.ts), so it is unit-tested without Electron.
 *
 * A cancelled dialog answers `{ path: null }` (or null for the open dialog) and changes nothing.
 * The page may write a design or a submission only where the save dialog of that purpose answered
 * (`allowWrite`, checked by the lab's handlers): a page that was made to misbehave cannot name a file.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { OpenDialogOptions, SaveDialogOptions } from 'electron';
import type { AppInfo, FolderPurpose, MenuCommand, SavePurpose } from '../../shared/api/types';
import { designFileSizeProblem } from '../../shared/arch/designFile';
import { LabError } from '../lab/errors';
import type { LabDirs } from '../lab/paths';
import { appInfo, type ShellHandlers } from '../lab/shell';

/** Electron's `dialog`, bound to the parent window. */
export interface DialogLike {
  showOpenDialog(options: OpenDialogOptions): Promise<{ canceled: boolean; filePaths: string[] }>;
  showSaveDialog(options: SaveDialogOptions): Promise<{ canceled: boolean; filePath?: string }>;
}

/** Commands from the menu to the page: the menu emits, the page's `onMenuCommand` subscriptions hear. */
export class MenuCommandBus {
  private readonly listeners = new Set<(c: MenuCommand) => void>();

  emit(command: MenuCommand): void {
    for (const l of [...this.listeners]) l(command);
  }

  subscribe(listener: (c: MenuCommand) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** How many pages listen (for tests and the log). */
  get size(): number {
    return this.listeners.size;
  }
}

const FOLDER_DIALOGS: Record<FolderPurpose, { title: string; buttonLabel: string }> = {
  'import-dataset': { title: 'Import a dataset folder (images/ with masks/ or train.csv)', buttonLabel: 'Import' },
  'predict-folder': { title: 'Choose a folder of images to predict', buttonLabel: 'Predict' },
};

const SAVE_DIALOGS: Record<SavePurpose, { title: string; filters: { name: string; extensions: string[] }[] }> = {
  submission: { title: 'Export a Kaggle submission', filters: [{ name: 'Kaggle submission (CSV)', extensions: ['csv'] }] },
  design: { title: 'Save the design', filters: [{ name: 'Strata design (JSON)', extensions: ['json'] }] },
};

const DESIGN_FILTERS = [
  { name: 'Strata design (JSON)', extensions: ['json'] },
  { name: 'All files', extensions: ['*'] },
];

/** What the desktop shell needs. */
export interface DesktopShellDeps {
  dialog: DialogLike;
  /** Where the first dialog of each kind opens: the user's documents folder. */
  documentsDir: string;
  dirs: LabDirs;
  logsDir: string;
  menu: MenuCommandBus;
  /** The app's version (Electron's `app.getVersion()`, from package.json wherever the bundle sits). */
  version?: string;
}

/** The desktop's shell handlers; the app info is also read by the About box. */
export type DesktopShell = Omit<ShellHandlers, 'getAppInfo'> & {
  getAppInfo(): AppInfo;
  /** Where each kind of dialog opens next (this session). */
  lastFolders: ReadonlyMap<string, string>;
  /** True when the save dialog of `purpose` answered `path` (this session). */
  allowWrite(purpose: SavePurpose, path: string): boolean;
};

/**
 * The shell handlers of the desktop app. Each kind of dialog opens where the last one of that kind
 * was answered (this session), else in the documents folder.
 */
export function desktopShell(deps: DesktopShellDeps): DesktopShell {
  const last = new Map<string, string>();
  const startIn = (kind: string) => last.get(kind) ?? deps.documentsDir;
  // The files the save dialogs answered, per purpose: the only ones the page may write.
  const saved: Record<SavePurpose, Set<string>> = { design: new Set(), submission: new Set() };

  return {
    lastFolders: last,
    allowWrite: (purpose, p) => saved[purpose].has(path.resolve(p)),
    getAppInfo: () => {
      const info = appInfo('desktop', deps.dirs, deps.logsDir);
      return deps.version ? { ...info, version: deps.version } : info;
    },

    async pickFolder({ purpose }) {
      const d = FOLDER_DIALOGS[purpose];
      const r = await deps.dialog.showOpenDialog({
        title: d.title,
        buttonLabel: d.buttonLabel,
        defaultPath: startIn(`folder:${purpose}`),
        properties: ['openDirectory', 'dontAddToRecent'],
      });
      const picked = r.canceled ? undefined : r.filePaths[0];
      if (picked === undefined) return { path: null };
      // Next time, open beside this folder: the next dataset is likely a sibling.
      last.set(`folder:${purpose}`, path.dirname(picked));
      return { path: picked };
    },

    async pickSaveFile({ purpose, defaultName }) {
      const d = SAVE_DIALOGS[purpose];
      const r = await deps.dialog.showSaveDialog({
        title: d.title,
        defaultPath: path.join(startIn(`save:${purpose}`), defaultName),
        filters: d.filters,
        properties: ['showOverwriteConfirmation', 'createDirectory', 'dontAddToRecent'],
      });
      if (r.canceled || !r.filePath) return { path: null };
      // GTK's dialog does not add the filter's extension to a typed name; add it here.
      const ext = d.filters[0]?.extensions[0] ?? '';
      const chosen = path.extname(r.filePath) === '' && ext ? `${r.filePath}.${ext}` : r.filePath;
      last.set(`save:${purpose}`, path.dirname(chosen));
      saved[purpose].add(path.resolve(chosen));
      return { path: chosen };
    },

    async openDesignFile() {
      const r = await deps.dialog.showOpenDialog({
        title: 'Open a design',
        defaultPath: startIn('open:design'),
        filters: DESIGN_FILTERS,
        properties: ['openFile', 'dontAddToRecent'],
      });
      const file = r.canceled ? undefined : r.filePaths[0];
      if (file === undefined) return null;
      const name = path.basename(file);
      let text: string;
      try {
        const st = statSync(file);
        if (!st.isFile()) throw new LabError('bad-request', `${file} is not a file`);
        const tooBig = designFileSizeProblem(name, st.size);
        if (tooBig) throw new LabError('bad-request', tooBig);
        text = readFileSync(file, 'utf8');
      } catch (e) {
        if (e instanceof LabError) throw e;
        const code = (e as NodeJS.ErrnoException).code;
        const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOENT' ? 'it no longer exists' : (e as Error).message;
        throw new LabError('bad-request', `cannot read ${file}: ${why}`);
      }
      last.set('open:design', path.dirname(file));
      return { path: file, name, text };
    },

    onMenuCommand: (_p, emit) => deps.menu.subscribe(emit),
  };
}
