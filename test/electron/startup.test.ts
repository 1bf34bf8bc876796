/**
 * The desktop start-up sequence with its Electron calls recorded and the real lab behind it: a
 * normal start, a second instance, and failures (a runs folder that cannot be created, a read-only
 * home, logs that cannot be opened, a window that fails to load) that show an error box naming the
 * problem and the log, release what was opened and exit with code 1.
 *
 * Root ignores permission bits, so where the tests run as root the read-only home is checked in a
 * child process run as the unprivileged user `nobody` (uid 65534), as test/cli/home.test.ts does.
 */
import type { BackendInfo, RunsChanged } from '../../shared/api/types';
import type { RunStatus } from '../../shared/runs/types';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLogs } from '../../src-main/electron/logging';
import { logLabActivity, startDesktop, startupErrorText, startupMessage, type StartupDeps, type StartupLab } from '../../src-main/electron/startup';
import { ensureLabDirs, resolveLabDirs, type LabDirs } from '../../src-main/lab/paths';
import { LabService } from '../../src-main/lab/service';
import { ensureFolder } from '../../src-main/runs/home';
import { REPO_ROOT } from '../helpers/paths';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-startup-'));
// Traversable by `nobody`, for the read-only case below.
chmodSync(tmp, 0o755);
afterAll(() => {
  chmodSync(tmp, 0o755);
  rmSync(tmp, { recursive: true, force: true });
});

function deps(env: NodeJS.ProcessEnv, opts: { lock?: boolean; createUi?: (lab: LabService) => Promise<void>; openLogs?: () => never } = {}) {
  const calls: string[] = [];
  const boxes: { title: string; content: string }[] = [];
  const logs = openLogs(path.join(tmp, `logs-${Math.random().toString(36).slice(2)}`));
  let opened: LabService | null = null;
  const d: StartupDeps<LabService> = {
    logsDir: logs.dir,
    openLogs: () => {
      calls.push('logs');
      if (opts.openLogs) opts.openLogs();
      return { log: logs.main, logFile: logs.mainFile };
    },
    describe: () => ({ electron: 'stand-in' }),
    requestSingleInstanceLock: () => {
      calls.push('lock');
      return opts.lock ?? true;
    },
    releaseSingleInstanceLock: () => calls.push('unlock'),
    setUp: () => calls.push('set up'),
    whenReady: () => {
      calls.push('ready');
      return Promise.resolve();
    },
    resolveDirs: () => resolveLabDirs({}, env, tmp),
    openLab: (dirs: LabDirs) => {
      calls.push('open lab');
      opened = LabService.open(dirs);
      return opened;
    },
    createUi: async (lab) => {
      calls.push('ui');
      await opts.createUi?.(lab);
    },
    showErrorBox: (title, content) => {
      calls.push('error box');
      boxes.push({ title, content });
    },
    quit: () => calls.push('quit'),
    exit: (code) => calls.push(`exit ${code}`),
  };
  return { d, calls, boxes, logs, lab: () => opened };
}

