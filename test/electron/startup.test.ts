/**
 * The desktop start-up sequence with its Electron calls recorded and the real lab behind it: a
 * normal start, a second instance, and failures (a runs folder that cannot be created, a window that
 * fails to load) that show an error box naming the problem and the log, release what was opened and
 * exit with code 1.
 */
import type { BackendInfo, RunsChanged } from '../../shared/api/types';
import type { RunStatus } from '../../shared/runs/types';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLogs } from '../../src-main/electron/logging';
import { logLabActivity, startDesktop, startupErrorText, type StartupDeps, type StartupLab } from '../../src-main/electron/startup';
import { resolveLabDirs, type LabDirs } from '../../src-main/lab/paths';
import { LabService } from '../../src-main/lab/service';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-startup-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function deps(env: NodeJS.ProcessEnv, opts: { lock?: boolean; createUi?: (lab: LabService) => Promise<void> } = {}) {
  const calls: string[] = [];
  const boxes: { title: string; content: string }[] = [];
  const logs = openLogs(path.join(tmp, `logs-${Math.random().toString(36).slice(2)}`));
  let opened: LabService | null = null;
  const d: StartupDeps<LabService> = {
    log: logs.main,
    logFile: logs.mainFile,
    describe: () => ({ electron: 'stand-in' }),
    requestSingleInstanceLock: () => {
      calls.push('lock');
      return opts.lock ?? true;
    },
    releaseSingleInstanceLock: () => calls.push('unlock'),
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
    expect(s.calls).toEqual(['lock', 'ready', 'open lab', 'ui']);
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
    expect(s.calls).toEqual(['lock', 'quit']);
  });

  it('a runs folder under a regular file: an error box naming it and the log, unlock, exit 1', async () => {
    const file = path.join(tmp, 'not-a-folder');
    writeFileSync(file, 'a file where the runs folder should go');
    const runsDir = path.join(file, 'runs');
    const s = deps({ STRATA_HOME: path.join(tmp, 'bad-home'), STRATA_RUNS_DIR: runsDir });
    const outcome = await startDesktop(s.d);
    expect(outcome.kind).toBe('failed');
    expect(s.calls).toEqual(['lock', 'ready', 'open lab', 'error box', 'unlock', 'exit 1']);
    expect(s.boxes[0]?.title).toBe('Strata could not start');
    const content = s.boxes[0]?.content ?? '';
    expect(content).toContain(runsDir);
    expect(s.boxes[0]?.content).toContain(`The log has the details: ${s.logs.mainFile}`);
    expect(readFileSync(s.logs.mainFile, 'utf8')).toMatch(/\[error\]\s+start-up failed:/);
  });

  it('a failure after the lab opened closes the lab (its folder lock is free again) before exiting', async () => {
    const home = path.join(tmp, 'ui-fails');
    const s = deps({ STRATA_HOME: home }, { createUi: () => Promise.reject(new Error('ERR_FILE_NOT_FOUND (-6) loading dist/renderer/index.html')) });
    expect(await startDesktop(s.d)).toEqual({ kind: 'failed', message: 'ERR_FILE_NOT_FOUND (-6) loading dist/renderer/index.html' });
    expect(s.calls).toEqual(['lock', 'ready', 'open lab', 'ui', 'error box', 'unlock', 'exit 1']);
    expect(s.boxes[0]?.content).toBe(startupErrorText(new Error('ERR_FILE_NOT_FOUND (-6) loading dist/renderer/index.html'), s.logs.mainFile));
    // Another lab can take the data folder: the failed start released it.
    const again = LabService.open({ dataDir: home, runsDir: path.join(home, 'runs') });
    await again.close();
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
