/**
 * Packaging: electron-builder packs the built app (test/build/builtApp.ts: what `npm run build`
 * makes, in a folder with a real node_modules of hard links, as the repository has) for Linux, `dir`
 * and `deb` targets, with electron-builder.yml exactly as `npm run dist` uses it (npmRebuild false
 * included). Electron's binary cannot be downloaded here, so `electronDist` points at a stand-in
 * folder shaped like an unpacked Electron: its `electron` is a shell script that carries a fuse wire
 * in Electron's own format (@electron/fuses: the sentinel, the wire version, its length, one byte
 * per fuse), so electron-builder's real fuse step flips it and the test reads the fuses back from
 * the packed binary.
 *
 * The archive is then extracted (app.asar with app.asar.unpacked) into a folder of its own, where
 * nothing outside the archive can help: every package the bundles import must resolve there with its
 * whole dependency graph (dependencies.ts), and the packed main process is started from there under
 * Electron's Node with the recording stand-in for Electron (test/electron/standin/): it must reach
 * the window's page and the trainer's backend probe. What this cannot show: that a real Electron
 * starts the app (real windows, Chromium, utilityProcess; docs/desktop.md lists those checks).
 */
import { extractAll, listPackage } from '@electron/asar';
import { FuseV1Options, FuseVersion, getCurrentFuseWire } from '@electron/fuses';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG_SIZES } from '../../src-main/build/icons';
import { REPO_ROOT } from '../helpers/paths';
import { electronNode, electronNodeUnavailable } from '../helpers/electronNode';
import { builtApp, linkTree, loadedFiles, packagesImportedBy, type LoadedFiles } from '../build/builtApp';
import { named, runMain, type Run } from '../electron/standin/runMain';
import { checkDependencies } from './dependencies';

const require = createRequire(import.meta.url);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-pack-'));
const out = path.join(tmp, 'release');
const unpackedApp = path.join(out, 'linux-unpacked');
/** app.asar with app.asar.unpacked, extracted: the app as the packaged Electron loads it. */
const extracted = path.join(tmp, 'extracted');

/** @electron/fuses's sentinel and fuse states (its dist/constants.js, which its index does not re-export). */
const { SENTINEL: FUSE_SENTINEL, FuseState } = require('@electron/fuses/dist/constants') as { SENTINEL: string; FuseState: { DISABLE: number; ENABLE: number } };
/** Fuse bytes as Electron 40 ships them: RunAsNode, CookieEncryption, NodeOptions, NodeCliInspect, AsarIntegrity, OnlyLoadAppFromAsar, BrowserSnapshot, FileProtocolPrivileges. */
const SHIPPED_FUSES = [FuseState.ENABLE, FuseState.DISABLE, FuseState.ENABLE, FuseState.ENABLE, FuseState.DISABLE, FuseState.DISABLE, FuseState.DISABLE, FuseState.ENABLE];

let app = '';
let files: LoadedFiles;
let asarFiles: string[] = [];

/** What the stand-in fpm was called with: its options, and each file mapped into the package by destination. */
interface FpmCall {
  options: Record<string, string[]>;
  files: Record<string, { sha256: string; text?: string }>;
}
let fpmCall: FpmCall;

/** The stand-in fpm: records its options and the files it is given, and writes an (empty) package. */
const FAKE_FPM = `#!/usr/bin/env node
const fs = require('fs');
const crypto = require('crypto');
const options = {};
const files = {};
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a.startsWith('-')) {
    const next = args[i + 1];
    const value = next === undefined || next.startsWith('-') ? '' : args[++i];
    (options[a] = options[a] || []).push(value);
    continue;
  }
  const eq = a.lastIndexOf('=/');
  const src = a.slice(0, eq);
  if (eq > 0 && fs.existsSync(src) && fs.statSync(src).isFile()) {
    const data = fs.readFileSync(src);
    files[a.slice(eq + 1)] = { sha256: crypto.createHash('sha256').update(data).digest('hex'), ...(src.endsWith('.desktop') ? { text: data.toString('utf8') } : {}) };
  } else if (eq > 0) {
    files[a.slice(eq + 1)] = { sha256: 'directory' };
  }
}
fs.writeFileSync(process.env.FPM_RECORD, JSON.stringify({ options, files }));
fs.writeFileSync(options['--package'][0], '');
`;

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
}

