/**
 * The lab API over HTTP and WebSocket, for browser mode (`npm run lab`): calls are POSTs, event
 * streams share one WebSocket that reconnects by itself. It implements the same `StrataApi` as
 * Electron's `window.strata`, built from the same channel table, so the renderer cannot tell the
 * two apart. Pure TypeScript: fetch, the socket and timers are handed in (src-renderer/api binds the
 * browser's own; tests bind node's).
 */
import { CHANNELS, CHANNEL_NAMES, type ChannelName, type StrataApi, type Unsubscribe } from './channels';
import { ApiError, isApiErrorBody, type ApiErrorBody, type ApiErrorCode } from './errors';
import { API_PREFIX, TOKEN_PARAM, WS_PATH, type WsClientMessage } from './http';
import { unwrapReply } from './reply';
import { checkInput } from './validate';
import { decodeWire, encodeWire } from './wire';

/** The part of the browser's WebSocket the transport uses (the `ws` package's class fits it too). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(): void;
}

/** WebSocket readyState values (the same in browsers and in `ws`). */
const OPEN = 1;
const CONNECTING = 0;

/** The part of fetch the transport uses. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string },
) => Promise<{ status: number; text(): Promise<string> }>;

/** What {@link createApiClient} is built on. */
export interface ApiClientOptions {
  /** The lab's origin, e.g. `http://127.0.0.1:5178`; in the page, `location.origin`. */
  origin: string;
  /** The token from the address the lab printed. */
  token: string;
  fetch: FetchLike;
  openSocket: (url: string) => WebSocketLike;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
  /** First reconnect delay in ms, doubled up to 10 s while the lab is unreachable; default 500. */
  reconnectMs?: number;
}

/** Whether the event socket is up. */
export type ConnectionState = 'connecting' | 'open' | 'closed';

/** A transport: the API, plus what only a network transport needs. */
export interface HttpTransport {
  readonly api: StrataApi;
  /** Errors of subscriptions the lab refused after they were sent (e.g. a run that was deleted). */
  onSubscriptionError(listener: (error: ApiError, channel: ChannelName | null) => void): Unsubscribe;
  /** Changes of the event socket's state; after a reconnect, events missed in between are not replayed. */
  onConnectionChange(listener: (state: ConnectionState) => void): Unsubscribe;
  /**
   * Resolves once the lab has confirmed every subscription made so far, so events that follow a
   * call made afterwards are not missed; rejects if the transport is disposed first.
   */
  whenSubscribed(): Promise<void>;
  /** Closes the socket and ends every subscription. */
  dispose(): void;
}

/** The token in a page address (`?token=...`), or null. */
export function tokenFromUrl(href: string): string | null {
  const q = href.indexOf('?');
  if (q < 0) return null;
  const query = href.slice(q + 1).split('#')[0] ?? '';
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (key !== TOKEN_PARAM) continue;
    try {
      return decodeURIComponent(eq < 0 ? '' : pair.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      return null;
    }
  }
  return null;
}

const STATUS_CODES: Readonly<Record<number, ApiErrorCode>> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  413: 'too-large',
  501: 'unsupported',
  503: 'unavailable',
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface Subscription {
  channel: ChannelName;
  input: unknown;
  listener: (event: unknown) => void;
}

