/**
 * The lab API for the renderer: Electron's `window.strata` when the preload put it there, else the
 * HTTP transport of browser mode. Both implement the same `StrataApi`, so nothing past this file
 * knows which one it talks to. Native dialogs and the menu are channels of that API too (browser
 * mode answers them `unsupported`); only the connection state (browser mode) and the path of a
 * dropped file (desktop) are extras.
 */
import type { StrataApi, Unsubscribe } from '../../shared/api/channels';
import type { AppShell } from '../../shared/api/types';
import { transportFromPage, type ConnectionState } from './httpTransport';

export type { ConnectionState } from './httpTransport';

/** How the renderer reaches the lab. */
export interface LabConnection {
  api: StrataApi;
  mode: 'electron' | 'browser';
  /**
   * Which shell serves the page: the desktop app offers native pickers and folder drops, browser mode
   * types paths. Follows from the connection (Electron's preload is the desktop app); `getAppInfo`
   * answers the same.
   */
  shell: AppShell;
  /** Changes of the event socket (browser mode); null where the link cannot drop (Electron IPC). */
  onConnectionChange: ((listener: (state: ConnectionState) => void) => Unsubscribe) | null;
  /** The path on disk of a dropped File ('' when it has none); null in browser mode, which never reveals it. */
  pathForFile: ((file: File) => string) | null;
}

/**
 * Connects to the lab; null when there is no way to (a browser page opened without the `?token=`
 * the lab printed).
 */
export function connectLab(): LabConnection | null {
  const preload = window.strata;
  if (preload) {
    const pathOf = preload.pathForFile;
    return { api: preload, mode: 'electron', shell: 'desktop', onConnectionChange: null, pathForFile: pathOf ? (f) => pathOf(f) : null };
  }
  const transport = transportFromPage();
  if (!transport) return null;
  return {
    api: transport.api,
    mode: 'browser',
    shell: 'browser',
    onConnectionChange: (listener) => transport.onConnectionChange(listener),
    pathForFile: null,
  };
}
