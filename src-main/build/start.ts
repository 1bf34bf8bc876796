/**
 * `npm start`: builds the app (in this process: build.ts) and opens it in Electron. Without an
 * Electron binary (a machine where its download failed or was skipped) it says so and points to
 * the browser mode instead.
 *
 *   npm start                       build, then open the desktop app
 *   npm start -- --no-build         open what dist/ already holds
 *   npm start -- ARGS...            any other arguments go to Electron after the app folder
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { buildApp } from './build';
import { ROOT } from './bundle';

/** The Electron binary that `npm ci` installed, or null when it is missing. */
function electronBinary(): string | null {
  try {
    // The electron package's main export is the path of its binary (it throws when that is missing).
    const bin = createRequire(import.meta.url)('electron') as unknown;
    return typeof bin === 'string' && existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

/** What `npm start` says on a machine without Electron's binary. */
const NO_ELECTRON_MESSAGE = [
  'strata: the Electron binary is not installed here, so the desktop app cannot open.',
  '  (npm ci skips its download when ELECTRON_SKIP_BINARY_DOWNLOAD=1 is set, or when the download fails.)',
  '  To install it: unset ELECTRON_SKIP_BINARY_DOWNLOAD and run `npm rebuild electron`.',
  '  Or use the same app in your browser: `npm run lab` prints its address.',
  '',
].join('\n');

async function start(args: string[]): Promise<number> {
  const bin = electronBinary();
  if (!bin) {
    process.stderr.write(NO_ELECTRON_MESSAGE);
    return 1;
  }
  const noBuild = args.includes('--no-build');
  if (!noBuild) await buildApp(ROOT, { quiet: true });
  const child = spawn(bin, [ROOT, ...args.filter((a) => a !== '--no-build')], { cwd: ROOT, stdio: 'inherit' });
  return new Promise((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`strata: could not start Electron (${bin}): ${err.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

process.exitCode = await start(process.argv.slice(2));