/** Builds the API over HTTP (calls) and one shared WebSocket (event streams, opened on first use). */
export function createApiClient(opts: ApiClientOptions): HttpTransport {
  const origin = opts.origin.replace(/\/+$/, '');
  const doFetch = opts.fetch;
  const openSocket = opts.openSocket;
  const firstDelay = opts.reconnectMs ?? 500;

  const subs = new Map<string, Subscription>();
  /** Subscriptions sent (or to be sent) and not yet confirmed. */
  const pending = new Set<string>();
  let settled: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const settle = () => {
    if (pending.size > 0) return;
    const waiting = settled;
    settled = [];
    for (const w of waiting) w.resolve();
  };
  const errorListeners = new Set<(error: ApiError, channel: ChannelName | null) => void>();
  const stateListeners = new Set<(state: ConnectionState) => void>();
  let socket: WebSocketLike | null = null;
  let nextSub = 1;
  let delay = firstDelay;
  let retry: unknown = null;
  let disposed = false;

  const setState = (s: ConnectionState) => {
    for (const l of [...stateListeners]) l(s);
  };

  async function call(name: ChannelName, input: unknown): Promise<unknown> {
    let res: { status: number; text(): Promise<string> };
    try {
      res = await doFetch(`${origin}${API_PREFIX}${name}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${opts.token}`, 'Content-Type': 'application/json' },
        body: encodeWire(input ?? {}),
      });
    } catch (e) {
      throw new ApiError('unavailable', `the lab cannot be reached at ${origin}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = decodeWire(text);
    } catch {
      throw new ApiError(STATUS_CODES[res.status] ?? 'internal', `${name}: the lab answered HTTP ${res.status} with a body that is not JSON`);
    }
    return unwrapReply(name, body, `the lab answered HTTP ${res.status} with an unexpected body`);
  }

  const sendMessage = (m: WsClientMessage) => {
    if (socket && socket.readyState === OPEN) socket.send(encodeWire(m));
  };

  const subscriptionFailed = (subId: string | null, error: ApiErrorBody) => {
    const sub = subId === null ? undefined : subs.get(subId);
    if (subId !== null) {
      subs.delete(subId);
      pending.delete(subId);
      settle();
    }
    const err = ApiError.fromBody(error);
    for (const l of [...errorListeners]) l(err, sub?.channel ?? null);
  };

  function connect(): void {
    if (disposed || (socket && (socket.readyState === OPEN || socket.readyState === CONNECTING))) return;
    const wsOrigin = origin.replace(/^http/, 'ws');
    const ws = openSocket(`${wsOrigin}${WS_PATH}?${TOKEN_PARAM}=${encodeURIComponent(opts.token)}`);
    socket = ws;
    setState('connecting');
    ws.onopen = () => {
      delay = firstDelay;
      setState('open');
      for (const [sub, s] of subs) {
        pending.add(sub);
        sendMessage({ type: 'subscribe', sub, channel: s.channel, input: s.input });
      }
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      let m: unknown;
      try {
        m = decodeWire(ev.data);
      } catch {
        return;
      }
      if (!isRecord(m)) return;
      if (m.type === 'event' && typeof m.sub === 'string') subs.get(m.sub)?.listener(m.event);
      else if (m.type === 'subscribed' && typeof m.sub === 'string') {
        pending.delete(m.sub);
        settle();
      }
      else if (m.type === 'error' && isApiErrorBody(m.error)) subscriptionFailed(typeof m.sub === 'string' ? m.sub : null, m.error);
    };
    ws.onerror = () => {
      // A close event follows; reconnecting is handled there.
    };
    ws.onclose = () => {
      if (socket === ws) socket = null;
      setState('closed');
      if (disposed || subs.size === 0 || retry !== null) return;
      retry = opts.setTimer(() => {
        retry = null;
        connect();
      }, delay);
      delay = Math.min(delay * 2, 10_000);
    };
  }

  function listen(name: ChannelName, input: unknown, listener: (event: unknown) => void): Unsubscribe {
    if (disposed) throw new ApiError('unavailable', 'the transport was disposed');
    const checked = checkInput(name, input ?? {});
    if (!checked.ok) throw ApiError.fromBody(checked.error);
    const sub = `s${nextSub++}`;
    subs.set(sub, { channel: name, input: input ?? {}, listener });
    pending.add(sub);
    if (socket?.readyState === OPEN) sendMessage({ type: 'subscribe', sub, channel: name, input: input ?? {} });
    else connect();
    return () => {
      if (subs.delete(sub)) sendMessage({ type: 'unsubscribe', sub });
      pending.delete(sub);
      settle();
    };
  }

  const methods: Record<string, unknown> = {};
  for (const name of CHANNEL_NAMES) {
    methods[name] =
      CHANNELS[name].kind === 'call'
        ? (input?: unknown) => call(name, input)
        : (input: unknown, listener: (event: unknown) => void) => listen(name, input, listener);
  }

  return {
    // Built from the same table StrataApi is derived from: one method per channel, of its kind.
    api: methods as StrataApi,
    onSubscriptionError(listener) {
      const own = (e: ApiError, c: ChannelName | null) => listener(e, c);
      errorListeners.add(own);
      return () => errorListeners.delete(own);
    },
    onConnectionChange(listener) {
      const own = (s: ConnectionState) => listener(s);
      stateListeners.add(own);
      return () => stateListeners.delete(own);
    },
    whenSubscribed() {
      if (disposed) return Promise.reject(new ApiError('unavailable', 'the transport was disposed'));
      return new Promise<void>((resolve, reject) => {
        settled.push({ resolve, reject });
        settle();
      });
    },
    dispose() {
      disposed = true;
      subs.clear();
      pending.clear();
      const waiting = settled;
      settled = [];
      for (const w of waiting) w.reject(new ApiError('unavailable', 'the transport was disposed'));
      if (retry !== null) opts.clearTimer(retry);
      retry = null;
      socket?.close();
      socket = null;
    },
  };
}
