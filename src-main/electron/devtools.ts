/**
 * DevTools only in development. In a packaged app there is no menu item for them, their shortcuts
 * are swallowed before the page sees them, and DevTools that open anyway (a future API, a debugger
 * flag) are closed at once. Written against a small interface of WebContents, tested without Electron.
 */

/** The parts of Electron's `Input` this module reads. */
export interface KeyInput {
  type: string;
  key: string;
  control: boolean;
  meta: boolean;
  shift: boolean;
  alt: boolean;
}

/** The parts of a WebContents this module uses. */
export interface DevToolsContents {
  on(event: 'before-input-event', listener: (event: { preventDefault(): void }, input: KeyInput) => void): unknown;
  on(event: 'devtools-opened', listener: () => void): unknown;
  closeDevTools(): void;
}

/** Chromium's DevTools shortcuts: F12, Ctrl+Shift+I/J/C (Cmd+Option+I/J/C on macOS). */
export function isDevToolsShortcut(input: KeyInput, platform: NodeJS.Platform): boolean {
  if (input.type !== 'keyDown') return false;
  if (input.key === 'F12') return true;
  const key = input.key.toLowerCase();
  if (!['i', 'j', 'c'].includes(key)) return false;
  if (platform === 'darwin') return input.meta && input.alt;
  return input.control && input.shift;
}

/** Keeps DevTools shut in `contents` unless `development`. */
export function guardDevTools(contents: DevToolsContents, platform: NodeJS.Platform, development: boolean): void {
  if (development) return;
  contents.on('before-input-event', (event, input) => {
    if (isDevToolsShortcut(input, platform)) event.preventDefault();
  });
  contents.on('devtools-opened', () => contents.closeDevTools());
}
