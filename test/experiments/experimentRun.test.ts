/**
 * `strata experiment run`, end to end on a real run store in a temp folder, real trainer processes,
 * the tiny preset and 16 demo images: a bad file queues nothing; a 2-group x 1-seed experiment of 2
 * epochs, started as a command, is stopped by SIGTERM during its second run, run again (the first run
 * is skipped, the second resumed from its checkpoint) and again (both skipped); a changed design
 * under the same version is refused, a bumped version plans new runs.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExperimentFileError, loadExperiment } from '../../src-main/experiments/load';
import { ExperimentConflictError, runExperiment, type ExperimentRunOptions, type ExperimentRunResult } from '../../src-main/experiments/runner';
import { groupSummaries, isComplete } from '../../src-main/experiments/runs';
import { cliSandbox, json } from '../helpers/cli';
import { tinyInitExperiment, writeExperimentFile } from '../helpers/experimentFiles';
import { poll } from '../helpers/poll';

const sandbox = cliSandbox('experiment');
const { tmp, runsDir, withStore } = sandbox;

/** The experiment under test (two epochs per run); `edit` changes a copy before it is written. */
function writeExperiment(name: string, edit: (f: Record<string, unknown>) => void = () => {}): string {
  const f = tinyInitExperiment('tiny-init', (t) => {
    t['description'] = 'test scale: the tiny preset, 16 synthetic demo images, 2 epochs per run';
    t['claim'] = 'glorot_normal trains better than he_normal';
    t['budget'] = { epochs: 2 };
  });
  edit(f);
  return writeExperimentFile(path.join(tmp, name), f);
}

const options = (over: Partial<ExperimentRunOptions> = {}): ExperimentRunOptions => ({ runsDir, signals: [], log: () => {}, ...over });
const runCount = () => withStore((s) => s.count());

