/**
 * The reproduction at the command line: a run's trainer is killed with SIGKILL after its
 * first epochs, then `strata runs resume ID` is started twice at once. Exactly one of the two trains
 * the run; the other exits 2 with "run ID is already being trained by pid N", N the winner's trainer.
 * Repeated: the winner's trainer is killed again after one more epoch and the two race once more;
 * the last winner trains the run to its end. Real CLI processes, a real trainer, the tiny preset.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cliSandbox, type CliProcess } from '../helpers/cli';
import { startClaimer } from '../helpers/claimer';
import { poll } from '../helpers/poll';

const sandbox = cliSandbox('cli-race');
const { runsDir, withStore } = sandbox;
const EPOCHS = 10;
const ROUNDS = 3;

/** Starts `strata ARGS --runs-dir DIR --json` as its own process. */
const strata = (...args: string[]): CliProcess => sandbox.start(...args, '--runs-dir', runsDir, '--json');

/** The parent pid of live process `pid`, as the OS reports it. */
function parentOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** Waits until run `id` is running in a trainer with more than `epochs` epochs done, then SIGKILLs that trainer; returns its pid. */
async function killTrainerAfter(id: string, epochs: number): Promise<number> {
  const pid = await poll(`run ${id} past epoch ${epochs}`, () =>
    withStore((s) => {
      const r = s.summary(id);
      return r.status === 'running' && r.epochsDone > epochs && r.pid !== undefined ? r.pid : undefined;
    }),
  );
  process.kill(pid, 'SIGKILL');
  return pid;
}

describe('strata runs resume, twice at once, after a SIGKILL', () => {
  it(`trains the run in exactly one of them; the other exits 2 naming the winner's trainer (${ROUNDS} rounds)`, async () => {
    const t0 = performance.now();
    const known = new Set(withStore((s) => s.list({}).map((r) => r.id)));
    const train = strata('train', '--arch', 'tiny', '--data', 'demo', '--demo-count', '24', '--epochs', String(EPOCHS), '--batch', '8', '--backend', 'wasm');
    const id = await poll('the run to be created', () => withStore((s) => s.list({}).find((r) => !known.has(r.id))?.id));
    await killTrainerAfter(id, 0);
    const trained = await train.done;
    expect(trained.code).toBe(1);
    expect(JSON.parse(trained.stdout)).toMatchObject({ runId: id, status: 'interrupted' });

    for (let round = 0; round < ROUNDS; round++) {
      const last = round === ROUNDS - 1;
      const before = withStore((s) => ({ epochs: s.summary(id).epochsDone, resumed: s.events(id).filter((e) => e.type === 'resumed').length }));
      expect(before.epochs, `round ${round}`).toBeLessThan(EPOCHS);
      const clis = [strata('runs', 'resume', id), strata('runs', 'resume', id)];
      // The loser leaves at once, while the winner's trainer trains: who that trainer is, is checked then.
      const first = await Promise.race(clis.map((c) => c.done.then((r) => ({ c, r }))));
      const loser = first.c;
      const winner = clis.find((c) => c !== loser) as CliProcess;
      expect(first.r.code, `round ${round}: ${first.r.stderr}`).toBe(2);
      expect(first.r.stdout).toBe('');
      const m = new RegExp(`^strata: run ${id} is already being trained by pid (\\d+)$`, 'm').exec(first.r.stderr);
      expect(m, `round ${round}: ${first.r.stderr}`).not.toBeNull();
      const owner = Number(m?.[1]);
      // A real process of the winner: the trainer it started, which owns the record.
      expect(withStore((s) => s.summary(id).pid), `round ${round}`).toBe(owner);
      if (process.platform === 'linux') expect(parentOf(owner), `round ${round}: parent of pid ${owner}`).toBe(winner.pid);
      expect(owner).not.toBe(loser.pid);

      if (!last) {
        // The winner's trainer is killed after one more epoch: the next round races again.
        expect(await killTrainerAfter(id, before.epochs)).toBe(owner);
        const w = await winner.done;
        expect(w.code, `round ${round}: ${w.stderr}`).toBe(1);
        expect(JSON.parse(w.stdout)).toMatchObject({ runId: id, status: 'interrupted' });
      } else {
        const w = await winner.done;
        expect(w.code, `round ${round}: ${w.stderr}`).toBe(0);
        expect(JSON.parse(w.stdout)).toMatchObject({ runId: id, status: 'done', epochsDone: EPOCHS });
      }
      // One trainer resumed the run this round; the loser's never touched it.
      const resumed = withStore((s) => s.events(id).filter((e) => e.type === 'resumed').length);
      expect(resumed, `round ${round}`).toBe(before.resumed + 1);
    }
    withStore((s) => {
      expect(s.summary(id)).toMatchObject({ status: 'done', epochsDone: EPOCHS });
      expect(s.epochMetrics(id).map((e) => e.epoch)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i));
    });
    process.stderr.write(`resume race: ${ROUNDS} rounds in ${Math.round(performance.now() - t0)} ms\n`);
    // Eight CLI processes and four trainers start one after another (18 s on a quiet machine, over
    // 120 s with a training beside them): the limit is there to end a hung test, not to time it.
  }, 360_000);
});

describe('strata train on a run another process claims first', () => {
  it('exits 2 naming that process, and leaves the run to it', async () => {
    const claimer = await startClaimer(runsDir);
    sandbox.track(claimer.child);
    const known = new Set(withStore((s) => s.list({}).map((r) => r.id)));
    const train = strata('train', '--arch', 'tiny', '--data', 'demo', '--demo-count', '24', '--epochs', '2', '--batch', '8', '--backend', 'wasm');
    // The new run, claimed the moment it exists: its trainer is still starting.
    const id = await poll('the new run', () => withStore((s) => s.list({}).find((r) => !known.has(r.id))?.id), 60_000);
    claimer.child.stdin.write(`claim ${id}\n`);
    expect(await claimer.next()).toMatchObject({ id, ok: true, pid: claimer.pid });
    const r = await train.done;
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^strata: run ${id} is already being trained by pid ${claimer.pid}$`, 'm'));
    withStore((s) => expect(s.summary(id)).toMatchObject({ status: 'running', pid: claimer.pid, statusReason: null, epochsDone: 0 }));
    claimer.child.stdin.end();
  }, 60_000);
});
