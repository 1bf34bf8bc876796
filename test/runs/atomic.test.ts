import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AtomicWriteError, writeFileAtomic } from '../../src-main/runs/atomic';
import { REPO_ROOT } from '../helpers/paths';
import { mountSmallDisk, scratchDir } from './helpers';

const isRoot = process.getuid?.() === 0;

function caught(f: () => void): AtomicWriteError {
  try {
    f();
  } catch (e) {
    if (e instanceof AtomicWriteError) return e;
    throw e;
  }
  throw new Error('expected an AtomicWriteError');
}

describe('writeFileAtomic', () => {
  it('creates and replaces a file, chunks in order, leaving nothing else behind', () => {
    const dir = scratchDir('atomic');
    const file = path.join(dir, 'a.json');
    writeFileAtomic(file, 'first');
    writeFileAtomic(file, [Uint8Array.from([104, 105]), Buffer.from(' there')]);
    expect(fs.readFileSync(file, 'utf8')).toBe('hi there');
    expect(fs.readdirSync(dir)).toEqual(['a.json']);
  });

  it('fails at the rename when a directory is in the way, removing its temp file', () => {
    const dir = scratchDir('atomic-dir');
    const target = path.join(dir, 'manifest.json');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'keep'), 'x');
    const e = caught(() => writeFileAtomic(target, 'new'));
    expect(e.code).toBe('EISDIR');
    expect(e.step).toBe('rename');
    expect(e.path).toBe(target);
    expect(e.message).toBe(`Could not write ${target}: a directory is in the way (EISDIR, during rename)`);
    expect(fs.readdirSync(dir)).toEqual(['manifest.json']);
    expect(fs.readFileSync(path.join(target, 'keep'), 'utf8')).toBe('x');
  });

  it('names the missing folder', () => {
    const dir = scratchDir('atomic-nodir');
    const target = path.join(dir, 'gone', 'a.bin');
    const e = caught(() => writeFileAtomic(target, new Uint8Array(3)));
    expect([e.code, e.step]).toEqual(['ENOENT', 'open']);
    expect(e.message).toContain(target);
  });

  // A real failure halfway through the data, as a full disk gives: the child runs under a 64 KiB
  // file size limit (ulimit -f), so writing 1 MiB fails with EFBIG after the first 64 KiB.
  it.skipIf(process.platform === 'win32')('keeps the old file when the write fails halfway (file size limit)', () => {
    const dir = scratchDir('atomic-efbig');
    const target = path.join(dir, 'last.bin');
    fs.writeFileSync(target, 'old checkpoint');
    const fixture = path.join(REPO_ROOT, 'test/runs/fixtures/atomic-writer.ts');
    const r = spawnSync('bash', ['-c', 'ulimit -f 64 && exec "$0" --import tsx "$1" "$2" "$3"', process.execPath, fixture, target, String(1 << 20)], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { ok: boolean; code: string; step: string; path: string; message: string };
    expect(out).toMatchObject({ ok: false, code: 'EFBIG', step: 'write', path: target });
    expect(out.message).toContain(`Could not write ${target}`);
    expect(fs.readFileSync(target, 'utf8')).toBe('old checkpoint');
    expect(fs.readdirSync(dir)).toEqual(['last.bin']);
  });

  // A real read-only file system: a tmpfs the test mounts and remounts read-only (as root; where
  // mounting is not allowed it says why and skips). Root ignores permission bits, so this is the
  // read-only case that runs as root; the EACCES one below runs for ordinary users.
  const roDisk = mountSmallDisk('atomic-ro', '1m');
  if (typeof roDisk === 'string') console.warn(`atomic.test.ts read-only mount case skipped: ${roDisk}`);
  it.skipIf(typeof roDisk === 'string')('keeps the old file on a read-only file system (EROFS, a real read-only mount)', () => {
    const d = roDisk as Exclude<typeof roDisk, string>;
    const target = path.join(d.dir, 'run.json');
    fs.writeFileSync(target, 'old');
    d.readOnly();
    const e = caught(() => writeFileAtomic(target, 'new'));
    expect([e.code, e.step, e.path]).toEqual(['EROFS', 'open', target]);
    expect(e.message).toBe(`Could not write ${target}: the file system is read-only (EROFS, during open)`);
    expect(fs.readFileSync(target, 'utf8')).toBe('old');
    expect(fs.readdirSync(d.dir)).toEqual(['run.json']);
  });

  // Root ignores permission bits, so this one only runs for ordinary users.
  it.skipIf(isRoot || process.platform === 'win32')('keeps the old file in a read-only folder (EACCES)', () => {
    const dir = scratchDir('atomic-ro');
    const target = path.join(dir, 'run.json');
    fs.writeFileSync(target, 'old');
    fs.chmodSync(dir, 0o555);
    try {
      const e = caught(() => writeFileAtomic(target, 'new'));
      expect(e.code).toBe('EACCES');
      expect(e.message).toContain('permission denied');
    } finally {
      fs.chmodSync(dir, 0o755);
    }
    expect(fs.readFileSync(target, 'utf8')).toBe('old');
    expect(fs.readdirSync(dir)).toEqual(['run.json']);
  });
});
