/**
 * Where no Vulkan loader can be found, the webgpu probe does not ask Dawn for an adapter: Dawn would
 * find none and print "Warning: Couldn't load Vulkan: libvulkan.so.1 ..." with a source line to
 * stderr on every training run. The probe's own check, on made-up library folders and caches, and a
 * real process selecting its backend on this machine.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { vulkanLoaderFound } from '../../src-main/training/webgpu';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-vulkan-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const linux = process.platform === 'linux';

describe.runIf(linux)('vulkanLoaderFound', () => {
  const withLoader = path.join(root, 'with');
  const without = path.join(root, 'without');
  fs.mkdirSync(withLoader);
  fs.mkdirSync(without);
  fs.writeFileSync(path.join(withLoader, 'libvulkan.so.1'), '');
  const cacheWith = path.join(root, 'cache-with');
  const cacheWithout = path.join(root, 'cache-without');
  fs.writeFileSync(cacheWith, Buffer.concat([Buffer.from('glibc-ld.so.cache1.1\0libc.so.6\0'), Buffer.from('libvulkan.so.1\0/usr/lib/libvulkan.so.1\0')]));
  fs.writeFileSync(cacheWithout, 'glibc-ld.so.cache1.1\0libc.so.6\0/usr/lib/libc.so.6\0');

  it('finds the loader in a folder of LD_LIBRARY_PATH, or in the system cache', () => {
    expect(vulkanLoaderFound({ LD_LIBRARY_PATH: `${without}:${withLoader}` }, cacheWithout)).toBe(true);
    expect(vulkanLoaderFound({}, cacheWith)).toBe(true);
    expect(vulkanLoaderFound({ LD_LIBRARY_PATH: '' }, cacheWith)).toBe(true);
  });

  it('finds none where neither has it', () => {
    expect(vulkanLoaderFound({ LD_LIBRARY_PATH: without }, cacheWithout)).toBe(false);
    expect(vulkanLoaderFound({}, cacheWithout)).toBe(false);
  });

  it('lets Dawn look for itself when there is no cache to read', () => {
    expect(vulkanLoaderFound({}, path.join(root, 'no-such-cache'))).toBe(true);
  });
});

const systemHasLoader = linux && vulkanLoaderFound({}, '/etc/ld.so.cache');
describe.runIf(linux && !systemHasLoader)('a backend chosen on a machine without a Vulkan loader', () => {
  it('skips webgpu with the reason, and Dawn prints nothing', () => {
    const script = "const { selectBackend } = await import('./src-main/training/backend.ts'); const r = await selectBackend(); process.stdout.write(JSON.stringify(r.skipped));";
    const env = { ...process.env };
    delete env.LD_LIBRARY_PATH;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: path.resolve(__dirname, '../..'), env, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const skipped = JSON.parse(r.stdout) as { name: string; reason: string }[];
    const webgpu = skipped.find((s) => s.name === 'webgpu');
    // The package is optional: without it the reason is that it is not installed.
    expect(webgpu?.reason).toMatch(/no Vulkan loader \(libvulkan\.so\.1\) on this machine|is not installed/);
    expect(r.stderr).not.toContain("Couldn't load Vulkan");
  });
});
