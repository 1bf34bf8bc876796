/**
 * The desktop trainer launcher on a stand-in of Electron's utilityProcess (EventEmitter + real
 * streams): output captured line by line and as a tail, exits held until stderr has ended, crash
 * reasons with the stderr tail, and signals sent for real through the pid.
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { TrainJob } from '../../shared/training/protocol';
import { utilityLauncher, type UtilityChildLike, type UtilityProcessLike } from '../../src-main/electron/utilityLauncher';
import { forkLauncher, setTrainerLauncher, startTrainer } from '../../src-main/lab/trainerHost';

class FakeChild extends EventEmitter implements UtilityChildLike {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly posted: unknown[] = [];
  killed = 0;
  constructor(readonly pid: number | undefined) {
    super();
  }
  postMessage(m: unknown): void {
    this.posted.push(m);
  }
  kill(): boolean {
    this.killed++;
    return true;
  }
}

function fakeUtility(pid: number | 'none' = 4321) {
  const forks: { modulePath: string; options: Parameters<UtilityProcessLike['fork']>[2] }[] = [];
  const children: FakeChild[] = [];
  const up: UtilityProcessLike = {
    fork: (modulePath, _args, options) => {
      forks.push({ modulePath, options });
      const c = new FakeChild(pid === 'none' ? undefined : pid);
      children.push(c);
      return c;
    },
  };
  return { up, forks, children };
}

const entry = { file: '/app/dist/main/training/trainerProcess.js', execArgv: [] };
afterEach(() => setTrainerLauncher(forkLauncher));

describe('utilityLauncher', () => {
  it('forks with piped stdio and sends every output line to the log, tagged', async () => {
    const f = fakeUtility();
    const lines: string[] = [];
    const child = utilityLauncher(f.up, { onLine: (line, stream, pid) => lines.push(`${pid} ${stream}: ${line}`) })(entry, { A: '1' });
    expect(f.forks[0]).toEqual({ modulePath: entry.file, options: { serviceName: 'Strata trainer', stdio: 'pipe', env: { A: '1' } } });
    const c = f.children[0] as FakeChild;
    c.stdout.write('epoch 1 done\npart');
    c.stderr.write('warning: something\n');
    c.stdout.end('ial line');
    c.stderr.end();
    const exit = new Promise<number | null>((resolve) => child.onExit((code) => resolve(code)));
    c.emit('exit', 0);
    expect(await exit).toBe(0);
    expect(lines).toEqual(['4321 stdout: epoch 1 done', '4321 stderr: warning: something', '4321 stdout: partial line']);
    child.send({ type: 'pause' });
    expect(c.posted).toEqual([{ type: 'pause' }]);
  });

  it('reports an exit only after stderr has ended, so the tail is complete', async () => {
    const f = fakeUtility();
    const child = utilityLauncher(f.up)(entry, {});
    const c = f.children[0] as FakeChild;
    let exited = false;
    const exit = new Promise<void>((resolve) =>
      child.onExit(() => {
        exited = true;
        resolve();
      }),
    );
    c.stderr.write('first\n');
    c.emit('exit', 134);
    await new Promise((r) => setTimeout(r, 50));
    expect(exited).toBe(false);
    c.stderr.end('FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n');
    c.stdout.end();
    await exit;
    expect(child.stderrTail?.()).toBe('first\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n');
  });

  it("puts the crashed trainer's stderr into the run's failure reason", async () => {
    const f = fakeUtility();
    setTrainerLauncher(utilityLauncher(f.up));
    const handle = startTrainer({ runId: 'r1' } as TrainJob);
    const c = f.children[0] as FakeChild;
    expect(c.posted[0]).toMatchObject({ type: 'start' });
    c.stderr.end('Error: the run store cannot open: database is locked\n    at open (store.js:1:1)\n');
    c.stdout.end();
    c.emit('exit', 1);
    const exit = await handle.done;
    expect(exit).toMatchObject({ status: 'interrupted', crashed: true, exitCode: 1 });
    expect(exit.reason).toBe('the trainer process exited with code 1 before finishing the run; last stderr: Error: the run store cannot open: database is locked');
  });

  it('sends the signal asked for through the pid (utilityProcess.kill() only sends SIGTERM)', async () => {
    const real = spawn('sleep', ['30'], { stdio: 'ignore' });
    const ended = new Promise<NodeJS.Signals | null>((resolve) => real.on('exit', (_code, signal) => resolve(signal)));
    const f = fakeUtility(real.pid ?? 'none');
    utilityLauncher(f.up)(entry, {}).kill('SIGKILL');
    expect(await ended).toBe('SIGKILL');
    expect((f.children[0] as FakeChild).killed).toBe(0);
  });

  it('falls back to kill() without a pid, and ignores a process that is already gone', () => {
    const f = fakeUtility('none');
    utilityLauncher(f.up)(entry, {}).kill('SIGKILL');
    expect((f.children[0] as FakeChild).killed).toBe(1);

    const gone = fakeUtility(999_999);
    const signals: string[] = [];
    const esrch = Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' });
    utilityLauncher(gone.up, {
      signal: (pid, s) => {
        signals.push(`${pid} ${s}`);
        throw esrch;
      },
    })(entry, {}).kill('SIGABRT');
    expect(signals).toEqual(['999999 SIGABRT']);
    expect((gone.children[0] as FakeChild).killed).toBe(0);
  });
});
