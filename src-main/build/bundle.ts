/**
 * Bundles the Electron side: the main process and the trainer as ES modules, the preload as one
 * CommonJS file (a sandboxed preload cannot load other files). Dependencies stay external: they ship
 * in node_modules (native ones unpacked from the asar, see electron-builder.yml).
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
const external = ['electron', ...Object.keys(pkg['dependencies'] ?? {}), ...Object.keys(pkg['optionalDependencies'] ?? {})];
const outdir = path.join(root, 'dist/main');

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning', absWorkingDir: root } as const;

await build({
  ...common,
  entryPoints: ['src-main/electron/main.ts', 'src-main/training/trainerProcess.ts'],
  outbase: 'src-main',
  outdir,
  format: 'esm',
  external,
  // ESM output still meets CommonJS dependencies that call require().
  banner: { js: "import { createRequire as __strataRequire } from 'node:module'; const require = __strataRequire(import.meta.url);" },
});

await build({
  ...common,
  entryPoints: ['src-main/electron/preload.ts'],
  outfile: path.join(outdir, 'electron/preload.cjs'),
  format: 'cjs',
  external: ['electron'],
});

process.stdout.write(`bundled the main process, the trainer and the preload into ${path.relative(root, outdir)}/\n`);
