/**
 * The rules the review asked of an experiment's results, on a temp store of tagged runs written
 * through the store's API (no copy of the file: the runs are read by their tags):
 * - losses are compared and drawn only when every group trains with the same loss;
 * - only a plateau event about the run's own start counts;
 * - a diverged run is a final outcome: complete, counted with its best score, listed, and named in
 *   every verdict of its group (here it turns "B better than A" into no difference);
 * - one run per group and seed, picked complete-first, for reports and `experiment status NAME` alike;
 * - a stop event of an earlier session does not make a later session's user stop complete.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CURVE_METRICS, curveChart, curveMetrics, experimentResults, finalBarChart, type ExperimentResults } from '../../shared/experiments/results';
import { divergenceReason } from '../../shared/runs/divergence';
import type { ExperimentTag, RunConfig } from '../../shared/runs/types';
import { experimentCommand } from '../../src-main/cli/commands/experiment';
import { writeReport } from '../../src-main/experiments/report/report';
import { isComplete, storedVersions } from '../../src-main/experiments/runs';
import { runsOfName } from '../../src-main/experiments/storedRuns';
import type { RunStore } from '../../src-main/runs/store';
import { experimentEpoch } from '../helpers/experimentStore';
import { withStore } from '../helpers/store';
import { tempDir } from '../helpers/tempDir';
import { sampleInit } from '../runs/sample';

const tmp = tempDir('experiment-rules');
const runsDir = path.join(tmp, 'runs');

const tag = (name: string, group: string, seed: number): ExperimentTag => ({ name, version: 1, group, seed, fingerprint: (group.length % 2 ? 'a' : 'b').repeat(64) });

/** A tagged run of two epochs with best score `best`, ended with `status` (and `reason`). */
function addRun(s: RunStore, t: ExperimentTag, best: number, opts: { loss?: RunConfig['loss']; status?: 'done' | 'stopped' | 'failed'; reason?: string } = {}): string {
  const init = sampleInit({ name: `${t.name} ${t.group} seed ${t.seed}`, experiment: t });
  const run = s.createRun({ ...init, config: { ...init.config, seed: t.seed, epochs: 2, ...(opts.loss ? { loss: opts.loss } : {}) } });
  [best - 0.05, best].forEach((v, e) => s.appendEpochMetric(run.id, experimentEpoch(e, v, 0.5 - 0.1 * e, 0.4 - 0.1 * e)));
  s.update(run.id, { status: opts.status ?? 'done', statusReason: opts.reason ?? null, epochsDone: 2, best: { epoch: 1, score: best, metric: 'valScore' }, durationMs: 4000, endedAt: Date.now() });
  return run.id;
}

const results = (name: string): ExperimentResults => withStore(runsDir, (s) => experimentResults(runsOfName(s, name).groups));

let plateauIds: string[] = [];
let divergedId = '';
let pickedDone = '';
let laterStop = '';

