/** Globals of the renderer page: the Vite client types and what Electron's preload puts on `window`. */
/// <reference types="vite/client" />
import type { StrataApi } from '../shared/api/channels';

/** `window.strata` as the preload exposes it: the API table, and the path of a dropped file. */
export type PreloadApi = StrataApi & {
  /** Electron's `webUtils.getPathForFile`: the dropped file's path on disk, '' when it has none. */
  pathForFile?: (file: File) => string;
};

declare global {
  interface Window {
    /** The lab API, set by Electron's preload; absent in browser mode. */
    strata?: PreloadApi;
  }
}
