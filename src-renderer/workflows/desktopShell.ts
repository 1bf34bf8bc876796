/**
 * What the desktop shell asks of the page, as pure functions: the application menu's commands
 * turned into a view and a task for it, a drop on the Data view read as one folder path or a
 * message, and the names the save dialogs propose. Browser mode has no menu and never learns the
 * path of a dropped folder; its users type paths.
 */
import type { AppShell, MenuCommand } from '../../shared/api/types';
import { VIEWS, type ViewName } from './routes';

/** A task the menu hands to the view it opens, carried out once that view is shown. */
export type ShellTask =
  /** Data: the native folder dialog, then the import of the chosen folder. */
  | 'pick-import-folder'
  /** Designer: the native open dialog for a design file, imported like a dropped one. */
  | 'open-design-file'
  /** Designer: the native save dialog, then the open design written there as JSON. */
  | 'save-design-file'
  /** Masks: the native save dialog, then the shown predictions written there as a Kaggle submission. */
  | 'save-submission';

/** Where a menu command leads and what is done there (null: only the view is opened). */
export interface MenuAction {
  view: ViewName;
  task: ShellTask | null;
}

/**
 * The action of a menu command; null for a command this page does not know (a newer main
 * process), which is ignored rather than guessed at.
 */
export function menuAction(cmd: MenuCommand): MenuAction | null {
  switch (cmd.command) {
    case 'show-view':
      return (VIEWS as readonly string[]).includes(cmd.view) ? { view: cmd.view, task: null } : null;
    case 'import-dataset':
      return { view: 'data', task: 'pick-import-folder' };
    case 'open-design':
      return { view: 'designer', task: 'open-design-file' };
    case 'save-design':
      return { view: 'designer', task: 'save-design-file' };
    case 'export-submission':
      return { view: 'masks', task: 'save-submission' };
    default:
      return null;
  }
}

/** True when a drag carries files (or folders) from outside the page, not text or a dragged element. */
export function isFileDrag(types: readonly string[] | null | undefined): boolean {
  return !!types && types.includes('Files');
}

/** A drop read: the one folder path to check and import, or what to tell the user instead. */
export type FolderDrop = { kind: 'path'; path: string } | { kind: 'refused'; tone: 'info' | 'error'; message: string };

/** What was dropped: the items' names and, in the desktop app, the first one's path ('' when it has none). */
export interface DroppedItems {
  shell: AppShell;
  names: readonly string[];
  /** `pathForFile` of the only item; null when not asked (browser mode, or not exactly one item). */
  path: string | null;
}

/** How many names a message lists before it only counts. */
const LISTED = 3;

/**
 * Reads a drop on the Data view. Browser mode always answers with a note: a browser never tells
 * the page where a dropped folder is, so the path must be typed. The desktop app takes exactly one
 * item with a path on disk; the lab then checks it is a folder (`checkDroppedFolder`).
 */
export function folderDrop(d: DroppedItems): FolderDrop {
  if (d.shell === 'browser') {
    return {
      kind: 'refused',
      tone: 'info',
      message:
        'Dropping a folder works in the desktop app. A browser does not tell the page where a dropped folder is, so type (or paste) the folder’s absolute path above instead.',
    };
  }
  if (d.names.length === 0) return { kind: 'refused', tone: 'error', message: 'Nothing that could be imported was dropped: drop the dataset’s folder.' };
  if (d.names.length > 1) {
    const listed = d.names.slice(0, LISTED).join(', ');
    const more = d.names.length > LISTED ? `, and ${d.names.length - LISTED} more` : '';
    return { kind: 'refused', tone: 'error', message: `Drop one folder at a time: ${d.names.length} items were dropped (${listed}${more}).` };
  }
  if (!d.path) {
    return {
      kind: 'refused',
      tone: 'error',
      message: `${d.names[0] ?? 'The dropped item'} has no path on this computer (it was dragged from a page, not from a folder): drop the dataset’s folder from the file manager.`,
    };
  }
  return { kind: 'path', path: d.path };
}

/** A file-name stem for `name`: letters, digits, '-' and '_' only (no folders); `fallback` when nothing is left. */
export function fileStem(name: string, fallback: string): string {
  const stem = name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60);
  return stem || fallback;
}

/** The name the save dialog proposes for a submission of run `runName`: `<run>-submission.csv`. */
export function submissionFileName(runName: string): string {
  return `${fileStem(runName, 'run')}-submission.csv`;
}
