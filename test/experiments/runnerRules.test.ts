/**
 * The experiment runner's review cases, on a real run store in a temp folder (runs queued without
 * training where training is not the point: a stop asked for before the session queues every run
 * and trains none):
 * - two runners started together: one queues the plan, the other is refused, naming the first
 *   (and `experiment status FILE` counts planned, made and complete runs);
 * - a diverged run is skipped as a final outcome, and a run another process claims mid-plan is
 *   skipped with a message while the session goes on (a real trainer is refused);
 * - new runs planned on another dataset than the version's runs are refused (bump the version);
 * - data.testIds: each run holds out the listed ids that are in its data, the copy keeps them, and
 *   a trained run's finalize scores them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { divergenceReason } from '../../shared/runs/divergence';
import { CliError } from '../../src-main/cli/args';
import { experimentCommand } from '../../src-main/cli/commands/experiment';
import { readExperimentCopy } from '../../src-main/experiments/copy';
import { loadExperiment } from '../../src-main/experiments/load';
import { ExperimentBusyError, ExperimentConflictError, runExperiment } from '../../src-main/experiments/runner';
import { processStartedAt } from '../../src-main/runs/liveness';
import { tgsLinks } from '../helpers/cli';
import { queueOnly, tinyInitExperiment, writeExperimentFile } from '../helpers/experimentFiles';
import { TGS_DIR } from '../helpers/paths';
import { withStore } from '../helpers/store';
import { tempDir } from '../helpers/tempDir';

const tmp = tempDir('experiment-runner');
const runsDir = path.join(tmp, 'runs');
const sleepers: ChildProcess[] = [];
afterAll(() => {
  for (const c of sleepers) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Experiment `name` (tinyInitExperiment), `edit`ed, in a file of its own. */
function writeExperiment(name: string, edit: (f: Record<string, unknown>) => void = () => {}): string {
  return writeExperimentFile(path.join(tmp, `${name}-${fs.readdirSync(tmp).length}.json`), tinyInitExperiment(name, edit));
}

/** The first line `strata experiment status FILE` prints. */
async function statusLine(file: string): Promise<string> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  try {
    expect(await experimentCommand(['status', file, '--runs-dir', runsDir])).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return out.join('').split('\n')[0] ?? '';
}

