/**
 * The lab API in browser mode (`npm run lab`): the shared HTTP/WebSocket client bound to the
 * browser's fetch, WebSocket and timers. It implements the same `StrataApi` as Electron's
 * `window.strata`, so the renderer cannot tell the two apart. Browser code only: nothing from node.
 */
import { createApiClient, tokenFromUrl, type HttpTransport, type WebSocketLike } from '../../shared/api/client';
import { TOKEN_PARAM } from '../../shared/api/http';
import { remember, remembered } from '../stores/sessionMemory';

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

/** Where the page keeps the token for a reload, once it has taken it out of the address bar. */
export const TOKEN_STORAGE_KEY = 'strata.labToken';

/** The token a page should use, and the address to show instead of its own (null: leave it). */
export interface PageToken {
  token: string | null;
  /** The same address without `?token=` (path, other query parameters and the hash route kept). */
  cleanAddress: string | null;
}

/**
 * The token for the page at `href`: the one in its address (which is then taken out of the address
 * bar, so it is not left on screen, in screenshots or in the history), else the one kept from an
 * earlier load of this tab (`stored`), so a reload stays connected.
 */
export function pageToken(href: string, stored: string | null): PageToken {
  const fromAddress = tokenFromUrl(href);
  if (!fromAddress) return { token: stored || null, cleanAddress: null };
  const u = new URL(href);
  u.searchParams.delete(TOKEN_PARAM);
  return { token: fromAddress, cleanAddress: `${u.pathname}${u.search}${u.hash}` };
}

/**
 * The transport for the page the lab served: its origin, and the token from its address (or the
 * tab's session storage after a reload); null when there is neither (the page was not opened from
 * the address the lab printed). The token is kept in session storage (this tab only, gone when it
 * closes) and removed from the address bar with `history.replaceState`; where storage is disabled the
 * address keeps it, or a reload would lose the connection.
 */
export function transportFromPage(): HttpTransport | null {
  const { token, cleanAddress } = pageToken(window.location.href, remembered(TOKEN_STORAGE_KEY));
  if (!token) return null;
  if (cleanAddress !== null && remember(TOKEN_STORAGE_KEY, token)) window.history.replaceState(window.history.state, '', cleanAddress);
  return createHttpTransport({ token });
}
