/**
 * The lab API in browser mode (`npm run lab`): the shared HTTP/WebSocket client bound to the
 * browser's fetch, WebSocket and timers. It implements the same `StrataApi` as Electron's
 * `window.strata`, so the renderer cannot tell the two apart. Browser code only: nothing from node.
 */
import { createApiClient, tokenFromUrl, type HttpTransport, type WebSocketLike } from '../../shared/api/client';

export { tokenFromUrl, type ConnectionState, type HttpTransport } from '../../shared/api/client';

/** Options of {@link createHttpTransport}. */
export interface HttpTransportOptions {
  /** The lab's origin; default: the page's own. */
  origin?: string;
  /** The token from the address the lab printed. */
  token: string;
  /** First reconnect delay in ms; default 500. */
  reconnectMs?: number;
}

/** The API over the page's own HTTP origin and a WebSocket to it. */
export function createHttpTransport(opts: HttpTransportOptions): HttpTransport {
  return createApiClient({
    origin: opts.origin ?? window.location.origin,
    token: opts.token,
    fetch: (url, init) => window.fetch(url, init),
    // The browser's WebSocket has every member WebSocketLike names; its event types are only wider.
    openSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
    setTimer: (fn, ms) => window.setTimeout(fn, ms),
    clearTimer: (handle) => window.clearTimeout(handle as number),
    ...(opts.reconnectMs === undefined ? {} : { reconnectMs: opts.reconnectMs }),
  });
}

/**
 * The transport for the page the lab served: its origin, and the token from its address; null when
 * the address has no token (the page was not opened from the address the lab printed).
 */
export function transportFromPage(): HttpTransport | null {
  const token = tokenFromUrl(window.location.href);
  return token ? createHttpTransport({ token }) : null;
}
