/**
 * `npm run build`: everything Electron loads, in one process (no `npm` child: that needs a shell on
 * Windows). The main process, the trainer and the preload (bundle.ts) into dist/main, and the
 * renderer (vite.config.ts) into dist/renderer.
 *
 *   npm run build
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as viteBuild } from 'vite';
import { bundleMain, ROOT } from './bundle';

/**
 * Builds the app under `outRoot`/dist (the repository by default). Tests build into a folder of
 * their own that links the project's node_modules, so that they never race with another test
 * reading the repository's dist/.
 */
export async function buildApp(outRoot: string = ROOT, options: { quiet?: boolean } = {}): Promise<void> {
  await bundleMain(outRoot);
  await viteBuild({
    configFile: path.join(ROOT, 'vite.config.ts'),
    logLevel: options.quiet ? 'error' : 'info',
    build: { outDir: path.join(outRoot, 'dist/renderer'), emptyOutDir: true },
  });
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildApp();
  process.stdout.write('built the main process, the trainer, the preload and the renderer into dist/\n');
}
