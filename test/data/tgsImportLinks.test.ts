/** A folder assembled from symbolic links (e.g. one split of a dataset) imports like real files. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importTgsFolder } from '../../src-main/data/tgsImport';
import { greyPng, pattern } from './pngFixtures';

const root = mkdtempSync(path.join(os.tmpdir(), 'strata-links-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('importTgsFolder with symbolic links', () => {
  it('follows links to files, and reports a dangling link as unreadable', async () => {
    const real = path.join(root, 'real');
    const linked = path.join(root, 'linked');
    mkdirSync(real);
    mkdirSync(linked);
    writeFileSync(path.join(real, 'a.png'), greyPng(4, 3, pattern(12, 1)));
    writeFileSync(path.join(real, 'b.png'), greyPng(4, 3, pattern(12, 2)));
    symlinkSync(path.join(real, 'a.png'), path.join(linked, 'a.png'));
    symlinkSync(path.join(real, 'b.png'), path.join(linked, 'b.png'));
    symlinkSync(path.join(real, 'missing.png'), path.join(linked, 'gone.png'));
    const ds = await importTgsFolder(linked);
    expect(ds.ids).toEqual(['a', 'b']);
    expect(Array.from(ds.images.subarray(0, 12))).toEqual(pattern(12, 1));
    expect(ds.info.problems).toEqual([expect.objectContaining({ code: 'unreadable', file: 'gone.png' })]);
  });
});