describe('strata experiment run', () => {
  it('refuses a bad file with every problem, and a plan its data refuses, queueing nothing', async () => {
    const bad = writeExperiment('bad.json', (f) => {
      f['seeds'] = [];
      f['factors'] = [{ name: 'init', levels: [{ label: 'he', config: { init: 'he_whatever', lr: 0.1 } }], colour: 'red' }];
      f['data'] = { path: 'no-such-folder' };
    });
    const err = await loadExperiment(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExperimentFileError);
    expect((err as ExperimentFileError).problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'seeds: an experiment needs at least one seed (a verdict needs 3)',
      "factors[0].colour: unknown key 'colour'",
      'factors[0].levels[0].config.init: initializer must be one of glorot_normal, glorot_uniform, he_normal, he_uniform',
      "factors[0].levels[0].config.lr: unknown key 'lr'",
      `data.path: no data folder at ${path.join(tmp, 'no-such-folder')} (ENOENT); give a TGS-layout folder, relative to the experiment file or absolute, or "demo"`,
    ]);
    // A file that is fine on its own but whose design cannot take the data: refused when its runs are planned.
    const small = writeExperiment('small.json', (f) => {
      f['base'] = { design: { preset: 'tiny', size: 64 } };
    });
    const planned = await runExperiment(await loadExperiment(small), options()).catch((e: unknown) => e);
    expect(planned).toBeInstanceOf(ExperimentFileError);
    expect((planned as ExperimentFileError).problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'groups.he_normal seed 1: design tiny-init he_normal takes 64x64 images, but demo (synthetic) has 101x101',
      'groups.glorot_normal seed 1: design tiny-init glorot_normal takes 64x64 images, but demo (synthetic) has 101x101',
    ]);
    expect(runCount()).toBe(0);
  });

  it('runs its groups, is stopped during the second run, resumes it from its checkpoint, then skips both', async () => {
    const file = writeExperiment('tiny-init.json');
    const loaded = await loadExperiment(file);
    expect(loaded.plan.runs.map((r) => `${r.group} ${r.seed}`)).toEqual(['he_normal 1', 'glorot_normal 1']);

    // Stopped as a user stops it: SIGTERM to `strata experiment run` after the second run's first epoch, during its second.
    const cli = sandbox.start('experiment', 'run', file, '--runs-dir', runsDir, '--json');
    await poll('the second run past its first epoch', () =>
      withStore((s) => s.experimentRuns('tiny-init').find((r) => r.experiment?.group === 'glorot_normal' && r.status === 'running' && r.epochsDone >= 1)),
      120_000,
    );
    process.kill(cli.pid, 'SIGTERM');
    const ended = await cli.done;
    expect(ended.code, ended.stderr).toBe(1);
    const first = json(ended) as unknown as ExperimentRunResult;
    const lines = ended.stderr.split('\n');
    expect(lines).toContain('experiment tiny-init v1: queued 2 new runs of 2');
    expect(lines.filter((l) => /^run [12]\/2 group \w+ seed 1: training run /.test(l))).toHaveLength(2);
    expect(lines).toContain('SIGTERM: no further run starts; run the same command again to resume');
    expect(lines).toContain('experiment tiny-init v1: stopped at run 2/2, 1 of 2 complete; run the same command again to resume');
    expect(first.stopped).toBe(true);
    expect(first.runs.map((r) => [r.action, r.status, r.epochsDone])).toEqual([
      ['new', 'done', 2],
      ['new', 'stopped', 1],
    ]);
    const [a, b] = first.runs.map((r) => r.runId as string);
    const stopped = withStore((s) => s.get(b as string));
    expect(stopped.statusReason).toBe('stopped by the user (SIGTERM)');
    expect(stopped.lastCheckpoint?.epoch).toBe(0);
    expect(stopped.experiment).toMatchObject({ name: 'tiny-init', version: 1, group: 'glorot_normal', seed: 1, fingerprint: loaded.plan.groups[1]?.fingerprint });
    expect(stopped.config).toMatchObject({ init: 'glorot_normal', seed: 1, epochs: 2, batch: 4 });
    expect(withStore((s) => isComplete(s, stopped))).toBe(false);

    const second = await runExperiment(await loadExperiment(file), options());
    expect(second.stopped).toBe(false);
    expect(second.runs.map((r) => [r.runId, r.action, r.status, r.epochsDone])).toEqual([
      [a, 'skip', 'done', 2],
      [b, 'resume', 'done', 2],
    ]);
    const resumed = withStore((s) => s.events(b as string).filter((e) => e.type === 'resumed'));
    expect(resumed.map((e) => e.message)).toEqual(['resumed from the checkpoint of epoch 1']);

    const events = withStore((s) => [s.events(a as string).length, s.events(b as string).length]);
    const third = await runExperiment(await loadExperiment(file), options());
    expect(third.runs.map((r) => r.action)).toEqual(['skip', 'skip']);
    expect(third.complete).toBe(2);
    // Skipped means untouched: no trainer wrote anything.
    expect(withStore((s) => [s.events(a as string).length, s.events(b as string).length])).toEqual(events);
    expect(runCount()).toBe(2);

    const table = withStore((s) => groupSummaries(s, loaded.plan));
    expect(table.map((g) => [g.group.key, g.runs.map((r) => [r.seed, r.run?.id, r.complete])])).toEqual([
      ['he_normal', [[1, a, true]]],
      ['glorot_normal', [[1, b, true]]],
    ]);
  }, 240_000);

  it('refuses a changed design under the same version, naming the group; a bumped version plans new runs', async () => {
    const changed = writeExperiment('changed.json', (f) => {
      f['factors'] = [{ name: 'init', levels: [{ label: 'he_normal', config: { init: 'he_normal' } }, { label: 'glorot_normal', config: { init: 'glorot_normal' }, design: { channels: 8 } }] }];
    });
    const err = await runExperiment(await loadExperiment(changed), options()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExperimentConflictError);
    expect((err as Error).message).toBe(
      'experiment tiny-init version 1: the design or settings of group glorot_normal changed since its first runs. Runs of one version must come from one plan: bump "version" (to 2) to run the changed experiment as a new one, or undo the change',
    );
    expect(runCount()).toBe(2);

    const bumped = writeExperiment('bumped.json', (f) => {
      f['version'] = 2;
      f['factors'] = [{ name: 'init', levels: [{ label: 'he_normal', config: { init: 'he_normal' } }, { label: 'glorot_normal', config: { init: 'glorot_normal' }, design: { channels: 8 } }] }];
    });
    // Through the CLI, as a user runs it: a dry run plans two new runs and creates nothing.
    const dry = sandbox.strata('experiment', 'run', bumped, '--dry-run', '--json', '--runs-dir', runsDir);
    expect(dry.code, dry.stderr).toBe(0);
    const out = json(dry) as { dryRun: boolean; runs: { action: string; runId: string | null; group: string }[] };
    expect(out.dryRun).toBe(true);
    expect(out.runs.map((r) => [r.group, r.action, r.runId])).toEqual([
      ['he_normal', 'new', null],
      ['glorot_normal', 'new', null],
    ]);
    expect(dry.stderr).toContain('run 2/2 group glorot_normal seed 1: new run (13 training, 3 validation images)');
    expect(runCount()).toBe(2);

    const status = sandbox.strata('experiment', 'status', 'tiny-init', '--runs-dir', runsDir);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^experiment tiny-init v1: 2 runs, 2 complete\ngroup +seed 1\nhe_normal +done \d\.\d{4} \(2\/2\)\nglorot_normal +done \d\.\d{4} \(2\/2\)\n$/);
  }, 240_000);
});
