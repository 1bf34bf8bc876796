/**
 * Hash routes of the renderer (`#/data`, `#/runs/<id>`...). Hash routing works the same from
 * file:// in Electron and from the lab's server, and keeps the `?token=` query untouched.
 */
import type { DesignChoice } from './trainingSetup';

/** The top-level views, in navigation order. */
export const VIEWS = ['data', 'designer', 'training', 'masks', 'runs'] as const;
/** A top-level view. */
export type ViewName = (typeof VIEWS)[number];

/** Titles shown in the navigation. */
export const VIEW_TITLES: Readonly<Record<ViewName, string>> = {
  data: 'Data',
  designer: 'Designer',
  training: 'Training',
  masks: 'Masks',
  runs: 'Runs',
};

/**
 * Where the app is. Runs has a sub-route (the open run); Training may carry the design to set up
 * (`#/training?design=<id>` or `#/training?preset=<name>`, as the Designer's "Train this design" sends).
 */
export type Route =
  | { view: 'runs'; runId: string | null }
  | { view: 'training'; design?: DesignChoice }
  | { view: Exclude<ViewName, 'runs' | 'training'> };

/** The route the app opens on when the hash names nothing it knows. */
export const DEFAULT_ROUTE: Route = { view: 'data' };

function isView(s: string): s is ViewName {
  return (VIEWS as readonly string[]).includes(s);
}

/** The route of a location hash; unknown or empty hashes give {@link DEFAULT_ROUTE}. */
export function parseHash(hash: string): Route {
  const [pathPart = '', query = ''] = hash.replace(/^#/, '').replace(/^\/+/, '').split('?', 2);
  const [head = '', ...rest] = pathPart.split('/').filter((s) => s.length > 0);
  if (!isView(head)) return DEFAULT_ROUTE;
  if (head === 'runs') {
    const id = rest[0];
    return { view: 'runs', runId: id === undefined ? null : safeDecode(id) };
  }
  if (head === 'training') {
    const q = new URLSearchParams(query);
    const id = q.get('design');
    const preset = q.get('preset');
    if (id) return { view: 'training', design: { kind: 'saved', id } };
    if (preset) return { view: 'training', design: { kind: 'preset', name: preset } };
  }
  return { view: head };
}

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** The hash of a route, e.g. `#/runs/20250607-153012-123-k3j9x2`. */
export function routeHash(route: Route): string {
  if (route.view === 'runs' && route.runId !== null) return `#/runs/${encodeURIComponent(route.runId)}`;
  if (route.view === 'training' && route.design) {
    const d = route.design;
    return d.kind === 'saved' ? `#/training?design=${encodeURIComponent(d.id)}` : `#/training?preset=${encodeURIComponent(d.name)}`;
  }
  return `#/${route.view}`;
}

/** True when two routes lead to the same place. */
export function sameRoute(a: Route, b: Route): boolean {
  return routeHash(a) === routeHash(b);
}

/** What {@link viewForShortcut} reads of a key press (a KeyboardEvent has all of it). */
export interface ShortcutKey {
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  /** The character typed: on macOS, Option+1 types "¡", so this alone cannot tell the digit. */
  key: string;
  /** The physical key ('Digit1', 'Numpad1'), the same on every layout and platform; may be '' (synthetic events). */
  code?: string;
}

/** The digit of a physical key code ('Digit3', 'Numpad3'), or null. */
function digitOfCode(code: string | undefined): number | null {
  const m = /^(?:Digit|Numpad)([0-9])$/.exec(code ?? '');
  return m ? Number(m[1]) : null;
}

/**
 * The view a navigation shortcut (Alt+1..5, Option+1..5 on macOS) leads to, or null for other keys.
 * The physical key (`code`) decides, so macOS's "¡" for Option+1 still means 1; `key` is the fallback
 * when no code is given.
 */
export function viewForShortcut(e: ShortcutKey): ViewName | null {
  if (!e.altKey || e.ctrlKey || e.metaKey) return null;
  const n = digitOfCode(e.code) ?? (/^[0-9]$/.test(e.key) ? Number(e.key) : null);
  if (n === null || n < 1 || n > VIEWS.length) return null;
  return VIEWS[n - 1] ?? null;
}
