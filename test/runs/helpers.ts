/** Scratch folders for the run store tests, removed when the test file is done. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll } from 'vitest';

const made: string[] = [];
afterAll(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh empty folder under the system temp folder. */
export function scratchDir(tag: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `strata-runs-${tag}-`));
  made.push(d);
  return d;
}

/** A size-limited tmpfs mounted for a test (we run as root), or why none could be mounted. */
export type SmallDisk = { dir: string; fill: () => void; free: () => void; readOnly: () => void; unmount: () => void };

/**
 * Mounts a tmpfs of `size` (`2m`) on a fresh folder: a real small file system on which writes fail
 * with ENOSPC (or EROFS once `readOnly()` remounted it). `fill()` takes up all its free space with
 * one file, `free()` removes that file. Returns the reason instead where mounting is not allowed
 * (not root, no CAP_SYS_ADMIN, not Linux). Unmounted by `unmount()` and after the test file.
 */
export function mountSmallDisk(tag: string, size: string): SmallDisk | string {
  if (process.platform !== 'linux') return 'mounting a tmpfs needs Linux';
  const dir = scratchDir(`disk-${tag}`);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return `cannot mount a tmpfs (${(r.error?.message ?? r.stderr).trim()}); run as root where mounting is allowed`;
  let mounted = true;
  const filler = path.join(dir, 'filler');
  const unmount = () => {
    if (!mounted) return;
    mounted = false;
    spawnSync('umount', ['-l', dir]);
  };
  mounts.push(unmount);
  return {
    dir,
    fill: () => {
      const fd = fs.openSync(filler, 'a');
      const block = Buffer.alloc(4096, 1);
      try {
        for (;;) fs.writeSync(fd, block);
      } catch (e) {
        if (!(e instanceof Error && 'code' in e && e.code === 'ENOSPC')) throw e;
      } finally {
        fs.closeSync(fd);
      }
    },
    free: () => fs.rmSync(filler, { force: true }),
    readOnly: () => {
      const ro = spawnSync('mount', ['-o', 'remount,ro', dir], { encoding: 'utf8' });
      if (ro.status !== 0) throw new Error(`cannot remount ${dir} read-only: ${ro.stderr}`);
    },
    unmount,
  };
}

const mounts: (() => void)[] = [];
afterAll(() => {
  for (const u of mounts.splice(0)) u();
});
