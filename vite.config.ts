/**
 * Builds the renderer: one page in src-renderer/, out to dist/renderer/. `base: './'` keeps every
 * asset address relative, so the same build loads from file:// in Electron and from the lab's
 * HTTP server in browser mode.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('./src-renderer'),
  base: './',
  plugins: [vue()],
  build: {
    outDir: here('./dist/renderer'),
    emptyOutDir: true,
    // Electron 40 and current Chromium: no need to down-level modern syntax.
    target: 'es2022',
    reportCompressedSize: false,
  },
});
