/** When `npm run lab` builds its UI first: a fresh checkout, or sources changed after the last build. */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rendererBuildNeeded } from '../../src-main/lab/transport/http/ensureBuilt';

const root = mkdtempSync(path.join(os.tmpdir(), 'strata-ensure-built-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const at = (file: string, seconds: number) => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, 'x');
  utimesSync(file, seconds, seconds);
};

describe('rendererBuildNeeded', () => {
  const dist = path.join(root, 'dist/renderer');
  const source = path.join(root, 'src-renderer/views/data/DataView.vue');
  const sharedFile = path.join(root, 'shared/api/channels.ts');

  it("is 'missing' before the first build", () => {
    at(source, 1000);
    expect(rendererBuildNeeded(dist, root)).toBe('missing');
  });

  it('is null when the build is newer than every source', () => {
    at(sharedFile, 1500);
    at(path.join(dist, 'index.html'), 2000);
    expect(rendererBuildNeeded(dist, root)).toBeNull();
  });

  it("is 'stale' when a renderer or shared source changed after the build, even deep in a folder", () => {
    at(sharedFile, 2500);
    expect(rendererBuildNeeded(dist, root)).toBe('stale');
    at(sharedFile, 1500);
    at(path.join(root, 'src-renderer/a/b/c/deep.ts'), 3000);
    expect(rendererBuildNeeded(dist, root)).toBe('stale');
  });

  it('ignores node_modules and dot folders under the sources', () => {
    rmSync(path.join(root, 'src-renderer/a'), { recursive: true });
    at(path.join(root, 'src-renderer/node_modules/x.js'), 9000);
    at(path.join(root, 'shared/.cache/y'), 9000);
    expect(rendererBuildNeeded(dist, root)).toBeNull();
  });
});
