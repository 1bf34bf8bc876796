/**
 * Does an app folder hold every package its bundles need at run time? The packaging test asks it of
 * the folder extracted from app.asar (with app.asar.unpacked), where nothing outside can help: a
 * package that electron-builder left out is a package the installed app cannot load.
 *
 * The walk starts from the packages the bundles import (their externals) and follows each package's
 * declared run-time dependencies (`dependencies`, `optionalDependencies`, `peerDependencies`) down the
 * whole graph, each one looked up as Node does from the folder where its dependent was found
 * (node_modules there, then in every folder above it, up to the app folder and no further). A
 * dependency that cannot be found is missing, unless it is optional (an optional dependency, an
 * optional peer) and the project's own install lacks it too (a platform's package, a GPU build that
 * was not installed).
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';

interface Manifest {
  name?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** The outcome of {@link checkDependencies}. */
export interface DependencyCheck {
  /** `NAME (needed by WHO)` for each package that cannot be found. */
  missing: string[];
  /** The packages found, by name, each once. */
  found: string[];
  /** Optional packages that neither the app nor the project has. */
  skippedOptional: string[];
}

/** Node's lookup of package `name` from folder `from`, not above `root`; the package's folder or null. */
export function lookUpPackage(root: string, from: string, name: string): string | null {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root || path.dirname(dir) === dir || !dir.startsWith(root)) return null;
  }
}

/**
 * Walks the dependency graph of `roots` (package names imported by files in `fromDir`) inside `appDir`.
 * `projectDir` is the project's own install (the repository), consulted only to tell a missing
 * optional package from one this machine never installed.
 */
export function checkDependencies(appDir: string, fromDir: string, roots: string[], projectDir: string): DependencyCheck {
  const missing: string[] = [];
  const skippedOptional = new Set<string>();
  const seen = new Map<string, string>(); // real folder -> name
  const queue: { name: string; from: string; neededBy: string; optional: boolean }[] = roots.map((name) => ({ name, from: fromDir, neededBy: path.relative(appDir, fromDir) || '.', optional: false }));
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
    const folder = lookUpPackage(appDir, item.from, item.name);
    if (folder === null) {
      if (item.optional) {
        // The same lookup in the project: from the same place relative to its root.
        const projectFrom = path.join(projectDir, path.relative(appDir, item.from));
        if (lookUpPackage(projectDir, projectFrom, item.name) === null) {
          skippedOptional.add(item.name);
          continue;
        }
      }
      missing.push(`${item.name} (needed by ${item.neededBy})`);
      continue;
    }
    const real = realpathSync(folder);
    if (seen.has(real)) continue;
    seen.set(real, item.name);
    const manifest = JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8')) as Manifest;
    const who = `${item.name} at ${path.relative(appDir, folder)}`;
    const optionalDeps = new Set(Object.keys(manifest.optionalDependencies ?? {}));
    for (const name of Object.keys(manifest.dependencies ?? {})) queue.push({ name, from: folder, neededBy: who, optional: optionalDeps.has(name) });
    for (const name of optionalDeps) if (!(name in (manifest.dependencies ?? {}))) queue.push({ name, from: folder, neededBy: who, optional: true });
    for (const name of Object.keys(manifest.peerDependencies ?? {})) {
      queue.push({ name, from: folder, neededBy: `${who} (peer)`, optional: manifest.peerDependenciesMeta?.[name]?.optional === true });
    }
  }
  return { missing, found: [...new Set(seen.values())].sort(), skippedOptional: [...skippedOptional].sort() };
}
