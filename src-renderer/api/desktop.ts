/** What only the desktop app offers the renderer: native dialogs. Browser mode has none of it. */

/** Helpers Electron's preload may expose as `window.strataDesktop`. */
export interface StrataDesktop {
  /** Opens the native folder picker; the chosen absolute path, or null when cancelled. */
  pickFolder(): Promise<string | null>;
}
