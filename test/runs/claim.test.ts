/**
 * A run is claimed atomically: two real processes race for the same run, round after round, and
 * exactly one wins each time; the loser is told who trains it. Liveness uses the pid and its
 * process start time, so a record whose pid now belongs to another process counts as dead.
 */
import path from 'node:path';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { ownerGone, processStartedAt, PROCESS_STARTED_AT, thisProcessOwner } from '../../src-main/runs/liveness';
import { openDatabase } from '../../src-main/runs/sqlite';
import { alreadyTrainedMessage, RunStore } from '../../src-main/runs/store';
import { startClaimer } from '../helpers/claimer';
import { sampleInit } from './sample';
import { scratchDir } from './helpers';

const ROUNDS = 50;

const openStore = (root: string): RunStore => RunStore.open(root);

/** A pid that has just exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

const children: ChildProcessWithoutNullStreams[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

describe('RunStore.claim between two real processes', () => {
  it(`lets exactly one of two racing processes claim the run, ${ROUNDS} rounds in a row`, async () => {
    const root = scratchDir('claim-race');
    const store = openStore(root);
    const [a, b] = await Promise.all([startClaimer(root), startClaimer(root)]);
    if (!a || !b) throw new Error('claimers did not start');
    children.push(a.child, b.child);
    const gone = deadPid();
    const wins = new Map<number, number>([[a.pid, 0], [b.pid, 0]]);
    const t0 = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      // Half the rounds take over a run left running by a dead trainer (the SIGKILL case), half
      // resume an interrupted run.
      const dead = round % 2 === 0;
      const run = store.createRun(sampleInit(dead ? { status: 'running', pid: gone, startedAt: 10 } : { status: 'interrupted' }));
      // Both get the command at once; whichever order the OS runs them in, one transaction goes first.
      a.child.stdin.write(`claim ${run.id}\n`);
      b.child.stdin.write(`claim ${run.id}\n`);
      const results = await Promise.all([a.next(), b.next()]);
      const winners = results.filter((r) => r.ok === true);
      const losers = results.filter((r) => r.ok === false);
      expect(winners, `round ${round}`).toHaveLength(1);
      expect(losers, `round ${round}`).toHaveLength(1);
      const winner = winners[0]?.pid as number;
      wins.set(winner, (wins.get(winner) ?? 0) + 1);
      expect(losers[0]?.message).toBe(`run ${run.id} is already being trained by pid ${winner}`);
      expect(winners[0]?.tookOverFrom).toBe(dead ? gone : null);
      const after = store.summary(run.id);
      expect(after.status).toBe('running');
      expect(after.pid).toBe(winner);
      const takeovers = store.events(run.id).filter((e) => e.type === 'taken-over');
      expect(takeovers).toHaveLength(dead ? 1 : 0);
      if (dead) expect(takeovers[0]?.message).toBe(`taken over by pid ${winner}: the process that ran it (pid ${gone}) is gone`);
      // The owner is alive: opening the store again leaves the run running.
      expect(store.recoverInterrupted()).not.toContain(run.id);
    }
    const ms = performance.now() - t0;
    process.stderr.write(`claim race: ${ROUNDS} rounds in ${Math.round(ms)} ms; wins ${[...wins.values()].join(' / ')}\n`);
    a.child.stdin.end();
    b.child.stdin.end();
    store.close();
  });
});

describe('liveness by pid and process start time', () => {
  it('reads the start time the OS reports, the same for this process from inside and outside', () => {
    if (process.platform === 'win32') return;
    const own = processStartedAt(process.pid);
    expect(own).not.toBeNull();
    expect(Math.abs((own as number) - PROCESS_STARTED_AT)).toBeLessThan(1);
    // Not in the future, and not before the process's uptime says it started.
    expect(own as number).toBeLessThanOrEqual(Date.now());
    expect(Math.abs((own as number) - (Date.now() - process.uptime() * 1000))).toBeLessThan(5000);
    expect(processStartedAt(deadPid())).toBeNull();
  });

  it('treats a record whose pid is alive but started at another time as dead (a reused pid)', async () => {
    if (process.platform === 'win32') return;
    const root = scratchDir('claim-reused');
    const live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(live as unknown as ChildProcessWithoutNullStreams);
    const pid = live.pid as number;
    await new Promise((r) => setTimeout(r, 200));
    const started = processStartedAt(pid);
    expect(started).not.toBeNull();
    expect(Math.abs((started as number) - Date.now())).toBeLessThan(10_000);
    expect(ownerGone(pid, started)).toBe(false);
    expect(ownerGone(pid, (started as number) - 60_000)).toBe(true);
    // A record from before start times were kept for every pid: the pid alone decides.
    expect(ownerGone(pid, null)).toBe(false);

    const a = openStore(root);
    const owned = a.createRun(sampleInit({ status: 'running', pid }));
    const reused = a.createRun(sampleInit({ status: 'running', pid }));
    const reusedPaused = a.createRun(sampleInit({ status: 'paused', pid }));
    a.close();
    // As recorded by a process that had this pid a minute before the one that has it now.
    const db = openDatabase(path.join(root, 'index.sqlite'));
    db.prepare('UPDATE runs SET pid_started_at = pid_started_at - 60000 WHERE id IN (?, ?)').run(reused.id, reusedPaused.id);
    db.close();

    const b = openStore(root);
    try {
      // Opening the store marks the reused pid's runs interrupted, and keeps the live owner's.
      expect(b.summary(owned.id).status).toBe('running');
      expect(b.summary(reused.id).status).toBe('interrupted');
      expect(b.summary(reusedPaused.id).statusReason).toBe(`the process that ran it exited unexpectedly (pid ${pid})`);
      // The live owner's run is refused to a claim, and to delete.
      const refused = b.claim(owned.id, thisProcessOwner());
      expect(refused).toEqual({ ok: false, status: 'running', owner: { pid, startedAt: started }, message: alreadyTrainedMessage(owned.id, pid) });
      expect(alreadyTrainedMessage(owned.id, pid)).toBe(`run ${owned.id} is already being trained by pid ${pid}`);
      expect(() => b.delete(owned.id)).toThrow(/stop it before deleting it/);
      expect(b.ownerOf(owned.id)).toEqual({ pid, startedAt: started, gone: false });
      // Once the start time no longer matches, the claim takes it over, with an event.
      const db2 = openDatabase(path.join(root, 'index.sqlite'));
      db2.prepare('UPDATE runs SET pid_started_at = pid_started_at - 60000 WHERE id = ?').run(owned.id);
      db2.close();
      expect(b.ownerOf(owned.id)?.gone).toBe(true);
      expect(b.claim(owned.id, thisProcessOwner())).toEqual({ ok: true, tookOverFrom: pid });
      const mine = b.summary(owned.id);
      expect(mine).toMatchObject({ status: 'running', pid: process.pid, statusReason: null, endedAt: null });
      expect(b.events(owned.id).at(-1)).toMatchObject({ type: 'taken-over', data: { from: pid, to: process.pid } });
      // Claiming again as the same owner is not a conflict.
      expect(b.claim(owned.id, thisProcessOwner())).toEqual({ ok: true, tookOverFrom: null });
      // A finished run can be claimed (resumed): it needs no take-over.
      b.update(reused.id, { status: 'stopped' });
      expect(b.claim(reused.id, thisProcessOwner())).toEqual({ ok: true, tookOverFrom: null });
      // requeue refuses a live owner's run and queues one whose owner is gone.
      b.update(reusedPaused.id, { status: 'running', pid });
      expect(b.requeue(reusedPaused.id)).toEqual({ ok: false, pid, message: alreadyTrainedMessage(reusedPaused.id, pid) });
      live.kill('SIGKILL');
      await new Promise((r) => live.once('exit', r));
      expect(b.requeue(reusedPaused.id)).toEqual({ ok: true });
      expect(b.summary(reusedPaused.id)).toMatchObject({ status: 'queued' });
      expect(b.summary(reusedPaused.id).pid).toBeUndefined();
    } finally {
      b.close();
    }
  });
  it('treats a record without a start time as dead when its pid is a live process that started after the run was last active', async () => {
    if (process.platform === 'win32') return;
    const root = scratchDir('claim-legacy');
    const sleeper = () => {
      const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      children.push(c as unknown as ChildProcessWithoutNullStreams);
      return c.pid as number;
    };
    const startOf = async (pid: number): Promise<number> => {
      for (let i = 0; i < 50 && processStartedAt(pid) === null; i++) await new Promise((r) => setTimeout(r, 20));
      const t = processStartedAt(pid);
      expect(t, `start time of pid ${pid}`).not.toBeNull();
      return t as number;
    };
    // A live process that started before the run: it may well be the one training it.
    const early = sleeper();
    await startOf(early);
    const a = openStore(root);
    const kept = a.createRun(sampleInit({ status: 'running', pid: early }));
    // A live process that started long after the next two runs were created, last written to and started.
    const late = sleeper();
    const lateStart = await startOf(late);
    const reused = a.createRun(sampleInit({ status: 'running', pid: late }));
    const resumed = a.createRun(sampleInit({ status: 'running', pid: late }));
    // A run resumed by `late` long after it first started: its latest event is newer than `late`.
    a.addEvent(resumed.id, { time: Date.now(), step: 0, epoch: 0, type: 'resumed', message: 'resumed' });
    a.close();
    // Legacy rows: written before start times were kept for every pid.
    const long = lateStart - 60_000;
    const db = openDatabase(path.join(root, 'index.sqlite'));
    db.prepare('UPDATE runs SET pid_started_at = NULL WHERE id IN (?, ?, ?)').run(kept.id, reused.id, resumed.id);
    db.prepare('UPDATE runs SET created_at = ?, started_at = ? WHERE id IN (?, ?)').run(long, long, reused.id, resumed.id);
    db.close();

    // The pid alone says alive; the process's start time after the run's last activity says reused.
    expect(ownerGone(late, null)).toBe(false);
    expect(ownerGone(late, null, long)).toBe(true);
    expect(ownerGone(early, null, Date.now())).toBe(false);

    const b = openStore(root);
    try {
      expect(b.summary(reused.id)).toMatchObject({ status: 'interrupted', statusReason: `the process that ran it exited unexpectedly (pid ${late})` });
      expect(b.events(reused.id).at(-1)?.type).toBe('interrupted');
      expect(b.summary(kept.id)).toMatchObject({ status: 'running', pid: early });
      expect(b.summary(resumed.id)).toMatchObject({ status: 'running', pid: late });
      expect(b.ownerOf(kept.id)).toEqual({ pid: early, startedAt: null, gone: false });
      expect(b.claim(kept.id, thisProcessOwner())).toEqual({ ok: false, status: 'running', owner: { pid: early, startedAt: null }, message: alreadyTrainedMessage(kept.id, early) });
      expect(() => b.delete(kept.id)).toThrow(/stop it before deleting it/);
      // The interrupted run can be taken up again.
      expect(b.claim(reused.id, thisProcessOwner())).toEqual({ ok: true, tookOverFrom: null });
    } finally {
      b.close();
    }
  });
});

