/**
 * Packaging smoke test: electron-builder packs the built app for Linux (unpacked `dir` target) with a
 * stand-in Electron folder, since Electron's binary cannot be downloaded here. The archive must hold
 * the built main process, preload, trainer and renderer, with native modules unpacked.
 */
import { listPackage } from '@electron/asar';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-pack-'));
const out = path.join(tmp, 'release');
const require = createRequire(import.meta.url);

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
}

beforeAll(() => {
  // The stand-in: a folder shaped like an unpacked Electron distribution.
  const dist = path.join(tmp, 'electron-dist');
  mkdirSync(dist);
  writeFileSync(path.join(dist, 'electron'), '#!/bin/sh\necho stand-in electron\n');
  chmodSync(path.join(dist, 'electron'), 0o755);
  writeFileSync(path.join(dist, 'LICENSE'), '');
  writeFileSync(path.join(dist, 'version'), (require('electron/package.json') as { version: string }).version);
  run(process.execPath, ['--import', 'tsx', 'src-main/build/bundle.ts']);
  if (!existsSync(path.join(REPO_ROOT, 'dist/renderer/index.html'))) run(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn']);
  run(process.execPath, [
    'node_modules/electron-builder/cli.js',
    '--linux',
    'dir',
    '--publish',
    'never',
    `-c.electronDist=${dist}`,
    // Rebuilding native modules against Electron needs its headers from the network.
    '-c.npmRebuild=false',
    `-c.directories.output=${out}`,
  ]);
}, 300_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('electron-builder package', () => {
  it('holds the built main process, preload, trainer and renderer in app.asar', () => {
    const files = listPackage(path.join(out, 'linux-unpacked/resources/app.asar'), { isPack: false }).map((f) => f.replaceAll('\\', '/'));
    for (const f of ['/dist/main/electron/main.js', '/dist/main/electron/preload.cjs', '/dist/main/training/trainerProcess.js', '/dist/renderer/index.html', '/package.json']) {
      expect(files, f).toContain(f);
    }
    expect(files.some((f) => f.endsWith('.map'))).toBe(false);
    expect(files.some((f) => f.startsWith('/src-main/') || f.startsWith('/test/'))).toBe(false);
  });

  it('unpacks native modules and tfjs wasm binaries from the archive', () => {
    const unpacked = path.join(out, 'linux-unpacked/resources/app.asar.unpacked/node_modules');
    expect(existsSync(path.join(unpacked, 'better-sqlite3/build/Release/better_sqlite3.node'))).toBe(true);
    expect(existsSync(path.join(unpacked, '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'))).toBe(true);
  });
});
