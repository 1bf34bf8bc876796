/**
 * The desktop app keeps a trainer's crash signal (issue 20 item 8): Electron's utilityProcess 'exit'
 * gives only a number, the signal's for a process a signal ended, and its `child-process-gone`
 * details say which it is. The run's reason then names the signal, as under Node's fork. Without
 * Electron: a stand-in utilityProcess and app, the real launcher and startTrainer.
 */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { TrainJob } from '../../shared/training/protocol';
import { childProcessGone, utilityExit, utilityLauncher, type ProcessGoneDetails, type UtilityChildLike, type UtilityProcessLike } from '../../src-main/electron/utilityLauncher';
import { forkLauncher, setTrainerLauncher, startTrainer } from '../../src-main/lab/trainerHost';

class StandInChild extends EventEmitter implements UtilityChildLike {
  pid: number | undefined = 4321;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  postMessage(): void {}
  kill(): boolean {
    return true;
  }
}

/** A utilityProcess and an Electron app that emits child-process-gone. */
function standIns() {
  const children: StandInChild[] = [];
  const up: UtilityProcessLike = {
    fork: () => {
      const c = new StandInChild();
      children.push(c);
      return c;
    },
  };
  const app = new EventEmitter();
  return { up, app, children, gone: (d: ProcessGoneDetails) => app.emit('child-process-gone', {}, d) };
}

afterEach(() => setTrainerLauncher(forkLauncher));

/** A trainer that ends with utility exit `code`, Electron's details `details` arriving as `order` says. */
async function crash(code: number, details: ProcessGoneDetails | null, order: 'before' | 'after' = 'before') {
  const s = standIns();
  setTrainerLauncher(utilityLauncher(s.up, { processGone: childProcessGone(s.app) }));
  const handle = startTrainer({ runId: 'r1' } as TrainJob);
  const c = s.children[0] as StandInChild;
  if (details && order === 'before') s.gone(details);
  c.emit('exit', code);
  if (details && order === 'after') s.gone(details);
  c.stderr.end();
  c.stdout.end();
  return handle.done;
}

describe('a trainer crash in the desktop app', () => {
  it('names SIGKILL when Electron says the process was killed (exit number 9)', async () => {
    const exit = await crash(9, { type: 'Utility', reason: 'killed', exitCode: 9, serviceName: 'Strata trainer' });
    expect(exit).toMatchObject({ crashed: true, exitCode: null, signal: 'SIGKILL' });
    expect(exit.reason).toBe('the trainer process was killed (SIGKILL; possibly out of memory)');
  });

  it('names SIGSEGV for a crash, the details coming after the exit', async () => {
    const exit = await crash(11, { type: 'Utility', reason: 'crashed', exitCode: 11, serviceName: 'Strata trainer' }, 'after');
    expect(exit).toMatchObject({ signal: 'SIGSEGV', exitCode: null });
    expect(exit.reason).toBe('the trainer process died from signal SIGSEGV');
  });

  it('keeps an exit code an exit code: exit(9), another service gone, or no details', async () => {
    for (const details of [
      { type: 'Utility', reason: 'abnormal-exit', exitCode: 9, serviceName: 'Strata trainer' },
      { type: 'Utility', reason: 'killed', exitCode: 9, serviceName: 'Network Service' },
      { type: 'GPU', reason: 'killed', exitCode: 9 },
      null,
    ]) {
      const exit = await crash(9, details);
      expect(exit, JSON.stringify(details)).toMatchObject({ exitCode: 9, signal: null });
      expect(exit.reason).toBe('the trainer process exited with code 9 before finishing the run');
    }
  });

  it("does not take a stale report for a later trainer's exit(9), and matches on the pid where a report has one", async () => {
    const s = standIns();
    let clock = 0;
    setTrainerLauncher(utilityLauncher(s.up, { processGone: childProcessGone(s.app), now: () => clock }));
    const killed = { type: 'Utility', reason: 'killed', exitCode: 9, serviceName: 'Strata trainer' };
    /** Starts a trainer (pid `pid`), lets `before` happen, and ends it with exit 9. */
    const run = (pid: number, before: () => void) => {
      const handle = startTrainer({ runId: 'r1' } as TrainJob);
      const c = s.children[s.children.length - 1] as StandInChild;
      c.pid = pid;
      c.emit('spawn');
      before();
      c.emit('exit', 9);
      c.pid = undefined; // as Electron clears it after 'exit'
      c.stderr.end();
      c.stdout.end();
      return handle.done;
    };
    // A report no exit took (a trainer whose exit was reported before it came); 5 s later another trainer exits with 9.
    s.gone(killed);
    clock = 5000;
    expect(await run(100, () => {})).toMatchObject({ exitCode: 9, signal: null });
    // A fresh report within the window is still its exit's.
    expect(await run(101, () => s.gone(killed))).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
    // With a pid, another process's report is not this trainer's, however fresh; its own is.
    expect(await run(102, () => s.gone({ ...killed, pid: 999 }))).toMatchObject({ exitCode: 9, signal: null });
    clock += 10_000;
    expect(await run(103, () => s.gone({ ...killed, pid: 103 }))).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
  });

  it('reads Windows exit codes as codes', () => {
    expect(utilityExit(9, { type: 'Utility', reason: 'killed', exitCode: 9 }, 'win32')).toEqual({ code: 9, signal: null });
    expect(utilityExit(6, { type: 'Utility', reason: 'crashed', exitCode: 6 }, 'linux')).toEqual({ code: null, signal: 'SIGABRT' });
  });
});
