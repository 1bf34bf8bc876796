import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * The first `npm run lab` on a fresh checkout has no built UI yet: build it once (vite's output goes
 * to stderr, so the address stays the first line on stdout). Only the repository's own UI folder is
 * built; a `--static-dir` elsewhere is the caller's.
 */
export function ensureRendererBuilt(staticDir: string): void {
  if (existsSync(path.join(staticDir, 'index.html'))) return;
  if (path.resolve(staticDir) !== path.join(REPO, 'dist/renderer')) return;
  process.stderr.write('lab: building the UI (first start)...\n');
  const r = spawnSync(process.execPath, [path.join(REPO, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: REPO,
    stdio: ['ignore', 2, 2],
  });
  if (r.status !== 0) throw new Error('building the UI failed; run `npm run build:renderer` to see why');
}