beforeAll(async () => {
  app = await builtApp();
  files = loadedFiles(app);
  // electron-builder runs in the built app's folder, with the project's config, icons and lockfile.
  copyFileSync(path.join(REPO_ROOT, 'electron-builder.yml'), path.join(app, 'electron-builder.yml'));
  copyFileSync(path.join(REPO_ROOT, 'package-lock.json'), path.join(app, 'package-lock.json'));
  cpSync(path.join(REPO_ROOT, 'resources'), path.join(app, 'resources'), { recursive: true });

  const dist = path.join(tmp, 'electron-dist');
  mkdirSync(dist);
  const wire = Buffer.concat([Buffer.from(FUSE_SENTINEL, 'latin1'), Buffer.from([Number(FuseVersion.V1), SHIPPED_FUSES.length, ...SHIPPED_FUSES])]);
  writeFileSync(path.join(dist, 'electron'), Buffer.concat([Buffer.from('#!/bin/sh\necho stand-in electron\nexit 0\n# fuse wire: '), wire, Buffer.from('\n')]));
  chmodSync(path.join(dist, 'electron'), 0o755);
  writeFileSync(path.join(dist, 'LICENSE'), '');
  writeFileSync(path.join(dist, 'version'), (require('electron/package.json') as { version: string }).version);
  // fpm (which electron-builder downloads for the deb target) stands in as a recorder of what
  // electron-builder hands it: the control fields and every file mapped into the package.
  const fpm = path.join(tmp, 'fpm');
  writeFileSync(fpm, FAKE_FPM);
  chmodSync(fpm, 0o755);
  run(process.execPath, [path.join(REPO_ROOT, 'node_modules/electron-builder/cli.js'), '--linux', 'dir', 'deb', '--x64', '--publish', 'never', `-c.electronDist=${dist}`, `-c.directories.output=${out}`], app, {
    CUSTOM_FPM_PATH: fpm,
    FPM_RECORD: path.join(tmp, 'fpm.json'),
  });
  fpmCall = JSON.parse(readFileSync(path.join(tmp, 'fpm.json'), 'utf8')) as FpmCall;
  asarFiles = listPackage(path.join(unpackedApp, 'resources/app.asar'), { isPack: false }).map((f) => f.replaceAll('\\', '/'));
  extractAll(path.join(unpackedApp, 'resources/app.asar'), extracted);
}, 300_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('electron-builder package', () => {
  it("holds every file package.json's main and the window load, the preload and the trainer in app.asar", () => {
    const needed = [...files.mainModules, ...files.resolvedByMain, ...files.window, 'package.json'];
    expect(needed).toEqual(expect.arrayContaining([files.trainer, files.preload, 'dist/renderer/index.html']));
    for (const f of needed) expect(asarFiles, f).toContain(`/${f}`);
    expect(asarFiles.some((f) => f.endsWith('.map'))).toBe(false);
    expect(asarFiles.some((f) => f.startsWith('/src-main/') || f.startsWith('/test/') || f.startsWith('/resources/'))).toBe(false);
  });

  it('holds every package the main process and the trainer import', () => {
    for (const bundle of [...files.mainModules.filter((m) => m !== files.main), files.trainer]) {
      const names = packagesImportedBy(readFileSync(path.join(app, bundle), 'utf8'));
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect(asarFiles, `${bundle} imports ${name}`).toContain(`/node_modules/${name}/package.json`);
    }
  });

  it('holds, once extracted, every package the bundles import with its whole dependency graph', () => {
    const bundles = [...files.mainModules, files.trainer];
    let found = 0;
    for (const bundle of bundles) {
      const roots = packagesImportedBy(readFileSync(path.join(extracted, bundle), 'utf8'));
      const check = checkDependencies(extracted, path.dirname(path.join(extracted, bundle)), roots, REPO_ROOT);
      expect(check.missing, `${bundle}: packages missing from the archive`).toEqual([]);
      found += check.found.length;
      // Transitive dependencies are walked, not only the bundles' own imports (tfjs-core needs long and seedrandom).
      if (roots.includes('@tensorflow/tfjs-core')) expect(check.found, bundle).toEqual(expect.arrayContaining(['@tensorflow/tfjs-core', 'long', 'seedrandom']));
    }
    expect(found).toBeGreaterThan(10);
  });

  it('the dependency check finds a transitive dependency that is not there', () => {
    // A copy of the extracted app (hard links) without long, as the archive once lacked fast-png's fflate
    // with a linked node_modules (the main process no longer imports fast-png: Strata reads PNGs itself).
    const copy = path.join(tmp, 'extracted-without-long');
    linkTree(extracted, copy, (p) => p === path.join(extracted, 'node_modules/long'));
    const from = path.dirname(path.join(copy, files.trainer));
    const check = checkDependencies(copy, from, packagesImportedBy(readFileSync(path.join(copy, files.trainer), 'utf8')), REPO_ROOT);
    expect(check.missing).toEqual([expect.stringMatching(/^long \(needed by @tensorflow\/tfjs-core at node_modules\/@tensorflow\/tfjs-core\)$/)]);
  });

  it('leaves better-sqlite3 and its install-time helpers out', () => {
    for (const name of ['better-sqlite3', 'bindings', 'file-uri-to-path', 'prebuild-install']) {
      expect(asarFiles.filter((f) => f.startsWith(`/node_modules/${name}/`)), name).toEqual([]);
      expect(existsSync(path.join(unpackedApp, 'resources/app.asar.unpacked/node_modules', name)), name).toBe(false);
    }
    // The only addon in the archive is Dawn's N-API binding (optional, unpacked: see the next test).
    expect(asarFiles.filter((f) => f.endsWith('.node') && !f.startsWith('/node_modules/webgpu/dist/'))).toEqual([]);
  });

  it.skipIf(!existsSync(path.join(REPO_ROOT, 'node_modules/webgpu')))("unpacks Dawn's N-API binding (the webgpu backend) from the archive", () => {
    const dawn = 'node_modules/webgpu/dist/linux-x64/dawn.node';
    const unpacked = path.join(unpackedApp, 'resources/app.asar.unpacked', dawn);
    expect(existsSync(unpacked), dawn).toBe(true);
    expect(readFileSync(unpacked).equals(readFileSync(path.join(REPO_ROOT, dawn)))).toBe(true);
  });

  it("unpacks tfjs's wasm binaries from the archive", () => {
    const wasmDir = path.join(REPO_ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
    const wasm = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
    for (const f of wasm) {
      const unpacked = path.join(unpackedApp, 'resources/app.asar.unpacked/node_modules/@tensorflow/tfjs-backend-wasm/dist', f);
      expect(existsSync(unpacked), f).toBe(true);
      expect(readFileSync(unpacked).equals(readFileSync(path.join(wasmDir, f))), f).toBe(true);
    }
    // The pthread scripts the trainer writes out for its worker threads are read from the archive.
    expect(asarFiles).toContain('/node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js');
  });

  it('flips the fuses in the packed Electron binary', async () => {
    const fuses = await getCurrentFuseWire(path.join(unpackedApp, 'strata'));
    expect(fuses.version).toBe(FuseVersion.V1);
    expect(fuses[FuseV1Options.RunAsNode]).toBe(FuseState.DISABLE);
    expect(fuses[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(FuseState.DISABLE);
    expect(fuses[FuseV1Options.EnableNodeCliInspectArguments]).toBe(FuseState.DISABLE);
    expect(fuses[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(FuseState.ENABLE);
    expect(fuses[FuseV1Options.OnlyLoadAppFromAsar]).toBe(FuseState.ENABLE);
    expect(fuses[FuseV1Options.EnableCookieEncryption]).toBe(FuseState.ENABLE);
    // Left as Electron ships them: the page is loaded from file:// inside the archive.
    expect(fuses[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(FuseState.ENABLE);
    expect(fuses[FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]).toBe(FuseState.DISABLE);
  });

  it("ships the icon with the Linux app for the window", () => {
    const icon = path.join(unpackedApp, 'resources/icon.png');
    expect(existsSync(icon)).toBe(true);
    expect(readFileSync(icon).equals(readFileSync(path.join(REPO_ROOT, 'resources/icons/512x512.png')))).toBe(true);
  });

  it('gives the deb its complete metadata', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; homepage: string; description: string };
    const o = fpmCall.options;
    expect(o['-t']).toEqual(['deb']);
    expect(o['--name']).toEqual(['strata']);
    expect(o['--version']).toEqual([pkg.version]);
    expect(o['--maintainer']?.[0]).toMatch(/^[^<>]+ <[^@\s<>]+@[^@\s<>]+\.[a-z]+>$/);
    expect(o['--vendor']?.[0]).toBeTruthy();
    expect(o['--url']).toEqual([pkg.homepage]);
    expect(o['--category']).toEqual(['science']);
    expect(o['--deb-priority']).toEqual(['optional']);
    // The synopsis, then the long description.
    const description = o['--description']?.[0] ?? '';
    expect(description.split('\n')[0]).toMatch(/strict-ResNet U-Nets/);
    expect(description.split('\n')[1]?.trim()).toBe(pkg.description);
  });

  it('puts every icon size and a desktop entry that names it into the deb', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { description: string; desktopName: string };
    for (const size of PNG_SIZES) {
      const icon = fpmCall.files[`/usr/share/icons/hicolor/${size}x${size}/apps/strata.png`];
      expect(icon?.sha256, `${size}x${size}`).toBe(sha256(path.join(REPO_ROOT, `resources/icons/${size}x${size}.png`)));
    }
    const desktop = fpmCall.files['/usr/share/applications/strata.desktop']?.text ?? '';
    expect(desktop).toMatch(/^Icon=strata$/m);
    expect(desktop).toMatch(/^Name=Strata$/m);
    expect(desktop).toMatch(/^Categories=Science;$/m);
    expect(desktop.split('\n')).toContain(`Comment=${pkg.description}`);
    // Electron takes the window's app id from package.json's desktopName: the entry must match it.
    expect(desktop.split('\n')).toContain(`StartupWMClass=${pkg.desktopName.replace(/\.desktop$/, '')}`);
    expect(desktop).toMatch(/^Exec=.*strata/m);
    expect(fpmCall.files['/opt/Strata']?.sha256).toBe('directory');
  });

  it("leaves the project's own better-sqlite3 working under Node 20", () => {
    const script = "const D = require('better-sqlite3'); const db = new D(':memory:'); db.exec('create table t (x)'); db.prepare('insert into t values (?)').run(42); process.stdout.write(String(db.prepare('select x from t').get().x));";
    const r = spawnSync(process.execPath, ['-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('42');
    expect(process.versions.node.split('.')[0]).toBe('20');
  });
});

describe.skipIf(electronNodeUnavailable() !== null)("the packed app, extracted, under Electron's Node with the stand-in for Electron", () => {
  let run: Run;
  const home = path.join(tmp, 'smoke-home');
  beforeAll(async () => {
    run = await runMain({ node: electronNode(), appDir: extracted, dir: path.join(tmp, 'smoke'), env: { STRATA_HOME: home, STANDIN_PACKAGED: '1' } });
  }, 120_000);

  it("reaches the window's page, from the archive's own files, and quits cleanly", () => {
    // An error box first: a module that cannot load is reported there, not on stderr.
    expect(named(run, 'dialog.showErrorBox').map((c) => c.args[1]), run.stderr).toEqual([]);
    expect(run.code, run.stderr).toBe(0);
    expect(named(run, 'BrowserWindow.loadFile').map((c) => c.args[0])).toEqual([path.join(extracted, 'dist/renderer/index.html')]);
    expect(named(run, 'ipcMain.handle')).toHaveLength(3);
  });

  it("starts the archive's trainer, which answers the backend probe", () => {
    const forks = named(run, 'utilityProcess.fork');
    expect(forks[0]?.args[0]).toBe(path.join(extracted, files.trainer));
    expect(named(run, 'utilityProcess.exit')[0]?.args[0], run.stderr).toBe(0);
    const log = readFileSync(path.join(run.standinDir, 'logs', 'main.log'), 'utf8');
    expect(log).toMatch(/\[info\]\s+backend \{ name: '(wasm|cpu|tfjs-node|tfjs-node-gpu)'/);
    expect(log).toContain('window loaded');
  });
});
