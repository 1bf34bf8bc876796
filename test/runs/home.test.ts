/**
 * Strata's home and the run store's default folder: one place for the desktop app, the lab and the
 * CLI, exactly where Electron's app.getPath('userData') puts an app named "Strata" on each platform;
 * and folders that cannot be created, refused with their name and the reason (real file systems).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appDataDir, defaultRunsDir, ensureFolder, FolderError, strataHome } from '../../src-main/runs/home';
import { RunStore } from '../../src-main/runs/store';
import { ensureLabDirs, resolveLabDirs } from '../../src-main/lab/paths';
import { scratchDir } from './helpers';

const linux = { platform: 'linux', homedir: '/home/ada', cwd: '/work' } as const;
const mac = { platform: 'darwin', homedir: '/Users/ada', cwd: '/work' } as const;
const win = { platform: 'win32', homedir: 'C:\\Users\\ada', cwd: 'D:\\work' } as const;

describe('Strata home', () => {
  it('is the app-data folder of an app named Strata, as Electron gives it, on each platform', () => {
    expect(strataHome({ ...linux, env: {} })).toBe('/home/ada/.config/Strata');
    expect(strataHome({ ...linux, env: { XDG_CONFIG_HOME: '/xdg' } })).toBe('/xdg/Strata');
    expect(strataHome({ ...linux, env: { XDG_CONFIG_HOME: '' } })).toBe('/home/ada/.config/Strata');
    expect(strataHome({ ...mac, env: { XDG_CONFIG_HOME: '/xdg' } })).toBe('/Users/ada/Library/Application Support/Strata');
    expect(strataHome({ ...win, env: { APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' } })).toBe('C:\\Users\\ada\\AppData\\Roaming\\Strata');
    expect(strataHome({ ...win, env: {} })).toBe('C:\\Users\\ada\\AppData\\Roaming\\Strata');
    expect(appDataDir({ ...mac, env: {} })).toBe('/Users/ada/Library/Application Support');
  });

  it('is $STRATA_HOME when set (relative to the working folder), an empty one counting as unset', () => {
    expect(strataHome({ ...linux, env: { STRATA_HOME: '/data/strata' } })).toBe('/data/strata');
    expect(strataHome({ ...linux, env: { STRATA_HOME: 'lab' } })).toBe('/work/lab');
    expect(strataHome({ ...linux, env: { STRATA_HOME: '' } })).toBe('/home/ada/.config/Strata');
    expect(strataHome({ ...mac, env: { STRATA_HOME: '/Volumes/x' } })).toBe('/Volumes/x');
    expect(strataHome({ ...win, env: { STRATA_HOME: 'E:\\strata', APPDATA: 'C:\\A' } })).toBe('E:\\strata');
    expect(strataHome({ ...win, env: { STRATA_HOME: 'lab' } })).toBe('D:\\work\\lab');
  });

  it('keeps runs in <home>/runs unless $STRATA_RUNS_DIR says otherwise', () => {
    expect(defaultRunsDir({ ...linux, env: {} })).toBe('/home/ada/.config/Strata/runs');
    expect(defaultRunsDir({ ...mac, env: {} })).toBe('/Users/ada/Library/Application Support/Strata/runs');
    expect(defaultRunsDir({ ...win, env: { APPDATA: 'C:\\R' } })).toBe('C:\\R\\Strata\\runs');
    expect(defaultRunsDir({ ...linux, env: { STRATA_HOME: '/h' } })).toBe('/h/runs');
    expect(defaultRunsDir({ ...linux, env: { STRATA_HOME: '/h', STRATA_RUNS_DIR: '/r' } })).toBe('/r');
    expect(defaultRunsDir({ ...linux, env: { STRATA_RUNS_DIR: 'rel' } })).toBe('/work/rel');
    expect(defaultRunsDir({ ...linux, env: { STRATA_RUNS_DIR: '' } })).toBe('/home/ada/.config/Strata/runs');
  });

  it('gives the lab the same folders: data in the home, runs in <home>/runs; options override', () => {
    expect(resolveLabDirs({}, {}, '/work', linux)).toEqual({ dataDir: '/home/ada/.config/Strata', runsDir: '/home/ada/.config/Strata/runs' });
    expect(resolveLabDirs({}, { APPDATA: 'C:\\R' }, 'D:\\work', win)).toEqual({ dataDir: 'C:\\R\\Strata', runsDir: 'C:\\R\\Strata\\runs' });
    expect(resolveLabDirs({}, {}, '/work', mac).runsDir).toBe(defaultRunsDir({ ...mac, env: {} }));
    expect(resolveLabDirs({}, { STRATA_HOME: '/h', STRATA_RUNS_DIR: '/r' }, '/work', linux)).toEqual({ dataDir: '/h', runsDir: '/r' });
    expect(resolveLabDirs({ dataDir: 'd' }, { STRATA_HOME: '/h' }, '/work', linux)).toEqual({ dataDir: '/work/d', runsDir: '/work/d/runs' });
    expect(resolveLabDirs({ dataDir: 'd', runsDir: '/x' }, { STRATA_RUNS_DIR: '/r' }, '/work', linux)).toEqual({ dataDir: '/work/d', runsDir: '/x' });
  });
});

describe('folders that cannot be created', () => {
  it('creates missing levels and returns the absolute folder', () => {
    const root = scratchDir('mk');
    const dir = path.join(root, 'a', 'b', 'runs');
    expect(ensureFolder(dir, 'runs folder')).toBe(dir);
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    expect(ensureFolder(dir, 'runs folder')).toBe(dir);
  });

  it('names the folder and the file in its way, with what to do', () => {
    const root = scratchDir('file');
    const file = path.join(root, 'home');
    fs.writeFileSync(file, 'not a folder');
    const dir = path.join(file, 'Strata', 'runs');
    const err = (() => {
      try {
        ensureFolder(dir, 'runs folder');
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(FolderError);
    expect((err as FolderError).message).toBe(
      `cannot create the runs folder ${dir}: ${file} is a file, not a folder (set STRATA_RUNS_DIR or --runs-dir to a writable folder)`,
    );
    expect(err).toMatchObject({ path: dir, code: 'ENOTDIR', syscall: 'mkdir' });
    expect(() => ensureFolder(file, 'data folder')).toThrow(
      `cannot create the data folder ${file}: a file of that name is in the way (set STRATA_HOME or --data-dir to a writable folder)`,
    );
    // The store and the lab refuse the same way before opening anything.
    expect(() => RunStore.open(dir)).toThrow(`cannot create the runs folder ${dir}: ${file} is a file, not a folder`);
    expect(() => ensureLabDirs({ dataDir: root, runsDir: dir })).toThrow(FolderError);
    expect(fs.readFileSync(file, 'utf8')).toBe('not a folder');
  });

  it.runIf(process.platform === 'linux')('refuses a folder on a file system that allows no new folders (/sys), even to root', () => {
    const dir = '/sys/strata-test-home/runs';
    expect(() => ensureFolder(dir, 'runs folder')).toThrow(
      /^cannot create the runs folder \/sys\/strata-test-home\/runs: (operation not permitted|permission denied|read-only file system) \(set STRATA_RUNS_DIR or --runs-dir to a writable folder\)$/,
    );
    expect(fs.existsSync('/sys/strata-test-home')).toBe(false);
  });

  it.runIf(process.platform !== 'win32' && process.getuid?.() !== 0)('refuses a read-only folder (not root: chmod binds)', () => {
    const home = scratchDir('ro');
    fs.chmodSync(home, 0o555);
    try {
      const dir = path.join(home, '.config', 'Strata', 'runs');
      expect(() => ensureFolder(dir, 'runs folder')).toThrow(`cannot create the runs folder ${dir}: permission denied (set STRATA_RUNS_DIR or --runs-dir to a writable folder)`);
      expect(() => ensureFolder(home, 'runs folder')).toThrow(`cannot write to the runs folder ${home}: permission denied`);
    } finally {
      fs.chmodSync(home, 0o755);
    }
  });
});
