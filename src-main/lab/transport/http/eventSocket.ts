/**
 * The event WebSocket at /api/ws. The upgrade is refused (and the socket closed) unless it carries
 * the token and comes from the lab's own page or from no page. Over the socket, the client sends
 * `subscribe`/`unsubscribe` messages naming its own subscription ids; every subscription ends when
 * the socket closes.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import type { ApiHandlers, Unsubscribe } from '../../../../shared/api/channels';
import type { ApiErrorBody } from '../../../../shared/api/errors';
import { TOKEN_PARAM, WS_PATH, type WsServerMessage } from '../../../../shared/api/http';
import { decodeWire, encodeWire } from '../../../../shared/api/wire';
import { dispatchListen } from '../dispatch';
import { bearerToken, tokenMatches, type AllowedOrigins } from './access';

/** Most subscriptions one socket may hold. */
const MAX_SUBSCRIPTIONS = 256;
/** Seconds between pings; a socket that misses one is closed. */
const PING_SECONDS = 30;

const clientMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('subscribe'), sub: z.string().min(1).max(100), channel: z.string().max(100), input: z.unknown() }),
  z.strictObject({ type: z.literal('unsubscribe'), sub: z.string().min(1).max(100) }),
]);

/** Options of {@link attachEventSocket}. */
export interface EventSocketOptions {
  handlers: ApiHandlers;
  token: string;
  allowed: AllowedOrigins;
  maxPayload: number;
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

function send(ws: WebSocket, m: WsServerMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(encodeWire(m));
}

/** Serves the event socket on `server`; the returned function closes every socket. */
export function attachEventSocket(server: Server, opts: EventSocketOptions): () => void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload });
  const alive = new WeakMap<WebSocket, boolean>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const [pathname, query = ''] = (req.url ?? '').split('?');
    if (pathname !== WS_PATH) return refuse(socket, 404, 'Not Found');
    if (!opts.allowed.hostOk(req) || !opts.allowed.originOk(req)) return refuse(socket, 403, 'Forbidden');
    const given = new URLSearchParams(query).get(TOKEN_PARAM) ?? bearerToken(req);
    if (!tokenMatches(given, opts.token)) return refuse(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    const subs = new Map<string, Unsubscribe>();
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    const fail = (sub: string | null, error: ApiErrorBody) => send(ws, { type: 'error', sub, error });

    ws.on('message', (data, isBinary) => {
      if (isBinary) return fail(null, { code: 'bad-request', message: 'messages are JSON text' });
      let raw: unknown;
      try {
        raw = decodeWire(data.toString());
      } catch {
        return fail(null, { code: 'bad-request', message: 'a message is not valid JSON' });
      }
      const m = clientMessage.safeParse(raw);
      if (!m.success) return fail(null, { code: 'bad-request', message: `not a subscribe or unsubscribe message: ${m.error.issues[0]?.message ?? ''}` });
      const msg = m.data;
      subs.get(msg.sub)?.();
      subs.delete(msg.sub);
      if (msg.type === 'unsubscribe') return;
      if (subs.size >= MAX_SUBSCRIPTIONS) return fail(msg.sub, { code: 'conflict', message: `at most ${MAX_SUBSCRIPTIONS} subscriptions per connection` });
      const out = dispatchListen(opts.handlers, msg.channel, msg.input, (event) => send(ws, { type: 'event', sub: msg.sub, event }));
      if (!out.ok) return fail(msg.sub, out.error);
      subs.set(msg.sub, out.unsubscribe);
      send(ws, { type: 'subscribed', sub: msg.sub });
    });

    ws.on('close', () => {
      for (const undo of subs.values()) undo();
      subs.clear();
    });
    ws.on('error', () => ws.terminate());
  });

  const ping = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, PING_SECONDS * 1000);
  ping.unref();

  return () => {
    clearInterval(ping);
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  };
}