beforeAll(() => {
  withStore(runsDir, (s) => {
    // Claim 5's shape: the same scores under two losses (per-image IoU with eps 0.62 against batch IoU).
    for (const seed of [1, 2, 3]) {
      addRun(s, tag('eps', 'batch', seed), 0.5 + 0.01 * seed, { loss: { name: 'batch-iou', lovaszWeight: 1 } });
      addRun(s, tag('eps', 'per-image', seed), 0.6 + 0.01 * seed, { loss: { name: 'per-image-iou', eps: 0.62, lovaszWeight: 1 } });
    }
    // The same loss written two ways (per-image IoU's eps left to its default, 0.62, or given): comparable.
    for (const seed of [1, 2, 3]) {
      addRun(s, tag('same', 'given', seed), 0.5 + 0.01 * seed, { loss: { name: 'per-image-iou', eps: 0.62, lovaszWeight: 1 } });
      addRun(s, tag('same', 'default', seed), 0.6 + 0.01 * seed, { loss: { name: 'per-image-iou', lovaszWeight: 1 } });
    }
    // Plateau events: one at the run's start (step 8), one a resumed session judged on its own first 100 batches (step 250).
    plateauIds = [1, 2].map((seed) => addRun(s, tag('plateau', 'only', seed), 0.5));
    s.addEvent(plateauIds[0] as string, { time: Date.now(), step: 8, epoch: 0, type: 'plateau', message: 'started on a plateau: at the start', data: {} });
    s.addEvent(plateauIds[1] as string, { time: Date.now(), step: 250, epoch: 2, type: 'plateau', message: 'started on a plateau: in a resumed session', data: { batches: 100 } });

    // A: 4 done runs. B: 3 done runs that beat A, and one that diverged early (best 0.1).
    [0.5, 0.53, 0.56, 0.59].forEach((v, i) => addRun(s, tag('div', 'A', i + 1), v));
    [0.6, 0.62, 0.64].forEach((v, i) => addRun(s, tag('div', 'B', i + 1), v));
    divergedId = addRun(s, tag('div', 'B', 4), 0.1, { status: 'failed', reason: `${divergenceReason(Number.NaN, 1, 4)}; last stderr: nothing` });
    // A second run of A seed 1, made later and stopped by the user with more epochs: the done one stands for the seed.
    pickedDone = s.experimentRuns('div').find((r) => r.experiment?.group === 'A' && r.experiment.seed === 1)?.id ?? '';
    const extra = addRun(s, tag('div', 'A', 1), 0.9, { status: 'stopped', reason: 'stopped by the user (Ctrl-C)' });
    s.update(extra, { epochsDone: 5 });

    // Stopped by early stopping, then resumed and stopped by the user: not complete.
    laterStop = addRun(s, tag('stops', 'g', 1), 0.5, { status: 'stopped', reason: 'stopped by the user (Ctrl-C)' });
    s.addEvent(laterStop, { time: Date.now(), step: 20, epoch: 1, type: 'early-stop', message: 'early stop', data: {} });
    s.addEvent(laterStop, { time: Date.now(), step: 20, epoch: 2, type: 'resumed', message: 'resumed from the checkpoint of epoch 2', data: {} });
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('losses across groups', () => {
  it('are neither compared nor drawn when the groups train with different losses, and the report says why', () => {
    const r = results('eps');
    expect(r.losses.comparable).toBe(false);
    expect(r.losses.reason).toBe(
      'the groups train with different losses: batch-iou, default eps (batch); per-image-iou, eps 0.62 (per-image). A loss value is the run\'s own training objective, so losses of different losses are not compared or drawn together; the scores and IoUs are',
    );
    // Every run trained 2 epochs in 4 s: 2 s per epoch, compared like any metric that is not a loss.
    expect([...new Set(r.comparisons.map((c) => c.metric))]).toEqual(['bestScore', 'valScore', 'valIoU', 'secondsPerEpoch']);
    expect(curveMetrics(r).map((m) => m.key)).toEqual(['valScore']);
    const valLoss = CURVE_METRICS.find((m) => m.key === 'valLoss');
    if (!valLoss) throw new Error('no valLoss curve metric');
    expect(curveChart(r, valLoss).lines).toEqual([]);
    expect(finalBarChart(r, 'valLoss').bars).toEqual([]);
    expect(r.groups.map((g) => g.loss)).toEqual(['batch-iou, default eps', 'per-image-iou, eps 0.62']);
    // Each group's own loss values are still given, per group.
    expect(r.groups[0]?.metrics.find((m) => m.metric === 'valLoss')?.values).toEqual([0.4, 0.4, 0.4].map((v) => expect.closeTo(v, 12)));

    const out = path.join(tmp, 'report-eps');
    const written = withStore(runsDir, (s) => writeReport(runsOfName(s, 'eps'), { outDir: out, command: 'strata experiment report eps' }));
    const md = fs.readFileSync(written.markdown, 'utf8');
    expect(md).toContain(`**Losses are not compared.** Each group's losses above are its own; ${r.losses.reason}.`);
    expect(md).toContain(`Losses are left out of the comparisons: ${r.losses.reason}.`);
    expect(md).not.toMatch(/\| final val loss \| lower \|/);
    expect(written.figures.map((f) => path.basename(f))).toEqual(['eps-curves-valScore.svg', 'eps-final-bestScore.svg', 'eps-final-secondsPerEpoch.svg', 'eps-summands.svg']);
  });

  it('are compared when every group trains with the same loss, its default eps given or not', () => {
    const r = results('same');
    expect(r.losses).toEqual({ comparable: true, reason: null });
    expect([...new Set(r.comparisons.map((c) => c.metric))]).toEqual(['bestScore', 'valScore', 'valIoU', 'valLoss', 'trainLoss', 'secondsPerEpoch']);
    expect(curveMetrics(r).map((m) => m.key)).toEqual(['valScore', 'valLoss', 'trainLoss']);
  });
});

describe('detector events', () => {
  it('count a plateau only when it judged the start of the run', () => {
    const r = results('plateau');
    expect(r.groups[0]?.detectors.plateau.map((h) => [h.runId, h.step])).toEqual([[plateauIds[0], 8]]);
  });
});

describe('a diverged run', () => {
  it('is complete, counts with its best score, is listed, and is named in every verdict of its group', () => {
    const stored = withStore(runsDir, (s) => s.summary(divergedId));
    expect(withStore(runsDir, (s) => isComplete(s, stored))).toBe(true);
    const r = results('div');
    const b = r.groups.find((g) => g.key === 'B');
    expect(b?.counted.length).toBe(4);
    expect(b?.diverged).toEqual([{ runId: divergedId, seed: 4, epochsDone: 2, bestScore: 0.1, reason: stored.statusReason }]);
    expect(b?.metrics.find((m) => m.metric === 'bestScore')?.values).toEqual([0.6, 0.62, 0.64, 0.1]);
    const best = r.comparisons.find((c) => c.metric === 'bestScore' && c.group === 'B');
    // Left out, B (0.62 ± 0.02) would be "B better than A"; counted, the verdict holds 0, and says why.
    expect(best?.comparison.difference).toBeCloseTo(0.49 - 0.545, 12);
    expect(best?.comparison.verdict).toEqual({ kind: 'no-difference', text: 'no difference at this scale (but 1 of 4 runs of B diverged; counted with its best score before diverging)' });
    expect(best?.diverged).toEqual({ group: 1, baseline: 0 });
    const test = r.comparisons.filter((c) => c.metric === 'valScore').map((c) => c.comparison.verdict.text);
    expect(test).toEqual([expect.stringMatching(/\(but 1 of 4 runs of B diverged; counted with its last epoch before diverging\)$/)]);

    const written = withStore(runsDir, (s) => writeReport(runsOfName(s, 'div'), { outDir: path.join(tmp, 'report-div'), command: 'strata experiment report div' }));
    const md = fs.readFileSync(written.markdown, 'utf8');
    expect(md).toContain('| B | 4 (1 diverged) |');
    expect(md).toContain('## Diverged runs');
    expect(md).toContain('Runs whose loss became non-finite, per group: A 0 of 4, B 1 of 4.');
    expect(md).toContain(`- B, seed 4 (run ${divergedId}): after 2 epochs, best val score 0.1000; ${stored.statusReason}`);
    expect(md).toContain(`| B | 4 | ${divergedId} | diverged | 2 | 0.1000 | yes |`);
  });
});

describe('one run per group and seed', () => {
  it('is picked complete-first for a report by tags and for `experiment status NAME`', async () => {
    const r = results('div');
    const a = r.groups.find((g) => g.key === 'A');
    expect(a?.runs.map((x) => x.record.experiment?.seed)).toEqual([1, 2, 3, 4]);
    expect(a?.runs[0]?.record.id).toBe(pickedDone);
    expect(a?.metrics.find((m) => m.metric === 'bestScore')?.values).toEqual([0.5, 0.53, 0.56, 0.59]);
    const v = withStore(runsDir, (s) => storedVersions(s, 'div'))[0];
    expect(v?.groups.find((g) => g.key === 'A')?.others.length).toBe(1);

    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    expect(await experimentCommand(['status', 'div', '--runs-dir', runsDir])).toBe(0);
    const text = out.join('');
    expect(text.split('\n')[0]).toBe('experiment div v1: 8 runs, 8 complete (1 diverged); 1 other run of the same group and seed not counted');
    expect(text).toMatch(/\nA +done 0\.5000 \(2\/2\) +done 0\.5300 \(2\/2\)/);
    expect(text).toMatch(/\nB +done 0\.6000 \(2\/2\) +done 0\.6200 \(2\/2\) +done 0\.6400 \(2\/2\) +diverged 0\.1000 \(2\/2\)\n/);
  });
});

describe('isComplete', () => {
  it("reads a run's own stop off its last session only", () => {
    withStore(runsDir, (s) => {
      const run = s.summary(laterStop);
      expect(isComplete(s, run)).toBe(false);
      s.addEvent(laterStop, { time: Date.now(), step: 30, epoch: 2, type: 'time-limit', message: 'time budget reached', data: {} });
      expect(isComplete(s, run)).toBe(true);
    });
  });
});
