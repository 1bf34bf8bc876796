/**
 * The lab API for the renderer: Electron's `window.strata` when the preload put it there, else the
 * HTTP transport of browser mode. Both implement the same `StrataApi`, so nothing past this file
 * knows which one it talks to; only the connection state (browser mode) and the folder picker
 * (desktop) differ, and they are offered as optional extras.
 */
import type { StrataApi, Unsubscribe } from '../../shared/api/channels';
import { transportFromPage, type ConnectionState } from './httpTransport';

export type { ConnectionState } from './httpTransport';

/** How the renderer reaches the lab. */
export interface LabConnection {
  api: StrataApi;
  mode: 'electron' | 'browser';
  /** Changes of the event socket (browser mode); null where the link cannot drop (Electron IPC). */
  onConnectionChange: ((listener: (state: ConnectionState) => void) => Unsubscribe) | null;
  /** The native folder picker (desktop); null in browser mode, where a path is typed instead. */
  pickFolder: (() => Promise<string | null>) | null;
}

/**
 * Connects to the lab; null when there is no way to (a browser page opened without the `?token=`
 * the lab printed).
 */
export function connectLab(): LabConnection | null {
  const preload = window.strata;
  if (preload) {
    const desktop = window.strataDesktop;
    return { api: preload, mode: 'electron', onConnectionChange: null, pickFolder: desktop ? () => desktop.pickFolder() : null };
  }
  const transport = transportFromPage();
  if (!transport) return null;
  return {
    api: transport.api,
    mode: 'browser',
    onConnectionChange: (listener) => transport.onConnectionChange(listener),
    pickFolder: null,
  };
}