describe('desktop start-up', () => {
  it('takes the lock, opens the lab in the folders resolved, builds the window, and logs it', async () => {
    const home = path.join(tmp, 'ok-home');
    const s = deps({ STRATA_HOME: home });
    expect(await startDesktop(s.d)).toEqual({ kind: 'started' });
    expect(s.calls).toEqual(['logs', 'lock', 'set up', 'ready', 'open lab', 'ui']);
    expect(s.lab()?.dirs).toEqual({ dataDir: home, runsDir: path.join(home, 'runs') });
    const log = readFileSync(s.logs.mainFile, 'utf8');
    expect(log).toContain("Strata starting { electron: 'stand-in' }");
    expect(log).toContain(`lab folders: data ${home}, runs ${path.join(home, 'runs')}`);
    expect(log).toContain('window loaded');
    await s.lab()?.close();
  });

  it('hands over to the running instance without opening anything', async () => {
    const s = deps({ STRATA_HOME: path.join(tmp, 'second') }, { lock: false });
    expect(await startDesktop(s.d)).toEqual({ kind: 'second-instance' });
    expect(s.calls).toEqual(['logs', 'lock', 'quit']);
  });

  it('a runs folder under a regular file: an error box naming it and the log, unlock, exit 1', async () => {
    const file = path.join(tmp, 'not-a-folder');
    writeFileSync(file, 'a file where the runs folder should go');
    const runsDir = path.join(file, 'runs');
    const s = deps({ STRATA_HOME: path.join(tmp, 'bad-home'), STRATA_RUNS_DIR: runsDir });
    const outcome = await startDesktop(s.d);
    expect(outcome.kind).toBe('failed');
    expect(s.calls).toEqual(['logs', 'lock', 'set up', 'ready', 'open lab', 'error box', 'unlock', 'exit 1']);
    expect(s.boxes[0]?.title).toBe('Strata could not start');
    const content = s.boxes[0]?.content ?? '';
    expect(content).toContain(runsDir);
    expect(content).toBe(`cannot create the runs folder ${runsDir}: ${file} is a file, not a folder (set STRATA_RUNS_DIR, or STRATA_HOME, to a writable folder)\n\nThe log has the details: ${s.logs.mainFile}`);
    expect(s.boxes[0]?.content).toContain(`The log has the details: ${s.logs.mainFile}`);
    expect(readFileSync(s.logs.mainFile, 'utf8')).toMatch(/\[error\]\s+start-up failed:/);
  });

  it('a failure after the lab opened closes the lab (its folder lock is free again) before exiting', async () => {
    const home = path.join(tmp, 'ui-fails');
    const s = deps({ STRATA_HOME: home }, { createUi: () => Promise.reject(new Error('ERR_FILE_NOT_FOUND (-6) loading dist/renderer/index.html')) });
    expect(await startDesktop(s.d)).toEqual({ kind: 'failed', message: 'ERR_FILE_NOT_FOUND (-6) loading dist/renderer/index.html' });
    expect(s.calls).toEqual(['logs', 'lock', 'set up', 'ready', 'open lab', 'ui', 'error box', 'unlock', 'exit 1']);
    expect(s.boxes[0]?.content).toBe(startupErrorText(new Error('ERR_FILE_NOT_FOUND (-6) loading dist/renderer/index.html'), s.logs.mainFile));
    // Another lab can take the data folder: the failed start released it.
    const again = LabService.open({ dataDir: home, runsDir: path.join(home, 'runs') });
    await again.close();
  });

  it('logs that cannot be opened: the failure goes to main.log with plain fs, the error box names it, exit 1', async () => {
    const s = deps({ STRATA_HOME: path.join(tmp, 'no-logs') }, {
      openLogs: () => {
        throw new Error('electron-log could not be set up');
      },
    });
    expect(await startDesktop(s.d)).toEqual({ kind: 'failed', message: 'electron-log could not be set up' });
    // Nothing else started; the lock was never taken, so it is not released. Electron is ready before the box.
    expect(s.calls).toEqual(['logs', 'ready', 'error box', 'exit 1']);
    const mainLog = path.join(s.d.logsDir, 'main.log');
    expect(s.boxes[0]?.content).toBe(`electron-log could not be set up\n\nThe log has the details: ${mainLog}`);
    expect(readFileSync(mainLog, 'utf8')).toMatch(/^\[\d{4}-\d\d-\d\d [\d:.]+\] \[error\] start-up failed: Error: electron-log could not be set up/m);
  });

  describe.runIf(process.platform !== 'win32')('a read-only STRATA_HOME', () => {
    // A child process (as `nobody` under root) runs the real start-up sequence on the real folder
    // functions and prints the error box it would show.
    const script = `
      import { startDesktop } from './src-main/electron/startup.ts';
      import { ensureLabDirs, resolveLabDirs } from './src-main/lab/paths.ts';
      const boxes = [];
      const quiet = { info() {}, warn() {}, error() {} };
      await startDesktop({
        logsDir: process.env.LOGS, openLogs: () => ({ log: quiet, logFile: process.env.LOGS + '/main.log' }),
        describe: () => ({}), requestSingleInstanceLock: () => true, releaseSingleInstanceLock() {}, setUp() {},
        whenReady: async () => {}, resolveDirs: () => ensureLabDirs(resolveLabDirs({})),
        openLab: () => { throw new Error('opened a lab in a read-only home'); }, createUi: async () => {},
        showErrorBox: (title, content) => boxes.push({ title, content }), quit() {},
        exit: (code) => { process.stdout.write(JSON.stringify({ code, boxes })); },
      });`;
    const runAsUser = (env: NodeJS.ProcessEnv) => {
      const { STRATA_HOME: _h, STRATA_RUNS_DIR: _r, ...base } = process.env;
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { ...base, ...env },
        timeout: 60_000,
        ...(process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}),
      });
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout) as { code: number; boxes: { title: string; content: string }[] };
    };

    it('names the data folder it cannot write to, why, and the desktop hint (STRATA_HOME, no --data-dir)', () => {
      const home = path.join(tmp, 'read-only-home');
      mkdirSync(home);
      chmodSync(home, 0o555);
      const out = runAsUser({ STRATA_HOME: home, LOGS: '/logs' });
      expect(out).toEqual({
        code: 1,
        boxes: [{ title: 'Strata could not start', content: `cannot write to the data folder ${home}: permission denied (set STRATA_HOME to a writable folder)\n\nThe log has the details: /logs/main.log` }],
      });
    });

    it('names the runs folder it cannot create under a read-only parent, with STRATA_RUNS_DIR in the hint', () => {
      const parent = path.join(tmp, 'read-only-parent');
      mkdirSync(parent);
      chmodSync(parent, 0o555);
      const home = path.join(tmp, 'writable-home');
      mkdirSync(home, { mode: 0o777 });
      chmodSync(home, 0o777);
      const runsDir = path.join(parent, 'runs');
      const out = runAsUser({ STRATA_HOME: home, STRATA_RUNS_DIR: runsDir, LOGS: '/logs' });
      expect(out.code).toBe(1);
      expect(out.boxes[0]?.content).toBe(`cannot create the runs folder ${runsDir}: permission denied (set STRATA_RUNS_DIR, or STRATA_HOME, to a writable folder)\n\nThe log has the details: /logs/main.log`);
      expect(existsSync(runsDir)).toBe(false);
    });
  });
});

