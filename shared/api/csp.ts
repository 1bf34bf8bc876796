/**
 * The renderer's Content-Security-Policy, defined once for every way the page is served: the
 * `<meta http-equiv>` tag in src-renderer/index.html (enforced from file:// in the desktop app; a
 * test checks the built page carries exactly this string), the header Electron's main process adds,
 * and the header browser mode's server sends with the page.
 *
 * Only the app's own files; no remote content, no eval, no inline scripts, no plugins, no frames.
 * Styles may be inline (Vue and ECharts set style attributes); images may be data:/blob: URLs
 * (canvas thumbnails). `connect-src 'self'` covers the lab's own HTTP API and, in current Chromium,
 * its WebSocket on the same host and port.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "frame-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
