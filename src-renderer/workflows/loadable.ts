/** Data fetched from the lab, as a discriminated union so a view cannot show stale data as fresh. */

/** Something loaded from the lab: not asked for yet, on its way, there, or failed with a message. */
export type Loadable<T> =
  | { state: 'idle' }
  | { state: 'loading'; previous: T | null }
  | { state: 'ready'; value: T }
  | { state: 'failed'; message: string; previous: T | null };

/** Not loaded yet. */
export const IDLE: Loadable<never> = { state: 'idle' };

/** The value to show while a reload is on its way or after it failed: the last good one. */
export function current<T>(l: Loadable<T>): T | null {
  switch (l.state) {
    case 'idle':
      return null;
    case 'ready':
      return l.value;
    case 'loading':
    case 'failed':
      return l.previous;
  }
}

/** The next state when a (re)load starts: the last good value is kept to show meanwhile. */
export function startLoading<T>(l: Loadable<T>): Loadable<T> {
  return { state: 'loading', previous: current(l) };
}

/** The next state when a load fails. */
export function loadFailed<T>(l: Loadable<T>, message: string): Loadable<T> {
  return { state: 'failed', message, previous: current(l) };
}

/** A message for anything thrown by an API call (ApiErrors carry one meant for people). */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
