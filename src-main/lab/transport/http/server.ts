/**
 * The lab over HTTP, for browser mode: calls are `POST /api/<channel>` with a JSON body, events go
 * over the WebSocket at /api/ws, and everything else is the built UI. It listens on 127.0.0.1 only,
 * and every API request needs the per-start token. The token is never written to any log.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiHandlers } from '../../../../shared/api/channels';
import type { ApiErrorBody } from '../../../../shared/api/errors';
import { HTTP_STATUS } from '../../../../shared/api/errors';
import { API_PREFIX, MAX_REQUEST_BYTES, TOKEN_PARAM, WS_PATH } from '../../../../shared/api/http';
import { errorReply, type Reply } from '../../../../shared/api/reply';
import { decodeWire, encodeWire } from '../../../../shared/api/wire';
import { dispatchCall } from '../dispatch';
import { AllowedOrigins, bearerToken, newToken, tokenMatches } from './access';
import { BodyTooLargeError, readBody } from './body';
import { attachEventSocket } from './eventSocket';
import { PAGE_HEADERS, serveStatic } from './staticFiles';

/** The only address the lab listens on. */
export const LAB_HOST = '127.0.0.1';

/** Options of {@link startLabServer}. */
export interface LabServerOptions {
  handlers: ApiHandlers;
  /** 0 picks any free port. */
  port: number;
  /** The built UI's folder. */
  staticDir: string;
  /** Largest request body; default {@link MAX_REQUEST_BYTES}. */
  maxBodyBytes?: number;
}

/** A running lab server. */
export interface LabServer {
  /** The page to open, token included: `http://127.0.0.1:<port>/?token=...`. */
  readonly url: string;
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  /** Closes the sockets and stops listening. */
  close(): Promise<void>;
}

function reply(res: http.ServerResponse, status: number, body: Reply, extra: Record<string, string> = {}): void {
  const text = encodeWire(body);
  res.writeHead(status, {
    ...PAGE_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    ...extra,
  });
  res.end(text);
}

function replyError(res: http.ServerResponse, error: ApiErrorBody, extra: Record<string, string> = {}): void {
  reply(res, HTTP_STATUS[error.code], errorReply(error), extra);
}

/** Starts the server on 127.0.0.1. Resolves once it listens. */
export async function startLabServer(opts: LabServerOptions): Promise<LabServer> {
  const token = newToken();
  const limit = opts.maxBodyBytes ?? MAX_REQUEST_BYTES;
  const server = http.createServer();
  // Set once the port is known; requests cannot arrive before.
  let allowed = new AllowedOrigins(opts.port);

  const serveApi = async (req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<void> => {
    if (!allowed.hostOk(req) || !allowed.originOk(req)) {
      return replyError(res, { code: 'forbidden', message: 'API requests must come from the lab itself (its host and origin)' });
    }
    if (!tokenMatches(bearerToken(req), token)) {
      return replyError(res, { code: 'unauthorized', message: 'this request needs the lab token (Authorization: Bearer <token>); it is in the address the lab printed when it started' }, { 'WWW-Authenticate': 'Bearer' });
    }
    if (pathname === WS_PATH) return replyError(res, { code: 'bad-request', message: `${WS_PATH} is a WebSocket; connect with an upgrade request` });
    if (req.method !== 'POST') return replyError(res, { code: 'bad-request', message: 'API calls are POST requests with a JSON body' }, { Allow: 'POST' });
    const type = req.headers['content-type'];
    if (type !== undefined && !/^application\/json\b/i.test(type)) {
      return replyError(res, { code: 'bad-request', message: `API bodies are application/json, not ${type}` });
    }
    let text: string;
    try {
      text = await readBody(req, limit);
    } catch (e) {
      if (e instanceof BodyTooLargeError) {
        // Read and drop the rest, so the client gets this answer instead of a reset connection.
        req.resume();
        return replyError(res, { code: 'too-large', message: e.message }, { Connection: 'close' });
      }
      throw e;
    }
    let input: unknown = {};
    if (text.trim() !== '') {
      try {
        input = decodeWire(text);
      } catch (e) {
        return replyError(res, { code: 'bad-request', message: `the body is not valid JSON: ${e instanceof Error ? e.message : String(e)}` });
      }
    }
    const outcome = await dispatchCall(opts.handlers, pathname.slice(API_PREFIX.length), input);
    if (outcome.ok) return reply(res, 200, outcome);
    if (outcome.error.code === 'internal') process.stderr.write(`lab: ${pathname.slice(API_PREFIX.length)} failed: ${outcome.error.message}\n`);
    return replyError(res, outcome.error);
  };

  server.on('request', (req, res) => {
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    if (pathname === '/api' || pathname.startsWith(API_PREFIX)) {
      serveApi(req, res, pathname).catch((e: unknown) => {
        process.stderr.write(`lab: request failed: ${e instanceof Error ? e.message : String(e)}\n`);
        if (!res.headersSent) replyError(res, { code: 'internal', message: 'the request failed inside the lab' });
        else res.destroy();
      });
      return;
    }
    // The page and its files too answer only to the lab's own host names: a page on another name that
    // resolves to 127.0.0.1 (DNS rebinding) cannot read them, the token-free page included.
    if (!allowed.hostOk(req)) {
      const text = 'Forbidden: the lab answers only to its own address (127.0.0.1 or localhost with its port)\n';
      res.writeHead(403, { ...PAGE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) });
      res.end(text);
      return;
    }
    serveStatic(req, res, opts.staticDir);
  });

  const closeSockets = attachEventSocket(server, {
    handlers: opts.handlers,
    token,
    get allowed() {
      return allowed;
    },
    maxPayload: limit,
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, LAB_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  allowed = new AllowedOrigins(port);
  const origin = `http://${LAB_HOST}:${port}`;
  return {
    url: `${origin}/?${TOKEN_PARAM}=${token}`,
    origin,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        closeSockets();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
