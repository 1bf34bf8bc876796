/**
 * The built app for the build, packaging and desktop smoke tests: `buildApp` (what `npm run build`
 * runs) into a folder of its own, once per test process, so that no other test reading the
 * repository's dist/ ever sees it half-written. The folder is laid out as the repository is:
 * package.json, dist/, and node_modules, a real folder made of hard links to the project's files
 * ({@link linkTree}: no data copied, under a second). Not a symbolic link: electron-builder, given a
 * linked node_modules, cannot find where the transitive dependencies lie ("cannot find path for
 * dependency") and leaves them out of app.asar (fast-png's fflate, for one), which a real
 * `npm run dist` from the repository does not. Nothing writes into this node_modules (no rebuild:
 * electron-builder.yml has npmRebuild false), so the project's files are never changed through the
 * links; removing a package from a copy only unlinks it there.
 *
 * `loadedFiles` derives what Electron loads from the built code itself, not from a list kept here:
 * package.json's `main` and the modules of the main process it imports by relative path (app.js);
 * every path those resolve next to themselves (the window's page, the preload, the trainer entry);
 * and every file the built page references (its scripts, styles, fonts and images, followed through
 * the scripts' imports and the styles' url()s).
 */
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../../src-main/build/build';
import { REPO_ROOT } from '../helpers/paths';

let built: Promise<string> | null = null;

/**
 * Makes `dst` a copy of the folder `src` whose files are hard links to `src`'s (same inodes, no data
 * copied); symbolic links are recreated as they are (node_modules/.bin's). Entries for which
 * `skip(sourcePath)` is true are left out. Both folders must be on one file system.
 */
export function linkTree(src: string, dst: string, skip: (sourcePath: string) => boolean = () => false): void {
  mkdirSync(dst);
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    const from = path.join(src, entry.name);
    const to = path.join(dst, entry.name);
    if (skip(from)) continue;
    if (entry.isDirectory()) linkTree(from, to, skip);
    else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else linkSync(from, to);
  }
}

/** node_modules/.cache (vite's, Electron's Node for the tests) is no dependency: not linked. */
const linkedModules = (root: string): ((p: string) => boolean) => {
  const cache = path.join(root, 'node_modules', '.cache');
  return (p) => p === cache;
};

/**
 * The built app's folder (built on first use in this process, removed when it exits). Readable by
 * every user (0755), so a test can start it as an unprivileged user.
 */
export function builtApp(): Promise<string> {
  built ??= (async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-app-'));
    chmodSync(dir, 0o755);
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(dir, 'package.json'));
    linkTree(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), linkedModules(REPO_ROOT));
    await buildApp(dir, { quiet: true });
    return dir;
  })();
  return built;
}

/**
 * A copy of the built app at `dst` (hard links, as {@link builtApp}'s node_modules) without the
 * packages named in `without`: an install that lacks a dependency.
 */
export async function builtAppWithout(dst: string, without: string[]): Promise<string> {
  const app = await builtApp();
  const dropped = new Set(without.map((name) => path.join(app, 'node_modules', name)));
  for (const p of dropped) if (!existsSync(p)) throw new Error(`${p} is not in the built app: nothing to leave out`);
  linkTree(app, dst, (p) => dropped.has(p));
  return dst;
}

/** What the app loads, as paths relative to the app folder (forward slashes). */
export interface LoadedFiles {
  /** package.json's `main`. */
  main: string;
  /** The main process's modules: `main` and what it imports by relative path, transitively (main.js, app.js). */
  mainModules: string[];
  /** Files the bundled main process resolves relative to itself: the page, the preload, the trainer. */
  resolvedByMain: string[];
  /** The page and every file it references, transitively. */
  window: string[];
  /** The trainer entry (one of resolvedByMain). */
  trainer: string;
  /** The preload (one of resolvedByMain). */
  preload: string;
}

const rel = (root: string, file: string): string => path.relative(root, file).split(path.sep).join('/');

/**
 * Relative paths the bundle resolves against its own location: `path.resolve(here, "...")` and
 * `new URL(\`...\`, import.meta.url)` (a template's `${a ? "ts" : "js"}` is taken as its last
 * literal, the bundled branch).
 */
