/**
 * One store location, as users meet it: the CLI and `npm run lab` as real processes find runs in
 * Strata's home ($STRATA_HOME, else the platform's app-data folder) and say which folder they cannot
 * create, and why, when the home is read-only.
 *
 * Root ignores permission bits, so where the tests run as root the read-only home is checked with
 * the command run as the unprivileged user `nobody` (uid 65534): the same real EACCES a user meets.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-home-'));
// Traversable by `nobody`, for the read-only cases below.
chmodSync(tmp, 0o755);
afterAll(() => {
  chmodSync(tmp, 0o755);
  rmSync(tmp, { recursive: true, force: true });
});

const { STRATA_RUNS_DIR: _r, STRATA_HOME: _h, XDG_CONFIG_HOME: _x, ...inherited } = process.env;
const asRoot = process.getuid?.() === 0;

function run(script: string, args: string[], env: NodeJS.ProcessEnv, asUser = false): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, script), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...inherited, ...env },
    timeout: 60_000,
    ...(asUser && asRoot ? { uid: 65534, gid: 65534 } : {}),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const strata = (args: string[], env: NodeJS.ProcessEnv, asUser = false) => run('src-main/cli/strata.ts', args, env, asUser);

describe('where runs live', () => {
  it('the CLI keeps runs in $STRATA_HOME/runs', () => {
    const home = path.join(tmp, 'home');
    const r = strata(['runs', 'list', '--json'], { STRATA_HOME: home });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ runsDir: path.join(home, 'runs'), runs: [] });
    expect(existsSync(path.join(home, 'runs', 'index.sqlite'))).toBe(true);
  });

  it.runIf(process.platform === 'linux')('without STRATA_HOME, the CLI keeps runs in ~/.config/Strata/runs, as the desktop app', () => {
    const userHome = path.join(tmp, 'user');
    const r = strata(['runs', 'list', '--json'], { HOME: userHome });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { runsDir: string }).runsDir).toBe(path.join(userHome, '.config', 'Strata', 'runs'));
    const x = strata(['runs', 'list', '--json'], { HOME: userHome, XDG_CONFIG_HOME: path.join(tmp, 'xdg') });
    expect((JSON.parse(x.stdout) as { runsDir: string }).runsDir).toBe(path.join(tmp, 'xdg', 'Strata', 'runs'));
  });

  describe.runIf(process.platform !== 'win32')('a read-only home', () => {
    const readOnly = path.join(tmp, 'read-only');
    const setUp = () => {
      mkdirSync(readOnly, { recursive: true });
      chmodSync(readOnly, 0o555);
    };

    it('the CLI names the runs folder it cannot create and why, and exits 2', () => {
      setUp();
      const runsDir = path.join(readOnly, '.config', 'Strata', 'runs');
      const r = strata(['runs', 'list', '--json'], { HOME: readOnly }, true);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`strata: cannot create the runs folder ${runsDir}: permission denied (set STRATA_RUNS_DIR or --runs-dir to a writable folder)\n`);
      expect(r.code).toBe(2);
      const opt = strata(['runs', 'list', '--runs-dir', path.join(readOnly, 'mine')], {}, true);
      expect(opt.stderr).toBe(`strata: cannot create the runs folder ${path.join(readOnly, 'mine')}: permission denied (set STRATA_RUNS_DIR or --runs-dir to a writable folder)\n`);
      expect(opt.code).toBe(2);
      expect(existsSync(path.join(readOnly, '.config'))).toBe(false);
    });

    it('`npm run lab` names the data folder it cannot create and why, and exits 1', () => {
      setUp();
      const r = run('src-main/lab/transport/http/main.ts', ['--port', '0'], { HOME: readOnly }, true);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`lab: cannot create the data folder ${path.join(readOnly, '.config', 'Strata')}: permission denied (set STRATA_HOME or --data-dir to a writable folder)\n`);
      expect(r.code).toBe(1);
    });
  });
});
