/**
 * The Node that Electron runs, as a plain binary, for tests that must show code works under the
 * desktop app's runtime (its own ABI, `node:sqlite`) without an Electron binary.
 *
 * Electron 40 embeds Node 24.11.1. The npm registry publishes that Node as `node-<platform>-<arch>`;
 * the package is fetched with `npm pack` and unpacked under node_modules/.cache, never installed as a
 * dependency: its `bin/node` would then land in node_modules/.bin and shadow the project's own node
 * in every npm script.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO_ROOT } from './paths';

/** The Node inside the Electron the project depends on (electron's release notes name it). */
const NODE_OF_ELECTRON: Readonly<Record<number, string>> = { 40: '24.11.1' };

const electronVersion = (createRequire(import.meta.url)('electron/package.json') as { version: string }).version;
const electronMajor = Number(electronVersion.split('.')[0]);

/** The Node version of the project's Electron. */
export const ELECTRON_NODE_VERSION = NODE_OF_ELECTRON[electronMajor] ?? '';
if (!ELECTRON_NODE_VERSION) throw new Error(`test/helpers/electronNode.ts: add the Node version of Electron ${electronVersion}`);

const CACHE = path.join(REPO_ROOT, 'node_modules/.cache/strata-electron-node');

/** Why this platform has no such package, or null when it has one. */
export function electronNodeUnavailable(): string | null {
  if (!['linux', 'darwin'].includes(process.platform) || !['x64', 'arm64'].includes(process.arch)) {
    return `no node-${process.platform}-${process.arch} package is used by these tests`;
  }
  return null;
}

/**
 * The path of Electron's Node, fetched on first use (about 50 MB from the npm registry, then
 * cached). Throws with npm's message when the registry cannot be reached.
 */
export function electronNode(): string {
  const dir = path.join(CACHE, `node-v${ELECTRON_NODE_VERSION}`);
  const bin = path.join(dir, 'bin/node');
  if (existsSync(bin)) return bin;
  const spec = `node-${process.platform}-${process.arch}@${ELECTRON_NODE_VERSION}`;
  const tmp = path.join(CACHE, `fetch-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const packed = spawnSync('npm', ['pack', spec, '--silent', '--pack-destination', tmp], { encoding: 'utf8', shell: process.platform === 'win32' });
    if (packed.status !== 0) throw new Error(`npm pack ${spec} failed: ${packed.stderr || packed.stdout}`);
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack ${spec} wrote no tarball`);
    execFileSync('tar', ['xzf', tgz, 'package/bin/node', 'package/LICENSE'], { cwd: tmp });
    // Another test process may have finished first; either copy is the same binary.
    if (!existsSync(bin)) {
      mkdirSync(CACHE, { recursive: true });
      try {
        renameSync(path.join(tmp, 'package'), dir);
      } catch (e) {
        if (!existsSync(bin)) throw e;
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const v = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  if (v !== `v${ELECTRON_NODE_VERSION}`) throw new Error(`${bin} is ${v}, expected v${ELECTRON_NODE_VERSION}`);
  return bin;
}
