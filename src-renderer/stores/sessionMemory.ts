/** Small values remembered for the tab's session (reloads land where they were). */

/** The value kept under `key`, or null (none, or storage refused). */
export function remembered(key: string): string | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

/** Keeps `value` under `key` (null forgets it); false when storage refused it. */
export function remember(key: string, value: string | null): boolean {
  try {
    if (typeof sessionStorage === 'undefined') return false;
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
    return true;
  } catch {
    // Storage refused (private mode): the view still works, it just opens on its defaults.
    return false;
  }
}