export function pathsResolvedBy(bundleSource: string): string[] {
  const found = new Set<string>();
  for (const m of bundleSource.matchAll(/\bresolve\(\s*here\d*\s*,\s*"([^"]+)"\s*\)/g)) if (m[1]) found.add(m[1]);
  for (const m of bundleSource.matchAll(/new URL\(\s*`([^`]+)`\s*,\s*[\w$]+\s*\)/g)) {
    const template = m[1] ?? '';
    found.add(template.replace(/\$\{[^}]*"([^"]*)"\s*\}/g, '$1'));
  }
  return [...found];
}

/** The relative specifiers a bundle imports (`import ... from "./x.js"`, `import("./x.js")`). */
export function relativeImportsOf(bundleSource: string): string[] {
  const found = new Set<string>();
  for (const m of bundleSource.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s*)"(\.\.?\/[^"]+)"/gm)) if (m[1]) found.add(m[1]);
  return [...found];
}

/** Every specifier a bundle imports or requires by a string literal: packages, node: built-ins and relative files. */
export function specifiersImportedBy(bundleSource: string): string[] {
  const found = new Set<string>();
  for (const m of bundleSource.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\d*\(\s*|^import\s*)["']([^"']+)["']/gm)) if (m[1]) found.add(m[1]);
  return [...found].sort();
}

/** The files a built page references, transitively, relative to the page's folder. */
export function pageReferences(pageDir: string, page = 'index.html'): string[] {
  const seen = new Set<string>([page]);
  const queue = [page];
  const add = (from: string, ref: string): void => {
    if (/^(?:[a-z]+:|#|\/\/)/i.test(ref)) return; // data:, https:, fragments: not files
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), ref.split(/[?#]/)[0] ?? ''));
    if (!seen.has(target)) {
      seen.add(target);
      queue.push(target);
    }
  };
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const full = path.join(pageDir, file);
    if (!existsSync(full)) continue; // reported missing by the caller
    if (file.endsWith('.html')) {
      const html = readFileSync(full, 'utf8');
      for (const m of html.matchAll(/<(?:script|link|img)\b[^>]*?\s(?:src|href)="([^"]+)"/g)) if (m[1]) add(file, m[1]);
    } else if (file.endsWith('.css')) {
      const css = readFileSync(full, 'utf8');
      for (const m of css.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)) if (m[1]) add(file, m[1]);
    } else if (file.endsWith('.js')) {
      const js = readFileSync(full, 'utf8');
      // Static and dynamic imports of sibling chunks, and assets addressed relative to the module.
      for (const m of js.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.\.?\/[^"']+)["']/g)) if (m[1]) add(file, m[1]);
      for (const m of js.matchAll(/new URL\(\s*["'](\.\.?\/[^"']+|[^"':]+\.[a-z0-9]+)["']\s*,\s*import\.meta\.url\s*\)/g)) if (m[1]) add(file, m[1]);
      // Vite's preload list names chunks and styles from the page's folder ("assets/x.js").
      for (const m of js.matchAll(/["'](assets\/[^"']+\.(?:js|css))["']/g)) if (m[1]) add('index.html', m[1]);
    }
  }
  return [...seen];
}

/** What Electron loads from the app folder, derived from package.json and the built code. */
export function loadedFiles(appDir: string): LoadedFiles {
  const pkg = JSON.parse(readFileSync(path.join(appDir, 'package.json'), 'utf8')) as { main?: string };
  if (!pkg.main) throw new Error('package.json has no main');
  const mainFile = path.join(appDir, pkg.main);
  // The entry and the modules it loads by relative path (main.js loads app.js), transitively.
  const modules = [mainFile];
  for (let i = 0; i < modules.length; i++) {
    const file = modules[i] ?? '';
    if (!existsSync(file)) throw new Error(`the main process imports ${rel(appDir, file)}, which is not built`);
    for (const spec of relativeImportsOf(readFileSync(file, 'utf8'))) {
      const target = path.resolve(path.dirname(file), spec);
      if (!modules.includes(target)) modules.push(target);
    }
  }
  const resolvedByMain = [
    ...new Set(modules.flatMap((m) => pathsResolvedBy(readFileSync(m, 'utf8')).map((p) => rel(appDir, path.resolve(path.dirname(m), p))))),
  ];
  const pagePath = resolvedByMain.find((p) => p.endsWith('.html'));
  const trainer = resolvedByMain.find((p) => /trainerProcess\.js$/.test(p));
  const preload = resolvedByMain.find((p) => /preload\.c?js$/.test(p));
  if (!pagePath || !trainer || !preload) throw new Error(`the bundled main process resolves no page, trainer or preload: ${resolvedByMain.join(', ')}`);
  const pageDir = path.dirname(path.join(appDir, pagePath));
  const window = pageReferences(pageDir, path.basename(pagePath)).map((f) => rel(appDir, path.join(pageDir, f)));
  return { main: rel(appDir, mainFile), mainModules: modules.map((m) => rel(appDir, m)), resolvedByMain, window, trainer, preload };
}

/** The packages a bundle imports at run time (its externals), by package name; `electron` and node: builtins left out. */
export function packagesImportedBy(bundleSource: string): string[] {
  const names = new Set<string>();
  for (const m of bundleSource.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\d*\(\s*|^import\s*)"(@?[a-z0-9][\w.@/-]*)"/gm)) {
    const spec = m[1] ?? '';
    if (spec.startsWith('node:') || spec === 'electron') continue;
    const parts = spec.split('/');
    names.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? spec));
  }
  return [...names].sort();
}
