/**
 * `npm run build` (src-main/build/build.ts) builds everything Electron loads: package.json's
 * `main` (an entry that needs only electron and Node's built-ins) and the rest of the main process
 * it loads (app.js), the window's page with every file it references, the preload and the trainer entry that
 * the bundled main process resolves, and the packages those bundles import. The bundled trainer
 * then starts under Electron's own Node (24.11.1, the registry's node-<platform>-<arch> package)
 * and answers a `probe` over IPC, as it does in the app's utilityProcess.
 */
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { strataPackageVersion } from '../../src-main/lab/versions';
import { isProbeReply, type ProbeReply } from '../../shared/training/protocol';
import { electronNode, electronNodeUnavailable } from '../helpers/electronNode';
import { builtApp, loadedFiles, packagesImportedBy, pageReferences, pathsResolvedBy, relativeImportsOf, specifiersImportedBy, type LoadedFiles } from './builtApp';

let app = '';
let files: LoadedFiles;

beforeAll(async () => {
  app = await builtApp();
  files = loadedFiles(app);
}, 120_000);

/** Node's lookup of a package from a folder: node_modules/NAME in it or any folder above it. */
function packageFolder(from: string, name: string): string | null {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) return null;
  }
}

const read = (f: string): string => readFileSync(path.join(app, f), 'utf8');

