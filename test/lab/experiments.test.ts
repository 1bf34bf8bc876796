/**
 * The lab's experiments (listExperiments, experimentResults) over dispatchCall, on a real temp store
 * whose tagged runs and experiment copy are written through the store's API
 * (test/helpers/experimentStore.ts): the list's versions, groups and runs complete of planned; one
 * version's statistics hand-worked, all three verdicts, the detector events, the initialisation
 * analysis, the planned run not made yet and the charts; the same comparisons as
 * `strata experiment report` computes; an experiment known by its tags alone; refusals by name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ExperimentListItem, ExperimentView } from '../../shared/experiments/view';
import { experimentReportCommand } from '../../src-main/cli/commands/experimentReport';
import { experimentCopyPath } from '../../src-main/experiments/copy';
import { createHandlers } from '../../src-main/lab/handlers';
import type { LabService } from '../../src-main/lab/service';
import { dispatchCall } from '../../src-main/lab/transport/dispatch';
import { INIT_CLAIM, INIT_DESCRIPTION, INIT_EXPERIMENT, PLATEAU_MESSAGE, writeInitExperiment } from '../helpers/experimentStore';
import { withStore } from '../helpers/store';
import { sampleInit } from '../runs/sample';
import { openLab, scratchDir } from './helpers';

const home = scratchDir('experiments');
const runsDir = path.join(home, 'runs');
let lab: LabService;
let handlers: ReturnType<typeof createHandlers>;
let ids: Record<string, string[]> = {};
let file = '';

beforeAll(async () => {
  ({ ids, file } = await writeInitExperiment(runsDir, path.join(home, 'files')));
  // An experiment of runs made before the file was kept: its tags are all there is.
  withStore(runsDir, (s) => {
    const run = s.createRun(sampleInit({ name: 'old', experiment: { name: 'tags-only', version: 2, group: 'a', seed: 1, fingerprint: 'a'.repeat(64) } }));
    s.update(run.id, { status: 'done', epochsDone: 1, best: { epoch: 0, score: 0.4, metric: 'valScore' }, endedAt: Date.now() });
  });
  lab = openLab(home, { shutdownGraceMs: 2000 });
  handlers = createHandlers(lab);
});
afterAll(() => lab.close());

async function value<T>(name: string, input: unknown): Promise<T> {
  const r = await dispatchCall(handlers, name, input);
  if (!r.ok) throw new Error(`${name} refused: ${JSON.stringify(r.error)}`);
  return r.value as T;
}

const view = (input: unknown) => value<ExperimentView>('experimentResults', input);
const metric = (v: ExperimentView, group: string, m: string) => v.groups.find((g) => g.key === group)?.metrics.find((x) => x.metric === m);

describe('the lab\'s experiments', () => {
  it('lists every experiment with its versions, groups and runs complete of planned', async () => {
    expect(await value<ExperimentListItem[]>('listExperiments', {})).toEqual([
      {
        name: INIT_EXPERIMENT,
        versions: [{ version: 1, groups: ['glorot_normal', 'he_normal', 'glorot_uniform', 'he_uniform'], planned: 12, stored: 11, complete: 10, claim: INIT_CLAIM, description: INIT_DESCRIPTION }],
      },
      { name: 'tags-only', versions: [{ version: 2, groups: ['a'], planned: null, stored: 1, complete: 1, claim: null, description: null }] },
    ]);
  });

  it('gives one version\'s results: hand-worked statistics, every verdict, detectors, init analysis, the run not made yet, charts', async () => {
    const v = await view({ name: INIT_EXPERIMENT });
    expect(v).toMatchObject({ name: INIT_EXPERIMENT, version: 1, versions: [1], level: 0.95, minSeeds: 3, missing: [{ group: 'he_uniform', seed: 3 }] });
    expect(v.source).toEqual({ kind: 'copy', path: experimentCopyPath(runsDir, INIT_EXPERIMENT, 1), file, storedAt: expect.any(Number) as number });
    expect(v.about).toEqual({ description: INIT_DESCRIPTION, claim: INIT_CLAIM, factors: [{ name: 'init', levels: ['glorot_normal', 'he_normal', 'glorot_uniform', 'he_uniform'] }] });
    expect(v.groups.map((g) => [g.key, g.counted, g.runs.map((r) => [r.id, r.seed, r.status, r.complete])])).toEqual([
      ['glorot_normal', 3, (ids['glorot_normal'] ?? []).map((id, i) => [id, i + 1, 'done', true])],
      ['he_normal', 3, (ids['he_normal'] ?? []).map((id, i) => [id, i + 1, 'done', true])],
      ['glorot_uniform', 3, (ids['glorot_uniform'] ?? []).map((id, i) => [id, i + 1, 'done', true])],
      ['he_uniform', 1, [[ids['he_uniform']?.[0], 1, 'done', true], [ids['he_uniform']?.[1], 2, 'queued', false]]],
    ]);

    // Best val score. glorot_normal 0.60, 0.62, 0.64: mean 0.62, std 0.02, t(0.975, 2) = 4.3027 so the
    // interval of the mean is 0.62 ± 4.3027 x 0.02 / sqrt(3) = 0.62 ± 0.04968.
    const gn = metric(v, 'glorot_normal', 'bestScore');
    expect(gn?.values).toEqual([0.6, 0.62, 0.64]);
    expect(gn?.stats?.mean).toBeCloseTo(0.62, 12);
    expect(gn?.stats?.std).toBeCloseTo(0.02, 12);
    expect(gn?.interval?.low).toBeCloseTo(0.62 - 0.049682, 5);
    expect(gn?.interval?.high).toBeCloseTo(0.62 + 0.049682, 5);
    // he_normal 0.50, 0.53, 0.56: mean 0.53, std 0.03; glorot_uniform 0.59, 0.63, 0.65: mean 0.62333, std sqrt(0.00093333) = 0.030551.
    expect(metric(v, 'he_normal', 'bestScore')?.stats).toMatchObject({ n: 3, mean: expect.closeTo(0.53, 12), std: expect.closeTo(0.03, 12) });
    expect(metric(v, 'glorot_uniform', 'bestScore')?.stats).toMatchObject({ n: 3, mean: expect.closeTo(0.623333, 6), std: expect.closeTo(0.030551, 6) });
    expect(metric(v, 'he_uniform', 'bestScore')).toMatchObject({ values: [0.55], interval: null });

    // Against the first level. he_normal: difference -0.09, Welch df (0.0004/3 + 0.0009/3)² / ((0.0004/3)²/2 + (0.0009/3)²/2) = 3.4845,
    // its interval below 0: glorot_normal better. glorot_uniform: +0.00333, df 3.4483, its interval holds 0. he_uniform: one complete run.
    const best = v.comparisons.filter((c) => c.metric === 'bestScore');
    expect(best.map((c) => [c.group, c.baseline, c.comparison.verdict])).toEqual([
      ['he_normal', 'glorot_normal', { kind: 'b-better', text: 'glorot_normal better than he_normal' }],
      ['glorot_uniform', 'glorot_normal', { kind: 'no-difference', text: 'no difference at this scale' }],
      ['he_uniform', 'glorot_normal', { kind: 'too-few-seeds', text: 'too few seeds to tell' }],
    ]);
    expect(best[0]?.comparison.difference).toBeCloseTo(-0.09, 12);
    expect(best[0]?.comparison.welch?.df).toBeCloseTo(3.4845, 4);
    expect(best[0]?.comparison.welch?.high).toBeLessThan(0);
    expect(best[1]?.comparison.difference).toBeCloseTo(0.003333, 6);
    expect(best[1]?.comparison.welch?.df).toBeCloseTo(3.4483, 4);
    expect(best[2]?.comparison.welch).toBeNull();
    // Losses read lower-is-better: he_normal's final val losses (0.40, 0.37, 0.34) are above glorot_normal's (0.30, 0.28, 0.26).
    expect(v.comparisons.find((c) => c.metric === 'valLoss' && c.group === 'he_normal')?.comparison.verdict.text).toBe('glorot_normal better than he_normal');

    expect(v.groups.map((g) => [g.key, g.detectors.plateau.map((h) => [h.runId, h.seed, h.epoch, h.message]), g.detectors['wrong-step'].length])).toEqual([
      ['glorot_normal', [], 0],
      ['he_normal', [[ids['he_normal']?.[1], 2, 0, PLATEAU_MESSAGE]], 0],
      ['glorot_uniform', [], 0],
      ['he_uniform', [], 0],
    ]);
    // The tiny preset as each group trains it: the same summands, their stds set by the initializer.
    for (const g of v.groups) {
      expect(g.initProblem).toBeNull();
      expect(g.init?.summands.length).toBe(v.groups[0]?.init?.summands.length);
      expect(g.init?.s0Share).toBeGreaterThan(0);
      expect(g.init?.s0Share).toBeLessThanOrEqual(1);
    }
    expect(v.groups[0]?.init?.summands).not.toEqual(v.groups[1]?.init?.summands);

    expect(v.scale).toMatchObject({
      data: { datasets: ['demo: 32 images (synthetic), fingerprint cdcdcdcdcdcd'], subset: 'the demo set (32 samples)' },
      budgets: ['3 epochs, batch 4'],
      seeds: [1, 2, 3],
      runs: { stored: 11, counted: 10, missing: 1 },
    });
    expect(v.scale.groups.map((g) => [g.key, g.design, g.init, g.counted, g.runs])).toEqual([
      ['glorot_normal', `${INIT_EXPERIMENT} glorot_normal`, 'glorot_normal', 3, 3],
      ['he_normal', `${INIT_EXPERIMENT} he_normal`, 'he_normal', 3, 3],
      ['glorot_uniform', `${INIT_EXPERIMENT} glorot_uniform`, 'glorot_uniform', 3, 3],
      ['he_uniform', `${INIT_EXPERIMENT} he_uniform`, 'he_uniform', 1, 2],
    ]);

    expect(v.charts.curves.map((c) => [c.id, c.lines.map((l) => `${l.name}: ${l.points.length}`), c.bands?.length])).toEqual(
      ['valScore', 'valLoss', 'trainLoss'].map((m) => [`curves-${m}`, ['glorot_normal (n=3): 3', 'he_normal (n=3): 3', 'glorot_uniform (n=3): 3', 'he_uniform (n=1): 3'], 3]),
    );
    // The score curve's last point is the group's mean best score (the last epoch is the best).
    expect(v.charts.curves[0]?.lines[0]?.points.at(-1)).toEqual([3, expect.closeTo(0.62, 12)]);
    // The runs recorded no checkerboard amplitude, so it has no bars; each took 6 s for 3 epochs: 2 s per epoch.
    expect(v.charts.finals.map((b) => b.id)).toEqual(['final-bestScore', 'final-valScore', 'final-valIoU', 'final-valLoss', 'final-trainLoss', 'final-secondsPerEpoch']);
    expect(metric(v, 'glorot_normal', 'secondsPerEpoch')?.values).toEqual([2, 2, 2]);
    expect(metric(v, 'glorot_normal', 'valNyquistAmplitude')?.stats).toBeNull();
    expect(v.charts.finals[0]?.bars.map((b) => [b.name, b.n, b.value])).toEqual([
      ['glorot_normal', 3, expect.closeTo(0.62, 12)],
      ['he_normal', 3, expect.closeTo(0.53, 12)],
      ['glorot_uniform', 3, expect.closeTo(0.623333, 6)],
      ['he_uniform', 1, 0.55],
    ]);
    expect(v.charts.finals[0]?.bars[0]?.low).toBe(gn?.interval?.low);
    expect(v.charts.summands.series.map((s) => s.name)).toEqual(['glorot_normal · at head', 'he_normal · at head', 'glorot_uniform · at head', 'he_uniform · at head']);
    // An explicit version gives the same.
    expect(await view({ name: INIT_EXPERIMENT, version: 1 })).toEqual(v);
  });

  it('computes the same comparisons as strata experiment report', async () => {
    const v = await view({ name: INIT_EXPERIMENT });
    let printed = '';
    const quiet = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed += String(chunk);
      return true;
    });
    try {
      expect(await experimentReportCommand([INIT_EXPERIMENT, '--runs-dir', runsDir, '--out', path.join(home, 'report'), '--json'])).toBe(0);
    } finally {
      quiet.mockRestore();
    }
    const report = JSON.parse(printed) as { comparisons: unknown[] };
    expect(report.comparisons).toEqual(v.comparisons.map((c) => ({ metric: c.metric, group: c.group, baseline: c.baseline, difference: c.comparison.difference, welch: c.comparison.welch, bootstrap: c.comparison.bootstrap, verdict: c.comparison.verdict })));
    expect(fs.readFileSync(path.join(home, 'report', `${INIT_EXPERIMENT}.md`), 'utf8')).toContain(`**Claim.** ${INIT_CLAIM}`);
  });

  it('shows an experiment known by its tags alone, and refuses what it cannot show, by name', async () => {
    const old = await view({ name: 'tags-only' });
    expect(old).toMatchObject({ version: 2, about: null, source: { kind: 'tags', problem: null }, missing: [] });
    expect(old.groups.map((g) => [g.key, g.counted])).toEqual([['a', 1]]);
    expect(old.comparisons).toEqual([]);

    const refused = (code: string, message: string) => ({ ok: false, error: { code, message } });
    expect(await dispatchCall(handlers, 'experimentResults', { name: 'nope' })).toEqual(refused('not-found', 'no runs of experiment nope in this store'));
    expect(await dispatchCall(handlers, 'experimentResults', { name: INIT_EXPERIMENT, version: 2 })).toEqual(
      refused('not-found', `experiment ${INIT_EXPERIMENT} has no runs of version 2 in this store (it has version 1)`),
    );
    const bad = await dispatchCall(handlers, 'experimentResults', { name: 'no spaces' });
    expect(bad.ok).toBe(false);
    expect(JSON.stringify(bad)).toContain('an experiment name is 1 to 64 letters, digits, _ or -, starting with a letter or digit');
    const badVersion = await dispatchCall(handlers, 'experimentResults', { name: INIT_EXPERIMENT, version: 0 });
    expect(JSON.stringify(badVersion)).toContain('an experiment version is at least 1');
  });
});
