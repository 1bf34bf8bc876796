/**
 * `npm start`: builds the app and opens it in Electron. Without an Electron binary (a machine where
 * its download failed or was skipped) it says so and points to the browser mode instead.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function electronBinary(): string | null {
  try {
    const bin = createRequire(import.meta.url)('electron') as unknown;
    return typeof bin === 'string' && existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

const bin = electronBinary();
if (!bin) {
  process.stderr.write(
    [
      'strata: the Electron binary is not installed here, so the desktop app cannot open.',
      '  (npm ci skips its download when ELECTRON_SKIP_BINARY_DOWNLOAD=1 is set, or when the download fails.)',
      '  To install it: unset ELECTRON_SKIP_BINARY_DOWNLOAD and run `npm rebuild electron`.',
      '  Or use the same app in your browser: `npm run lab` prints its address.',
      '',
    ].join('\n'),
  );
  process.exit(1);
}
const built = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);
const child = spawn(bin, [root], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));