describe('the experiment runner', () => {
  it('lets one of two runners started together queue the plan, and refuses the other', async () => {
    const file = writeExperiment('race');
    // Before any run: status counts the plan's cells as planned, none made.
    expect(await statusLine(file)).toMatch(/^experiment race v1 \(.+\): 2 planned runs, 0 made, 0 complete; each run 1 epoch on the demo set/);
    // Both loaded first, then started in the same tick: each finds no run stored when it begins.
    const [la, lb] = [await loadExperiment(file), await loadExperiment(file)];
    const settled = await Promise.allSettled([runExperiment(la, queueOnly(runsDir)), runExperiment(lb, queueOnly(runsDir))]);
    const refused = settled.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    const err = (refused[0] as PromiseRejectedResult).reason as Error;
    expect(err).toBeInstanceOf(ExperimentBusyError);
    expect(err.message).toMatch(
      new RegExp(`^experiment race v1 is already being run: pid ${process.pid} is running experiment race v1 \\(strata experiment run\\) \\(since \\d\\d:\\d\\d:\\d\\d UTC\\); wait for it to end or stop it first$`),
    );
    expect(withStore(runsDir, (s) => s.experimentRuns('race').length)).toBe(2);
    // The hold ended with the session: a third runner goes ahead (and finds both runs queued).
    const third = await runExperiment(await loadExperiment(file), queueOnly(runsDir));
    expect(third.runs.map((r) => r.action)).toEqual(['new', 'new']);
    expect(withStore(runsDir, (s) => s.experimentRuns('race').length)).toBe(2);
    expect(await statusLine(file)).toMatch(/^experiment race v1 \(.+\): 2 planned runs, 2 made, 0 complete;/);
    await expect(experimentCommand(['list'])).rejects.toThrow(new CliError("experiment: expected run FILE, status FILE|NAME, report NAME|FILE or summary DIR, not 'list'"));
  });

  it('skips a diverged run as final, and a run another process claims mid-plan with a message, going on with the plan', async () => {
    const file = writeExperiment('race');
    const [first, second] = withStore(runsDir, (s) => s.experimentRuns('race').map((r) => r.id)) as [string, string];
    const reason = divergenceReason(Number.POSITIVE_INFINITY, 0, 2);
    withStore(runsDir, (s) => s.update(first, { status: 'failed', statusReason: reason, epochsDone: 0 }));
    const eventsBefore = withStore(runsDir, (s) => s.events(first).length);

    const sleeper = spawn('sleep', ['120'], { stdio: 'ignore' });
    sleepers.push(sleeper);
    const pid = sleeper.pid as number;
    let startedAt: number | null = null;
    while (startedAt === null) {
      startedAt = processStartedAt(pid);
      if (startedAt === null) await new Promise((r) => setTimeout(r, 20));
    }
    const owner = { pid, startedAt };
    const lines: string[] = [];
    const result = await runExperiment(await loadExperiment(file), {
      runsDir,
      signals: [],
      log: (line) => {
        lines.push(line);
        // Once the session is under way (run 1 skipped), another process claims run 2 (as `strata runs resume` would).
        if (line.startsWith('run 1/2 ')) withStore(runsDir, (s) => expect(s.claim(second, owner).ok).toBe(true));
      },
    });
    expect(lines).toContain(`run 1/2 group he_normal seed 1: run ${first} diverged (${reason}); that is its outcome, counted as such and not trained again; skipped`);
    expect(lines).toContain(`run 2/2 group glorot_normal seed 1: skipped: run ${second} is already being trained by pid ${pid}; run the same command again once it has ended`);
    expect(result.runs.map((r) => [r.runId, r.action, r.complete, r.diverged])).toEqual([
      [first, 'skip', true, true],
      [second, 'skip', false, false],
    ]);
    expect(result.complete).toBe(1);
    expect(result.stopped).toBe(false);
    expect(withStore(runsDir, (s) => [s.events(first).length, s.summary(first).status, s.ownerOf(second)?.pid])).toEqual([eventsBefore, 'failed', pid]);
  }, 120_000);

  it('refuses new runs planned on another dataset than the version trained on, saying to bump the version', async () => {
    const images = fs.readdirSync(path.join(TGS_DIR, 'images')).sort().slice(0, 32);
    const a = tgsLinks(path.join(tmp, 'tgs-a'), images.slice(0, 16));
    const b = tgsLinks(path.join(tmp, 'tgs-b'), images.slice(16));
    const on = (dir: string, seeds: number[]) =>
      writeExperiment('moved', (f) => {
        f['data'] = { path: dir };
        f['seeds'] = seeds;
      });
    await runExperiment(await loadExperiment(on(a, [1])), queueOnly(runsDir));
    const trained = withStore(runsDir, (s) => s.experimentRuns('moved'));
    expect(trained).toHaveLength(2);
    const fp = trained[0]?.dataset.fingerprint.slice(0, 12);
    const moved = await loadExperiment(on(b, [1, 2]));
    // The same groups and fingerprints: only the data under them changed.
    expect(moved.plan.groups.map((g) => g.fingerprint)).toEqual(trained.map((r) => r.experiment?.fingerprint));
    for (const dryRun of [true, false]) {
      const err = await runExperiment(moved, queueOnly(runsDir, { dryRun })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExperimentConflictError);
      expect((err as Error).message).toMatch(
        new RegExp(
          `^experiment moved version 1: its runs so far \\(run ${trained[0]?.id}, group he_normal\\) trained on ${a} \\(.+, 16 images, fingerprint ${fp}\\), but the file's data is ${b} \\(.+, 16 images, fingerprint [0-9a-f]{12}\\)\\. Runs of one version must train on one dataset: bump "version" \\(to 2\\) to run the experiment on the new data, or point data.path back at the old$`,
        ),
      );
    }
    expect(withStore(runsDir, (s) => s.experimentRuns('moved'))).toHaveLength(2);
  });

  it("holds out each run's test ids that are in its data, keeps them in the copy, and scores them once trained", async () => {
    fs.writeFileSync(path.join(tmp, 'test-ids.txt'), '# held out\ndemo-0002\ndemo-0009\ndemo-0013\nnot-in-the-demo-set\n');
    const file = writeExperiment('held', (f) => {
      f['data'] = { path: 'demo', demoCount: 16, testIds: 'test-ids.txt' };
      f['factors'] = [{ name: 'init', levels: [{ label: 'he_normal', config: { init: 'he_normal' } }] }];
    });
    const loaded = await loadExperiment(file);
    const lines: string[] = [];
    const r = await runExperiment(loaded, { runsDir, signals: [], log: (l) => lines.push(l) });
    expect(lines).toContain('test set: 3 of the 4 ids of data.testIds are in demo (synthetic); each run holds them out and scores them once, at its end');
    expect(r.runs.map((x) => [x.status, x.complete])).toEqual([['done', true]]);
    const run = withStore(runsDir, (s) => s.get(r.runs[0]?.runId as string));
    expect([...run.split.test].sort()).toEqual(['demo-0002', 'demo-0009', 'demo-0013']);
    expect(run.split.train.concat(run.split.val).some((id) => ['demo-0002', 'demo-0009', 'demo-0013'].includes(id))).toBe(false);
    expect(run.test?.images).toBe(3);
    expect(Number.isFinite(run.test?.score)).toBe(true);
    const copy = readExperimentCopy(runsDir, 'held', 1);
    expect(copy.state === 'ok' && copy.copy.plan.runs[0]?.request.testIds).toEqual(['demo-0002', 'demo-0009', 'demo-0013', 'not-in-the-demo-set']);
    expect(copy.state === 'ok' && copy.copy.plan.groups[0]?.fingerprint).toBe(loaded.plan.groups[0]?.fingerprint);
  }, 180_000);
});
