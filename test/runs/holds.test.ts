/**
 * Holds (RunStore.hold, index schema 5): a live process other than the test's (a `sleep`) holds a
 * key, or trains a run; a second hold of the key is refused naming the holder, also from the same
 * process; a hold on a run makes claim refuse it until released; a run a live process trains cannot
 * be held; a holder that is gone holds nothing; release is once and only the holder's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { processStartedAt, thisProcessOwner, type ProcessOwner } from '../../src-main/runs/liveness';
import { runHoldKey } from '../../src-main/runs/store';
import { withOpenStore, withStore } from '../helpers/store';
import { tempDir } from '../helpers/tempDir';
import { sampleInit } from './sample';

const runsDir = tempDir('holds');
const sleepers: ChildProcess[] = [];
afterAll(() => {
  for (const c of sleepers) if (c.exitCode === null) c.kill('SIGKILL');
});

/** A live process of its own and its owner record. */
async function liveOther(): Promise<{ child: ChildProcess; owner: ProcessOwner }> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  sleepers.push(child);
  const pid = child.pid as number;
  for (let i = 0; i < 100; i++) {
    const startedAt = processStartedAt(pid);
    if (startedAt !== null) return { child, owner: { pid, startedAt } };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no start time for the sleeper');
}

describe('RunStore.hold', () => {
  it('refuses a held key naming the holder, and holds nothing once the holder is gone', async () => {
    const other = await liveOther();
    await withOpenStore(runsDir, async (s) => {
      const first = s.hold('experiment:init:v1', other.owner, 'running experiment init v1 (strata experiment run)');
      expect(first.ok).toBe(true);
      const again = s.hold('experiment:init:v1', thisProcessOwner(), 'running experiment init v1 (strata experiment run)');
      expect(again.ok).toBe(false);
      if (again.ok) return;
      expect(again.message).toMatch(new RegExp(`^pid ${other.owner.pid} is running experiment init v1 \\(strata experiment run\\) \\(since \\d\\d:\\d\\d:\\d\\d UTC\\)$`));
      expect(s.holder('experiment:init:v1')?.pid).toBe(other.owner.pid);
      // Another key is free.
      const v2 = s.hold('experiment:init:v2', thisProcessOwner(), 'running v2');
      expect(v2.ok).toBe(true);
      // Not re-entrant: this process's second hold of the same key is refused too.
      expect(s.hold('experiment:init:v2', thisProcessOwner(), 'running v2 again').ok).toBe(false);
      if (v2.ok) v2.release();
      expect(s.holder('experiment:init:v2')).toBeNull();

      other.child.kill('SIGKILL');
      await new Promise((r) => other.child.once('exit', r));
      expect(s.holder('experiment:init:v1')).toBeNull();
      const taken = s.hold('experiment:init:v1', thisProcessOwner(), 'running it now');
      expect(taken.ok).toBe(true);
      // The gone holder's release would have been its own; this one's is once.
      if (taken.ok) {
        taken.release();
        taken.release();
      }
      expect(s.holder('experiment:init:v1')).toBeNull();
    });
  });

  it("holds a run against claims until released, and refuses to hold a run a live process trains", async () => {
    const other = await liveOther();
    withStore(runsDir, (s) => {
      const id = s.createRun({ ...sampleInit(), status: 'stopped' }).id;
      const hold = s.holdRun(id, thisProcessOwner(), `choosing the post-processing of run ${id}`);
      expect(hold.ok).toBe(true);
      const refused = s.claim(id, other.owner);
      expect(refused.ok).toBe(false);
      if (!refused.ok) {
        expect(refused.owner.pid).toBe(process.pid);
        expect(refused.message).toMatch(new RegExp(`^run ${id} cannot be trained now: pid ${process.pid} is choosing the post-processing of run ${id} \\(since .*\\); wait for that to finish$`));
      }
      expect(s.summary(id).status).toBe('stopped');
      if (hold.ok) hold.release();
      expect(s.holder(runHoldKey(id))).toBeNull();
      expect(s.claim(id, other.owner).ok).toBe(true);

      // Now the other process trains it: it cannot be held.
      const busy = s.holdRun(id, thisProcessOwner(), 'choosing it');
      expect(busy).toEqual({ ok: false, holder: null, message: `run ${id} is already being trained by pid ${other.owner.pid}` });
    });
  });
});
