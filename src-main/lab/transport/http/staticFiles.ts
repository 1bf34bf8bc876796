/**
 * Serving the built renderer. Only files inside the root are ever read: the request path is decoded
 * once, refused if it holds `..`, a backslash or NUL, resolved under the root, and checked again
 * after symbolic links are followed. Paths without an extension fall back to index.html, so the
 * single-page app's own routes survive a reload.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONTENT_SECURITY_POLICY } from '../../../../shared/api/csp';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Headers on every page and file: the token is in the page URL, so it must never leak as a referrer;
 * the page gets the same Content-Security-Policy as the desktop app (its `<meta>` tag carries it too).
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head: boolean, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...PAGE_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...extra });
  res.end(head ? undefined : body);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page served when there is no built UI: says so, and how to build it. */
function notBuiltPage(root: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Strata lab</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.5">
<h1>Strata lab: the UI is not built</h1>
<p>The lab is running and its API answers at <code>/api/</code>, but there is no built user interface in
<code>${escapeHtml(root)}</code> (no <code>index.html</code>).</p>
<p>Build the renderer into <code>dist/renderer/</code> (<code>npm run build</code>), then reload this page.
Keep the <code>?token=...</code> part of the address: the API needs it.</p>
</body></html>
`;
}

/** A request path turned into a file path inside `root`, or the HTTP status to refuse it with. */
export function resolveInside(root: string, rawPath: string): { ok: true; file: string } | { ok: false; status: number; reason: string } {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, status: 400, reason: 'malformed percent-encoding in the path' };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { ok: false, status: 400, reason: 'the path holds a NUL or a backslash' };
  if (decoded.split('/').some((seg) => seg === '..')) return { ok: false, status: 403, reason: 'the path leads outside the UI folder' };
  const base = path.resolve(root);
  const file = path.resolve(base, `.${decoded.startsWith('/') ? decoded : `/${decoded}`}`);
  if (file !== base && !file.startsWith(base + path.sep)) return { ok: false, status: 403, reason: 'the path leads outside the UI folder' };
  return { ok: true, file };
}

/** True when `file` (links followed) still lies inside `root` (links followed). */
function realInside(root: string, file: string): boolean {
  try {
    const r = fs.realpathSync(root);
    const f = fs.realpathSync(file);
    return f === r || f.startsWith(r + path.sep);
  } catch {
    return false;
  }
}

function statFile(file: string): fs.Stats | null {
  try {
    return fs.statSync(file);
  } catch {
    return null;
  }
}

/** Answers a GET or HEAD for a path outside /api/ from the UI folder `root`. */
export function serveStatic(req: IncomingMessage, res: ServerResponse, root: string): void {
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    send(res, 405, 'text/plain; charset=utf-8', 'only GET and HEAD are served here\n', false, { Allow: 'GET, HEAD' });
    return;
  }
  const index = path.join(root, 'index.html');
  if (!statFile(index)?.isFile()) {
    send(res, 200, 'text/html; charset=utf-8', notBuiltPage(root), head, { 'Cache-Control': 'no-store' });
    return;
  }
  const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
  const where = resolveInside(root, rawPath);
  if (!where.ok) {
    send(res, where.status, 'text/plain; charset=utf-8', `${where.reason}\n`, head);
    return;
  }
  let file = where.file;
  let st = statFile(file);
  if (st?.isDirectory()) {
    file = path.join(file, 'index.html');
    st = statFile(file);
  }
  if (!st?.isFile()) {
    if (path.extname(file) !== '') {
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
      return;
    }
    file = index;
  }
  if (!realInside(root, file)) {
    send(res, 403, 'text/plain; charset=utf-8', 'the path leads outside the UI folder\n', head);
    return;
  }
  let body: Buffer;
  try {
    body = fs.readFileSync(file);
  } catch {
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
    return;
  }
  const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  send(res, 200, type, body, head, { 'Cache-Control': file === index ? 'no-store' : 'no-cache' });
}
