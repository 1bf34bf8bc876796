/**
 * A run another live process trains is left to it, by the lab and by whatever records a trainer's
 * end: a trainer refused its claim, or one that dies before claiming, does not mark the run
 * interrupted or clear its owner; the lab refuses to resume such a run (conflict), queues it again
 * once its owner is gone, and reports a refused trainer without ending the run. Real processes
 * throughout: a claimer (test/runs/fixtures/claimer.ts) holds the claim, trainers are real.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrainerMessage } from '../../shared/training/protocol';
import { recordTrainerExit } from '../../src-main/lab/trainerExit';
import { startTrainer } from '../../src-main/lab/trainerHost';
import { alreadyTrainedMessage } from '../../src-main/runs/store';
import { startClaimer, type Claimer } from '../helpers/claimer';
import { createRun, withStore } from '../helpers/trainerRuns';
import { openLab, scratchDir, waitFor } from './helpers';

const claimers: Claimer[] = [];
afterAll(() => {
  for (const c of claimers) c.child.kill('SIGKILL');
});

/** A claimer on `runsDir` that has claimed run `id`. */
async function claimedBy(runsDir: string, id: string): Promise<Claimer> {
  const c = await startClaimer(runsDir);
  claimers.push(c);
  c.child.stdin.write(`claim ${id}\n`);
  expect(await c.next()).toMatchObject({ id, pid: c.pid, ok: true });
  return c;
}

async function kill(c: Claimer): Promise<void> {
  if (c.child.exitCode === null && c.child.signalCode === null) {
    c.child.kill('SIGKILL');
    await new Promise((r) => c.child.once('exit', r));
  }
}

/** What a record's owner and ending look like: untouched means all of it stays. */
function ownership(runsDir: string, id: string) {
  return withStore(runsDir, (s) => {
    const r = s.summary(id);
    return { status: r.status, pid: r.pid, statusReason: r.statusReason, endedAt: r.endedAt, events: s.events(id).length };
  });
}

describe('recording a trainer that never owned its run', () => {
  it('leaves a run another live process owns untouched, whether the trainer was refused or died before claiming', async () => {
    const runsDir = scratchDir('claim-record');
    const id = createRun(runsDir);
    const claimer = await claimedBy(runsDir, id);
    const owned = ownership(runsDir, id);
    expect(owned).toMatchObject({ status: 'running', pid: claimer.pid, statusReason: null });

    // Refused: it claims, is told who trains the run, and exits.
    const refused = await startTrainer({ runsDir, runId: id }).done;
    expect(refused.refused?.message).toBe(alreadyTrainedMessage(id, claimer.pid));
    const r1 = withStore(runsDir, (s) => recordTrainerExit(s, id, refused));
    expect(r1).toEqual({ status: 'running', reason: null, recorded: false });
    expect(ownership(runsDir, id)).toEqual(owned);

    // Died before its claim (killed as it starts, as an out-of-memory kill would).
    const t = startTrainer({ runsDir, runId: id });
    t.kill('SIGKILL');
    const crashed = await t.done;
    expect(crashed).toMatchObject({ crashed: true, signal: 'SIGKILL', pid: t.pid });
    expect(crashed.refused).toBeUndefined();
    const r2 = withStore(runsDir, (s) => recordTrainerExit(s, id, crashed));
    expect(r2).toEqual({ status: 'running', reason: null, recorded: false });
    expect(ownership(runsDir, id)).toEqual(owned);

    // Once the owner is gone, the same end is recorded: the run is interrupted with the reason.
    await kill(claimer);
    const r3 = withStore(runsDir, (s) => recordTrainerExit(s, id, crashed));
    expect(r3).toMatchObject({ status: 'interrupted', recorded: true });
    expect(r3.reason).toMatch(/SIGKILL/);
    const after = withStore(runsDir, (s) => s.summary(id));
    expect(after).toMatchObject({ status: 'interrupted', statusReason: r3.reason });
    expect(after.pid).toBeUndefined();
  });
});

