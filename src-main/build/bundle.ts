/**
 * Bundles the Electron side: the main process and the trainer as ES modules, the preload as one
 * CommonJS file (a sandboxed preload cannot load other files). Dependencies stay external: they ship
 * in node_modules (native ones unpacked from the asar, see electron-builder.yml).
 *
 * The layout under `dist/main` is what the code resolves at run time, relative to its own file:
 * - main.ts (dist/main/electron/main.js, package.json's `main`) is the entry alone: electron, Node's
 *   built-ins and startupFailure.ts, then `import('./app.js')` left as it is, so that a failure while
 *   the rest loads is caught there and shown in Strata's error box;
 * - app.ts (dist/main/electron/app.js, the rest of the main process) loads `preload.cjs` beside it and
 *   `../../renderer/index.html`;
 * - lab/trainerHost.ts, inlined into app.js, starts `../training/trainerProcess.js` from there;
 * - the trainer's wasm kernels are inlined (kernels.generated.ts holds them as base64), its kernel
 *   workers are evaluated from source, and tfjs's own .wasm and pthread scripts are resolved in
 *   node_modules from the bundled file.
 *
 *   npm run build:main     bundles into dist/main
 */
import { build, type Plugin } from 'esbuild';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The entry points and where each lands under `dist/main`: package.json's `main` is the first. */
export const MAIN_ENTRIES = {
  main: { source: 'src-main/electron/main.ts', out: 'dist/main/electron/main.js' },
  app: { source: 'src-main/electron/app.ts', out: 'dist/main/electron/app.js' },
  trainer: { source: 'src-main/training/trainerProcess.ts', out: 'dist/main/training/trainerProcess.js' },
  preload: { source: 'src-main/electron/preload.ts', out: 'dist/main/electron/preload.cjs' },
} as const;

function externals(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
  return ['electron', ...Object.keys(pkg['dependencies'] ?? {}), ...Object.keys(pkg['optionalDependencies'] ?? {})];
}

/** The specifier main.ts loads the rest of the main process by; it stays an import of app.js. */
export const APP_SPECIFIER = './app.js';

/** Keeps main.ts's `import('./app.js')` a run-time import of the app.js bundle beside it, not inlined. */
const appStaysApart: Plugin = {
  name: 'strata-app-stays-apart',
  setup(b) {
    const entry = path.join(ROOT, MAIN_ENTRIES.main.source);
    b.onResolve({ filter: /^\.\/app\.js$/ }, (args) => (args.importer === entry ? { path: APP_SPECIFIER, external: true } : undefined));
  },
};

/**
 * Bundles the main entry, the rest of the main process, the trainer and the preload under `outRoot`/dist/main (the repository
 * by default). `outRoot` must see the project's node_modules (itself or a folder above it, or a link).
 */
export async function bundleMain(outRoot: string = ROOT): Promise<void> {
  const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning', absWorkingDir: ROOT } as const;
  await build({
    ...common,
    entryPoints: [MAIN_ENTRIES.main.source, MAIN_ENTRIES.app.source, MAIN_ENTRIES.trainer.source],
    outbase: 'src-main',
    outdir: path.join(outRoot, 'dist/main'),
    format: 'esm',
    external: externals(),
    plugins: [appStaysApart],
    // ESM output still meets CommonJS dependencies that call require().
    banner: { js: "import { createRequire as __strataRequire } from 'node:module'; const require = __strataRequire(import.meta.url);" },
  });
  await build({
    ...common,
    entryPoints: [MAIN_ENTRIES.preload.source],
    outfile: path.join(outRoot, MAIN_ENTRIES.preload.out),
    format: 'cjs',
    external: ['electron'],
  });
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundleMain();
  process.stdout.write('bundled the main process, the trainer and the preload into dist/main/\n');
}
