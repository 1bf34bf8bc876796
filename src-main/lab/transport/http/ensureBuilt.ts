import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** What the built UI is made from: a change in any of these makes dist/renderer stale. */
const UI_SOURCES = ['src-renderer', 'shared', 'vite.config.ts', 'package.json'];

/** The newest modification time (ms) of the files at or under `p`; 0 when nothing is there. */
function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const e of readdirSync(p, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(path.join(p, e.name)));
  }
  return newest;
}

/**
 * Why the UI in `staticDir` must be built before it is served: 'missing' on a fresh checkout,
 * 'stale' when a source under `root` changed after the build; null when it is current.
 */
export function rendererBuildNeeded(staticDir: string, root: string = REPO): 'missing' | 'stale' | null {
  const index = path.join(staticDir, 'index.html');
  if (!existsSync(index)) return 'missing';
  const built = statSync(index).mtimeMs;
  const newest = Math.max(...UI_SOURCES.map((s) => newestMtime(path.join(root, s))));
  return newest > built ? 'stale' : null;
}

/**
 * Builds the repository's own UI when it is missing (the first `npm run lab` on a fresh checkout)
 * or older than its sources (after a pull or an edit), so the page served is the code checked out.
 * vite's output goes to stderr, so the address stays the first line on stdout. A `--static-dir`
 * elsewhere is the caller's and is served as it is.
 */
export function ensureRendererBuilt(staticDir: string): void {
  if (path.resolve(staticDir) !== path.join(REPO, 'dist/renderer')) return;
  const need = rendererBuildNeeded(staticDir);
  if (need === null) return;
  process.stderr.write(need === 'missing' ? 'lab: building the UI (first start)...\n' : 'lab: the UI is older than its sources; rebuilding it...\n');
  const r = spawnSync(process.execPath, [path.join(REPO, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: REPO,
    stdio: ['ignore', 2, 2],
  });
  if (r.status !== 0) throw new Error('building the UI failed; run `npm run build:renderer` to see why');
}