describe('the lab and a run another live process trains', () => {
  it('refuses to resume it, reports its own trainer refused or dead before its claim without ending it, and queues it once its owner is gone', async () => {
    const home = scratchDir('claim-lab');
    const runsDir = path.join(home, 'runs');
    const id = createRun(runsDir, { epochs: 3 });
    // A trainer of the run is killed after its first checkpoint: it owned the run, so its end is recorded.
    const first = startTrainer({ runsDir, runId: id });
    await new Promise<void>((resolve) => first.onMessage((m) => m.type === 'event' && m.event.type === 'checkpoint' && resolve()));
    first.kill('SIGKILL');
    const killed = await first.done;
    expect(withStore(runsDir, (s) => recordTrainerExit(s, id, killed))).toMatchObject({ status: 'interrupted', recorded: true });

    const lab = openLab(home, { shutdownGraceMs: 5000 });
    const messages: TrainerMessage[] = [];
    lab.onRunEvent({ runId: id }, (m) => messages.push(m));
    const idle = () => waitFor('the lab to be idle', () => (lab.getQueue().active === null ? true : undefined), 60_000);
    try {
      // 1. The lab queues the run and starts its trainer; another process claims the run first.
      lab.resumeRun({ id });
      const a = await claimedBy(runsDir, id);
      await idle();
      const refusal = messages.find((m) => m.type === 'log' && m.level === 'warn');
      expect(refusal).toMatchObject({ type: 'log', message: alreadyTrainedMessage(id, a.pid) });
      expect(messages.some((m) => m.type === 'ended')).toBe(false);
      expect(ownership(runsDir, id)).toMatchObject({ status: 'running', pid: a.pid, statusReason: null });

      // 2. Resuming a run another live process trains is a conflict naming it; nothing changes.
      const before = ownership(runsDir, id);
      expect(() => lab.resumeRun({ id })).toThrow(expect.objectContaining({ code: 'conflict', message: alreadyTrainedMessage(id, a.pid) }));
      expect(lab.getQueue()).toEqual({ active: null, queued: [] });
      expect(ownership(runsDir, id)).toEqual(before);

      // 3. Its owner gone, the run is queued again; this time another process claims it and the
      // lab's trainer dies before its own claim: the run stays the other process's.
      await kill(a);
      expect(lab.resumeRun({ id }).status).toBe('queued');
      messages.length = 0;
      const trainerPid = lab.getQueue().active?.pid;
      expect(trainerPid).toEqual(expect.any(Number));
      const b = await claimedBy(runsDir, id);
      const claimed = ownership(runsDir, id);
      process.kill(trainerPid as number, 'SIGKILL');
      await idle();
      expect(ownership(runsDir, id)).toEqual(claimed);
      expect(claimed).toMatchObject({ status: 'running', pid: b.pid, statusReason: null });
      const warn = messages.find((m) => m.type === 'log' && m.level === 'warn');
      expect(warn?.type === 'log' ? warn.message : '').toMatch(new RegExp(`^the trainer of run ${id} ended before claiming it \\(.*SIGKILL.*\\); ${alreadyTrainedMessage(id, b.pid)}$`, 's'));
      expect(messages.some((m) => m.type === 'ended' || m.type === 'status')).toBe(false);

      // 4. Its owner gone again, resume queues the run (the conditional requeue) and the lab trains it to the end.
      await kill(b);
      expect(lab.resumeRun({ id }).status).toBe('queued');
      await waitFor('the run to be done', () => (lab.getRun({ id }).status === 'done' ? true : undefined), 120_000);
      await idle();
      const done = withStore(runsDir, (s) => s.get(id));
      expect(done).toMatchObject({ status: 'done', epochsDone: 3 });
      expect(withStore(runsDir, (s) => s.epochMetrics(id).map((e) => e.epoch))).toEqual([0, 1, 2]);
    } finally {
      await lab.close();
    }
    expect(withStore(runsDir, (s) => s.queue.list())).toEqual([]);
  });
});
