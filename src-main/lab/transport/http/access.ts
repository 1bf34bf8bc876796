/**
 * Who may use the browser-mode API: requests that carry the lab's per-start token, sent to the
 * lab's own host name, from the lab's own page (or from no page at all, e.g. a script).
 */
import type { IncomingMessage } from 'node:http';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh token: 32 random bytes, hex. */
export function newToken(): string {
  return randomBytes(32).toString('hex');
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Compares in constant time, so the token cannot be guessed byte by byte from response times. */
export function tokenMatches(given: string | null, token: string): boolean {
  if (given === null) return false;
  return timingSafeEqual(digest(given), digest(token));
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? (m[1] as string) : null;
}

/** The origins and host names the lab answers to, for the port it listens on. */
export class AllowedOrigins {
  private readonly hosts: Set<string>;
  private readonly origins: Set<string>;

  constructor(port: number) {
    this.hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
    this.origins = new Set([...this.hosts].map((h) => `http://${h}`));
  }

  /** The Host header names the lab (a page on another name resolving to 127.0.0.1 does not). */
  hostOk(req: IncomingMessage): boolean {
    const host = req.headers.host;
    return typeof host === 'string' && this.hosts.has(host.toLowerCase());
  }

  /** No Origin (not a browser page), or the lab's own. */
  originOk(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    return origin === undefined || this.origins.has(origin.toLowerCase());
  }
}
