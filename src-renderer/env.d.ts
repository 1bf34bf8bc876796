/** Globals of the renderer page: the Vite client types and what Electron's preload may put on `window`. */
/// <reference types="vite/client" />
import type { StrataApi } from '../shared/api/channels';
import type { StrataDesktop } from './api/desktop';

declare global {
  interface Window {
    /** The lab API, set by Electron's preload; absent in browser mode. */
    strata?: StrataApi;
    /** Desktop-only helpers (native dialogs), set by Electron's preload; absent in browser mode. */
    strataDesktop?: StrataDesktop;
  }
}