describe('the derivation of what Electron loads', () => {
  it('reads the paths a bundle resolves next to itself, taking the bundled branch of a template', () => {
    const src = 'var here2 = 1; path15.resolve(here, "../../renderer/index.html"); new URL(`../training/trainerProcess.${ts ? "ts" : "js"}`, here2);';
    expect(pathsResolvedBy(src)).toEqual(['../../renderer/index.html', '../training/trainerProcess.js']);
  });

  it('follows a page into its scripts and styles, listing a file that is missing so the check can fail', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-page-'));
    try {
      mkdirSync(path.join(dir, 'assets'));
      writeFileSync(path.join(dir, 'index.html'), '<link rel="stylesheet" href="./assets/a.css"><script type="module" src="./assets/a.js"></script><img src="data:image/png;base64,AA">');
      writeFileSync(path.join(dir, 'assets/a.css'), 'body { background: url(./bg.png) } @font-face { src: url("font.woff2") }');
      writeFileSync(path.join(dir, 'assets/a.js'), 'import { x } from "./b.js"; const l = () => import("./lazy.js"); const m = ["assets/c.css"];');
      writeFileSync(path.join(dir, 'assets/b.js'), 'export const x = new URL("./w.wasm", import.meta.url);');
      expect(pageReferences(dir).sort()).toEqual(
        ['index.html', 'assets/a.css', 'assets/a.js', 'assets/bg.png', 'assets/font.woff2', 'assets/b.js', 'assets/lazy.js', 'assets/c.css', 'assets/w.wasm'].sort(),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads a bundle's relative imports and every specifier it loads by a literal", () => {
    const src = 'import { a } from "./a.js";\nimport "../side.js";\nconst { b } = await import("./app.js");\nimport fs from "node:fs";\nconst z = require2("zod");\nconst l = nodeRequire("better-sqlite3");';
    expect(relativeImportsOf(src).sort()).toEqual(['../side.js', './a.js', './app.js']);
    expect(specifiersImportedBy(src)).toEqual(['../side.js', './a.js', './app.js', 'node:fs', 'zod']);
  });

  it('reads the packages a bundle imports, by name', () => {
    const src = 'import { z } from "zod";\nimport fs from "node:fs";\nimport { app } from "electron";\nconst t = require2("@tensorflow/tfjs-core/dist/x.js");';
    expect(packagesImportedBy(src)).toEqual(['@tensorflow/tfjs-core', 'zod']);
  });
});

describe('npm run build', () => {
  it("builds package.json's main, and the main process resolves the page, the preload and the trainer", () => {
    expect(files.main).toBe('dist/main/electron/main.js');
    expect(files.mainModules).toEqual([files.main, 'dist/main/electron/app.js']);
    expect(files.resolvedByMain).toEqual(expect.arrayContaining([files.trainer, files.preload, 'dist/renderer/index.html']));
    for (const f of [...files.mainModules, ...files.resolvedByMain]) {
      expect(existsSync(path.join(app, f)), f).toBe(true);
      expect(statSync(path.join(app, f)).size, f).toBeGreaterThan(0);
    }
  });

  it("the main entry loads nothing but electron, Node's built-ins and then app.js, so a failure there reaches its catch", () => {
    const specs = specifiersImportedBy(read(files.main));
    expect(specs).toContain('./app.js');
    for (const spec of specs) expect(spec === 'electron' || spec === './app.js' || spec.startsWith('node:'), `main.js imports ${spec}`).toBe(true);
    // app.js is loaded by a dynamic import inside a try, not a static import (which loads before any code runs).
    expect(read(files.main)).toMatch(/\btry\s*\{[\s\S]{0,120}?await import\("\.\/app\.js"\)[\s\S]*\}\s*catch\b/);
    expect(read(files.main)).not.toMatch(/^import[^;]*"\.\/app\.js"/m);
    expect(packagesImportedBy(read(files.main))).toEqual([]);
  });

  it('resolves the trainer where the bundle puts it, beside the main process', () => {
    expect(files.trainer).toBe('dist/main/training/trainerProcess.js');
    expect(files.preload).toBe('dist/main/electron/preload.cjs');
  });

  it('builds the window: the page and every script, style and asset it references', () => {
    const scripts = files.window.filter((f) => f.endsWith('.js'));
    const styles = files.window.filter((f) => f.endsWith('.css'));
    expect(scripts.length).toBeGreaterThan(0);
    expect(styles.length).toBeGreaterThan(0);
    for (const f of files.window) expect(existsSync(path.join(app, f)), `${f} (referenced by the page)`).toBe(true);
    // Relative addresses only: the page loads from file:// in Electron and from the lab's server.
    expect(read('dist/renderer/index.html')).not.toMatch(/(?:src|href)="\//);
  });

  it('the preload is one CommonJS file that needs nothing but electron', () => {
    const preload = read(files.preload);
    const required = [...preload.matchAll(/\brequire\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]);
    expect(required.length).toBeGreaterThan(0);
    expect(new Set(required)).toEqual(new Set(['electron']));
    expect(preload).not.toMatch(/^\s*import\s/m);
  });

  it('every package the bundles import resolves from where the bundle lies', () => {
    for (const bundle of [...files.mainModules.filter((m) => m !== files.main), files.trainer]) {
      const names = packagesImportedBy(read(bundle));
      expect(names.length, bundle).toBeGreaterThan(0);
      for (const name of names) expect(packageFolder(path.dirname(path.join(app, bundle)), name), `${bundle} imports ${name}`).not.toBeNull();
    }
  });

  it("finds Strata's package.json from the bundles (its version is shown and recorded with runs)", () => {
    for (const bundle of [...files.mainModules, files.trainer]) {
      const specs = [...read(bundle).matchAll(/"((?:\.\.\/)+package\.json)"/g)].map((m) => m[1] ?? '');
      if (specs.length === 0) continue;
      const found = specs.map((s) => path.resolve(path.dirname(path.join(app, bundle)), s)).filter((f) => existsSync(f));
      expect(found.map((f) => (JSON.parse(readFileSync(f, 'utf8')) as { name?: string }).name), bundle).toContain('strata');
    }
  });

  it("the source's own lookup finds the same package.json under tsx", () => {
    expect(strataPackageVersion()).toBe((JSON.parse(read('package.json')) as { version: string }).version);
  });

  it("the bundled trainer finds tfjs's wasm binaries from its own location", () => {
    const specs = [...read(files.trainer).matchAll(/\.resolve\("(@tensorflow\/tfjs-backend-wasm\/[^"]+\.wasm)"\)/g)].map((m) => m[1] ?? '');
    expect(specs.length).toBeGreaterThan(0);
    const req = createRequire(path.join(app, files.trainer));
    for (const spec of specs) expect(existsSync(req.resolve(spec)), spec).toBe(true);
  });
});

describe.skipIf(electronNodeUnavailable() !== null)("the bundled trainer under Electron's Node", () => {
  it('starts and answers a probe over IPC', async () => {
    const execPath = electronNode();
    const child = fork(path.join(app, files.trainer), [], { execPath, execArgv: [], serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, NODE_OPTIONS: '' } });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout?.resume();
    const reply = await new Promise<ProbeReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`no probe reply in 60 s; stderr:\n${stderr}`));
      }, 60_000);
      child.on('message', (m: unknown) => {
        if (!isProbeReply(m)) return;
        clearTimeout(timer);
        resolve(m);
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the trainer exited (code ${code}) without a probe reply; stderr:\n${stderr}`));
      });
      child.send({ type: 'probe' });
    });
    const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', resolve)));
    expect(reply.type, stderr).toBe('probe-result');
    if (reply.type !== 'probe-result') return;
    expect(['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu']).toContain(reply.backend.name);
    expect(reply.backend.threads).toBeGreaterThan(0);
    expect(code).toBe(0);
  }, 120_000);
});
