/**
 * The desktop start-up sequence with its Electron calls recorded and the real lab behind it: a
 * normal start, a second instance, and failures (a runs folder that cannot be created, a window that
 * fails to load) that show an error box naming the problem and the log, release what was opened and
 * exit with code 1.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLogs } from '../../src-main/electron/logging';
import { startDesktop, startupErrorText, type StartupDeps } from '../../src-main/electron/startup';
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
    // The store makes runs/ inside the runs folder; mkdir fails on the first path under the file.
    const content = s.boxes[0]?.content ?? '';
    expect(content.startsWith(`Strata cannot use the folder ${runsDir}`), content).toBe(true);
    expect(content).toContain(': a file is in the way of that folder (ENOTDIR, mkdir)');
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
