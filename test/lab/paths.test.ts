/**
 * What counts as inside the lab's own folders (issue 20 item 3): `within` on path strings, and
 * refuseLabFolder on real folders, with the file system's own name of a path (its native realpath).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { refuseLabFolder, within } from '../../src-main/lab/paths';
import { scratchDir } from './helpers';

afterEach(() => vi.restoreAllMocks());

describe('within', () => {
  it('takes a child whose name starts with two dots as inside, and only .. or ../ as outside', () => {
    expect(within('/data/..x', '/data', path.posix)).toBe(true);
    expect(within('/data/..x/f.csv', '/data', path.posix)).toBe(true);
    expect(within('/data/...', '/data', path.posix)).toBe(true);
    expect(within('/data', '/data', path.posix)).toBe(true);
    expect(within('/', '/data', path.posix)).toBe(false);
    expect(within('/data2', '/data', path.posix)).toBe(false);
    expect(within('/other/f.csv', '/data', path.posix)).toBe(false);
  });

  it('reads another Windows drive as outside, and the same folder in another case as inside', () => {
    expect(within('D:\\data\\f.csv', 'C:\\data', path.win32)).toBe(false);
    expect(within('C:\\data\\..x\\f.csv', 'C:\\data', path.win32)).toBe(true);
    expect(within('c:\\DATA\\f.csv', 'C:\\data', path.win32)).toBe(true);
    expect(within('C:\\f.csv', 'C:\\data', path.win32)).toBe(false);
  });
});

describe('refuseLabFolder', () => {
  it('refuses a folder named ..x inside the data folder', () => {
    const data = scratchDir('paths-dots');
    fs.mkdirSync(path.join(data, '..x'));
    const dirs = { dataDir: data, runsDir: path.join(data, 'runs') };
    expect(() => refuseLabFolder(path.join(data, '..x', 'sub.csv'), dirs, 'the submission')).toThrow(/inside the lab's own data folder/);
    expect(() => refuseLabFolder(path.join(path.dirname(data), `${path.basename(data)}x`), dirs, 'the folder')).not.toThrow();
  });

  it("takes the file system's own name of a path (the native realpath), so another letter case is the same folder", () => {
    const root = scratchDir('paths-case');
    const data = path.join(root, 'data');
    fs.mkdirSync(data);
    const dirs = { dataDir: data, runsDir: path.join(data, 'runs') };
    // Linux here is case-sensitive: the stand-in realpath answers as a case-insensitive one does,
    // with the name the file system holds for `.../DATA` (`.../data`).
    const native = fs.realpathSync.native;
    const upper = path.join(root, 'DATA');
    vi.spyOn(fs.realpathSync, 'native').mockImplementation(((p: fs.PathLike) => {
      const s = String(p);
      return native(s === upper || s.startsWith(upper + path.sep) ? data + s.slice(upper.length) : s);
    }) as typeof fs.realpathSync.native);
    expect(() => refuseLabFolder(path.join(upper, 'sub.csv'), dirs, 'the submission')).toThrow(`the submission ${path.join(upper, 'sub.csv')} is inside the lab's own data folder ${data} (that is ${path.join(data, 'sub.csv')})`);
  });

  it('refuses the data folder in another letter case where the file system ignores case', (ctx) => {
    const root = scratchDir('paths-ci');
    const data = path.join(root, 'data');
    fs.mkdirSync(data);
    if (!fs.existsSync(path.join(root, 'DATA'))) {
      ctx.skip(`${root} is on a case-sensitive file system; the stand-in test above covers it`);
      return;
    }
    const dirs = { dataDir: data, runsDir: path.join(data, 'runs') };
    expect(() => refuseLabFolder(path.join(root, 'DATA', 'sub.csv'), dirs, 'the submission')).toThrow(/inside the lab's own data folder/);
  });
});