describe('the error box text', () => {
  it('names the folder and the problem of a file-system error, and the log', () => {
    const file = path.join(tmp, 'in-the-way');
    writeFileSync(file, '');
    let err: unknown;
    try {
      mkdirSync(path.join(file, 'runs'), { recursive: true });
    } catch (e) {
      err = e;
    }
    expect(startupErrorText(err, '/logs/main.log')).toBe(
      `Strata cannot use the folder ${path.join(file, 'runs')}: a file is in the way of that folder (ENOTDIR, mkdir)\n\nThe log has the details: /logs/main.log`,
    );
    expect(startupErrorText(new Error('could not take the lock /home/u/lab.lock'), '/l')).toBe('could not take the lock /home/u/lab.lock\n\nThe log has the details: /l');
  });

  it("keeps a FolderError's own text, with the hint for the desktop app in place of the CLI's options", () => {
    const file = path.join(tmp, 'folder-error-file');
    writeFileSync(file, '');
    const failure = (dirs: LabDirs): unknown => {
      try {
        ensureLabDirs(dirs);
      } catch (e) {
        return e;
      }
      throw new Error('ensureLabDirs did not fail');
    };
    const runs = failure({ dataDir: tmp, runsDir: path.join(file, 'runs') });
    expect((runs as Error).message).toContain('--runs-dir');
    expect(startupMessage(runs)).toBe(`cannot create the runs folder ${path.join(file, 'runs')}: ${file} is a file, not a folder (set STRATA_RUNS_DIR, or STRATA_HOME, to a writable folder)`);
    const data = failure({ dataDir: file, runsDir: path.join(tmp, 'runs') });
    expect(startupMessage(data)).toBe(`cannot create the data folder ${file}: a file of that name is in the way (set STRATA_HOME to a writable folder)`);
    expect(startupMessage(data)).not.toContain('--data-dir');
    // The same error from ensureFolder directly, and a FolderError whose hint is unknown: its text as it is.
    let direct: unknown;
    try {
      ensureFolder(path.join(file, 'x'), 'runs folder');
    } catch (e) {
      direct = e;
    }
    expect(startupMessage(direct)).toMatch(/^cannot create the runs folder .*\(set STRATA_RUNS_DIR, or STRATA_HOME, to a writable folder\)$/);
    const odd = Object.assign(new Error('cannot create the runs folder /x: odd (no hint)'), { name: 'FolderError', code: 'EIO', path: '/x' });
    expect(startupMessage(odd)).toBe('cannot create the runs folder /x: odd (no hint)');
  });
});

describe('the lab activity log', () => {
  it('logs the backend once the probe answers, and each run status change once (failures as warnings)', () => {
    const listeners: ((e: RunsChanged) => void)[] = [];
    const runs = new Map<string, { status: RunStatus; statusReason: string | null }>();
    let backend: BackendInfo = { last: null, note: '', available: null, probeProblem: null };
    const lab: StartupLab = {
      close: () => Promise.resolve(),
      getBackendInfo: () => backend,
      onRunsChanged: (_p, l) => {
        listeners.push(l);
        return () => undefined;
      },
      getRun: ({ id }) => {
        const r = runs.get(id);
        if (!r) throw new Error(`no run ${id}`);
        return r;
      },
    };
    const lines: string[] = [];
    const log = { info: (...a: unknown[]) => lines.push(`info ${a.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' ')}`), warn: (...a: unknown[]) => lines.push(`warn ${a.join(' ')}`), error: () => undefined };
    logLabActivity(lab, log);
    const emit = (e: RunsChanged) => listeners.forEach((l) => l(e));

    runs.set('r1', { status: 'running', statusReason: null });
    emit({ change: 'status', runId: 'r1' });
    emit({ change: 'progress', runId: 'r1' });
    emit({ change: 'status', runId: 'r1' });
    backend = { ...backend, available: { backend: { name: 'wasm', detail: '2 threads · SIMD', threads: 2 }, skipped: [] } };
    emit({ change: 'status', runId: null });
    emit({ change: 'status', runId: null });
    runs.set('r1', { status: 'interrupted', statusReason: 'the trainer process was killed (SIGKILL; possibly out of memory)' });
    emit({ change: 'status', runId: 'r1' });
    emit({ change: 'status', runId: 'gone' });
    expect(lines).toEqual([
      'info run r1: running',
      'info backend {"name":"wasm","detail":"2 threads · SIMD","threads":2} skipped []',
      'warn run r1: interrupted (the trainer process was killed (SIGKILL; possibly out of memory))',
    ]);
  });
});
