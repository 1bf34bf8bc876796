/**
 * The Electron app's security settings as plain data and pure predicates, so they are unit-tested
 * without Electron. main.ts only wires them in. See docs/security.md.
 */
import type { BrowserWindowConstructorOptions } from 'electron';

/** The renderer's Content-Security-Policy: one definition, in shared/ (the page's `<meta>` tag carries the same). */
export { CONTENT_SECURITY_POLICY } from '../../shared/api/csp';

/** Where a window sits; remembered between sessions. */
export interface WindowBounds {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized?: boolean;
}

export const DEFAULT_BOUNDS: WindowBounds = { width: 1440, height: 900 };

/** The main window's options: isolated, sandboxed, no Node in the page, no webviews. */
export function windowOptions(bounds: WindowBounds, preloadPath: string, dark: boolean): BrowserWindowConstructorOptions {
  return {
    ...(bounds.x === undefined || bounds.y === undefined ? {} : { x: bounds.x, y: bounds.y }),
    width: bounds.width,
    height: bounds.height,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Strata',
    backgroundColor: dark ? '#15171c' : '#f7f8fa',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      spellcheck: false,
      navigateOnDragDrop: false,
    },
  };
}

/** Only the app's own page may be shown: navigation anywhere else is refused. */
export function isAllowedNavigation(target: string, appUrl: string): boolean {
  try {
    const t = new URL(target);
    const a = new URL(appUrl);
    return t.protocol === a.protocol && t.host === a.host && t.pathname === a.pathname;
  } catch {
    return false;
  }
}

/** Links the app may open in the user's browser: https pages of these hosts only. */
export const EXTERNAL_ALLOW_LIST = ['github.com', 'www.kaggle.com', 'distill.pub', 'arxiv.org', 'www.tensorflow.org', 'js.tensorflow.org'];

/** Whether `url` may be handed to `shell.openExternal`. */
export function isAllowedExternal(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && EXTERNAL_ALLOW_LIST.includes(u.hostname) && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/**
 * Parses a remembered window state; anything malformed or off every screen falls back to the default,
 * so a bad file or a removed monitor never leaves the window unreachable.
 */
export function parseWindowBounds(raw: unknown, screens: readonly { x: number; y: number; width: number; height: number }[]): WindowBounds {
  if (typeof raw !== 'object' || raw === null) return DEFAULT_BOUNDS;
  const r = raw as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : undefined);
  const width = num(r['width']);
  const height = num(r['height']);
  if (width === undefined || height === undefined || width < 400 || height < 300 || width > 20000 || height > 20000) return DEFAULT_BOUNDS;
  const x = num(r['x']);
  const y = num(r['y']);
  const maximized = r['maximized'] === true;
  if (x === undefined || y === undefined) return { width, height, maximized };
  // At least a 100x50 corner of the title bar must lie on some screen.
  const visible = screens.some((s) => x + width - 100 >= s.x && x + 100 <= s.x + s.width && y >= s.y && y + 50 <= s.y + s.height);
  return visible ? { x, y, width, height, maximized } : { width, height, maximized };
}
