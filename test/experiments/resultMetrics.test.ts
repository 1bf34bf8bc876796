/**
 * The final metrics claims 4 and 6 need, and what the lab's view passes on, on a temp store of tagged
 * runs written through the store's API (read by their tags, as `strata experiment report NAME`):
 * - the last epoch's checkerboard amplitude (valNyquistAmplitude, lower is better; a run that did not
 *   record it gives no value, not 0) and training seconds per epoch (durationMs over epochs done,
 *   lower is better), hand-worked, with their verdicts and the report's table and notes;
 * - the view (shared/experiments/view.ts) passes on the diverged runs, each group's loss, the losses'
 *   comparability and the curve metrics, and the Experiments tab says them in plain words.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { experimentResults, type ExperimentResults } from '../../shared/experiments/results';
import { experimentView, type ExperimentView } from '../../shared/experiments/view';
import { divergenceReason } from '../../shared/runs/divergence';
import type { EpochMetric, ExperimentTag, RunConfig } from '../../shared/runs/types';
import { reportMarkdown } from '../../src-main/experiments/report/markdown';
import { runsOfName } from '../../src-main/experiments/storedRuns';
import type { RunStore } from '../../src-main/runs/store';
import { comparisonRows, countedText, divergedNote, lossNote, metricNotes, runState, shownMetrics } from '../../src-renderer/workflows/experimentView';
import { withStore } from '../helpers/store';
import { tempDir } from '../helpers/tempDir';
import { sampleInit } from '../runs/sample';

const tmp = tempDir('experiment-metrics');
const runsDir = path.join(tmp, 'runs');

function epoch(e: number, extra: Record<string, number> | undefined): EpochMetric {
  return {
    epoch: e,
    step: (e + 1) * 10,
    trainLoss: 0.4,
    trainIoU: 0.5,
    valLoss: 0.5,
    valIoU: 0.4,
    valPixelIoU: 0.45,
    valScore: 0.5 + 0.01 * e,
    bestThreshold: 0.5,
    lr: 0.001,
    imagesPerSec: 100,
    epochSeconds: 2,
    time: 1_700_000_000_000 + e * 2000,
    ...(extra ? { extra } : {}),
  };
}

const tag = (name: string, group: string, seed: number): ExperimentTag => ({ name, version: 1, group, seed, fingerprint: String(group.length % 10).repeat(64) });

interface RunSpec {
  /** The last epoch's checkerboard amplitude; null: the run recorded none (an older Strata). */
  amplitude: number | null;
  durationMs: number;
  epochs: number;
  loss?: RunConfig['loss'];
  divergedReason?: string;
}

/** A tagged run of `epochs` epochs; earlier epochs score a checkerboard of 0.5, which must not count. */
function addRun(s: RunStore, t: ExperimentTag, r: RunSpec): string {
  const init = sampleInit({ name: `${t.name} ${t.group} seed ${t.seed}`, experiment: t });
  const run = s.createRun({ ...init, config: { ...init.config, seed: t.seed, epochs: 3, ...(r.loss ? { loss: r.loss } : {}) } });
  for (let e = 0; e < r.epochs; e++) {
    const last = e === r.epochs - 1;
    s.appendEpochMetric(run.id, epoch(e, last ? (r.amplitude === null ? { valCheckerboard: 0.7 } : { valNyquistAmplitude: r.amplitude, valNyquistShape: 0.3 }) : { valNyquistAmplitude: 0.5 }));
  }
  const best = r.epochs > 0 ? { epoch: r.epochs - 1, score: 0.5 + 0.01 * (r.epochs - 1), metric: 'valScore' as const } : null;
  s.update(run.id, { status: r.divergedReason ? 'failed' : 'done', statusReason: r.divergedReason ?? null, epochsDone: r.epochs, best, durationMs: r.durationMs, endedAt: Date.now() });
  return run.id;
}

let divergedId = '';
let r: ExperimentResults;
let view: ExperimentView;

beforeAll(() => {
  withStore(runsDir, (s) => {
    // Claim 4's shape. t5x5 (the baseline): amplitudes 0.02, 0.03, 0.04 (mean 0.03, std 0.01) and
    // 30, 36, 42 s over 3 epochs: 10, 12, 14 s per epoch (mean 12, std 2).
    [0.02, 0.03, 0.04].forEach((a, i) => addRun(s, tag('kernels', 't5x5', i + 1), { amplitude: a, durationMs: [30_000, 36_000, 42_000][i] as number, epochs: 3 }));
    // t3x3: 0.10, 0.12, 0.14 (mean 0.12, std 0.02); 20, 24, 28 s per epoch (mean 24, std 4).
    [0.1, 0.12, 0.14].forEach((a, i) => addRun(s, tag('kernels', 't3x3', i + 1), { amplitude: a, durationMs: [60_000, 72_000, 84_000][i] as number, epochs: 3 }));
    // older: runs from before the amplitude was recorded (the legacy shape ratio only), and one that
    // diverged before its first epoch ended: no amplitude and no time per epoch from any of them.
    [1, 2, 3].forEach((seed) => addRun(s, tag('kernels', 'older', seed), { amplitude: null, durationMs: 30_000, epochs: 3 }));
    divergedId = addRun(s, tag('kernels', 'older', 4), { amplitude: null, durationMs: 5000, epochs: 0, divergedReason: divergenceReason(Number.NaN, 0, 3) });
    // Two losses: not comparable.
    addRun(s, tag('losses', 'batch', 1), { amplitude: 0.1, durationMs: 3000, epochs: 3, loss: { name: 'batch-iou', lovaszWeight: 1 } });
    addRun(s, tag('losses', 'per-image', 1), { amplitude: 0.1, durationMs: 3000, epochs: 3, loss: { name: 'per-image-iou', eps: 0.62, lovaszWeight: 1 } });
  });
  withStore(runsDir, (s) => {
    const runs = runsOfName(s, 'kernels');
    r = experimentResults(runs.groups);
    view = experimentView(runs, r);
  });
});

const metric = (group: string, m: string) => r.groups.find((g) => g.key === group)?.metrics.find((x) => x.metric === m);
const comparison = (group: string, m: string) => r.comparisons.find((c) => c.group === group && c.metric === m);

describe("claims 4 and 6's final metrics", () => {
  it("read the last epoch's checkerboard amplitude, and no value, not 0, where a run did not record one", () => {
    expect(metric('t5x5', 'valNyquistAmplitude')?.values).toEqual([0.02, 0.03, 0.04]);
    expect(metric('t5x5', 'valNyquistAmplitude')?.stats).toMatchObject({ n: 3, mean: expect.closeTo(0.03, 12), std: expect.closeTo(0.01, 12) });
    expect(metric('t3x3', 'valNyquistAmplitude')?.stats).toMatchObject({ n: 3, mean: expect.closeTo(0.12, 12), std: expect.closeTo(0.02, 12) });
    expect(metric('older', 'valNyquistAmplitude')).toEqual({ metric: 'valNyquistAmplitude', values: [], stats: null, interval: null });
    // Lower is better: t3x3's is higher by 0.09, Welch's interval above 0, so the baseline is better.
    // se = sqrt(0.01²/3 + 0.02²/3) = 0.012910; df = (0.0001/3 + 0.0004/3)² / ((0.0001/3)²/2 + (0.0004/3)²/2) = 2.9412.
    const c = comparison('t3x3', 'valNyquistAmplitude');
    expect(c?.comparison.difference).toBeCloseTo(0.09, 12);
    expect(c?.comparison.welch?.se).toBeCloseTo(0.01291, 5);
    expect(c?.comparison.welch?.df).toBeCloseTo(2.9412, 4);
    expect(c?.comparison.verdict).toEqual({ kind: 'b-better', text: 't5x5 better than t3x3' });
    expect(comparison('older', 'valNyquistAmplitude')).toBeUndefined();
  });

  it('give training seconds per epoch, none for a run without a complete epoch, lower being better', () => {
    expect(metric('t5x5', 'secondsPerEpoch')?.values).toEqual([10, 12, 14]);
    expect(metric('t3x3', 'secondsPerEpoch')?.stats).toMatchObject({ n: 3, mean: 24, std: 4 });
    // The diverged run counts (4 runs) but has no epoch to divide by: three values, 30 s / 3 epochs each.
    expect(r.groups.find((g) => g.key === 'older')?.counted).toHaveLength(4);
    expect(metric('older', 'secondsPerEpoch')?.values).toEqual([10, 10, 10]);
    expect(comparison('t3x3', 'secondsPerEpoch')?.comparison.verdict).toEqual({ kind: 'b-better', text: 't5x5 better than t3x3' });
    expect(comparison('t3x3', 'secondsPerEpoch')?.comparison.difference).toBe(12);

    const md = reportMarkdown({ name: 'kernels', version: 1, versions: [1], experiment: null, results: r, missing: [], figures: [], command: 'strata experiment report kernels' });
    expect(md).toContain('| Group | n | best val score | final val score | final val IoU | final val loss | final train loss | final checkerboard amplitude | training s per epoch |');
    expect(md).toContain('| t3x3 | 3 | 0.5200 ± 0.0000 | 0.5200 ± 0.0000 | 0.4000 ± 0.0000 | 0.5000 ± 0.0000 | 0.4000 ± 0.0000 | 0.1200 ± 0.0200 | 24.0000 ± 4.0000 |');
    expect(md).toContain("- final checkerboard amplitude: the last epoch's valNyquistAmplitude");
    expect(md).toContain('| training s per epoch | lower | t3x3 | 3, 3 | +12.0000 |');
    expect(md).toContain('losses, the checkerboard amplitude and the training seconds per epoch lower.');
  });
});

describe("the lab's view of them", () => {
  it('passes on the diverged runs, each group\'s loss, the losses\' comparability and the curve metrics', () => {
    const older = view.groups.find((g) => g.key === 'older');
    expect(older?.diverged).toEqual([{ runId: divergedId, seed: 4, epochsDone: 0, bestScore: null, reason: divergenceReason(Number.NaN, 0, 3) }]);
    expect(older?.runs.map((x) => [x.seed, x.diverged])).toEqual([[1, false], [2, false], [3, false], [4, true]]);
    expect(view.groups.map((g) => g.loss)).toEqual(['batch-iou, eps 0.62', 'batch-iou, eps 0.62', 'batch-iou, eps 0.62']);
    expect(view.losses).toEqual({ comparable: true, reason: null });
    expect(view.curveMetrics.map((m) => m.key)).toEqual(['valScore', 'valLoss', 'trainLoss']);
    expect(view.comparisons.find((c) => c.group === 'older' && c.metric === 'bestScore')?.diverged).toEqual({ group: 1, baseline: 0 });
    expect(view.charts.finals.map((b) => b.id)).toContain('final-valNyquistAmplitude');
    expect(view.charts.finals.map((b) => b.id)).toContain('final-secondsPerEpoch');
    expect(shownMetrics(view)).toEqual(['bestScore', 'valScore', 'valIoU', 'valLoss', 'trainLoss', 'valNyquistAmplitude', 'secondsPerEpoch']);

    const other = withStore(runsDir, (s) => {
      const runs = runsOfName(s, 'losses');
      return experimentView(runs, experimentResults(runs.groups));
    });
    expect(other.losses.comparable).toBe(false);
    expect(other.curveMetrics.map((m) => m.key)).toEqual(['valScore']);
    expect(other.charts.curves.map((c) => c.id)).toEqual(['curves-valScore']);
    expect(other.groups.map((g) => g.loss)).toEqual(['batch-iou, default eps', 'per-image-iou, eps 0.62']);
  });

  it('says them in plain words in the Experiments tab', () => {
    const older = view.groups.find((g) => g.key === 'older');
    if (!older) throw new Error('no group older');
    expect(countedText(older)).toBe('4 (1 diverged)');
    expect(older.runs.map(runState)).toEqual(['done', 'done', 'done', 'diverged']);
    // The values compared: the diverged run has no best score (no epoch ended), so 3 against 3; the verdict names it.
    expect(comparisonRows(view, 'bestScore').find((x) => x.group === 'older')?.n).toBe('3, 3');
    expect(comparisonRows(view, 'secondsPerEpoch').map((x) => [x.group, x.better, x.verdict])).toEqual([
      ['t3x3', 'lower', 't5x5 better than t3x3'],
      ['older', 'lower', 'no difference at this scale (but 1 of 4 runs of older diverged; counted with its training time over the epochs it completed, left out without one)'],
    ]);
    expect(divergedNote(view)).toEqual({
      text:
        '1 of 4 runs of older diverged. A diverged run is a final outcome of what it trains and is not trained again: it counts, with its best val score and its last complete epoch\'s metrics from before it diverged, and has no test score. ' +
        'Every comparison with a group that has one says so in its verdict.',
      runs: [{ group: 'older', runId: divergedId, text: `older, seed 4: its loss became NaN or infinite after 0 complete epochs (${divergenceReason(Number.NaN, 0, 3)}).` }],
    });
    expect(lossNote(view)).toBeNull();
    expect(metricNotes(shownMetrics(view))).toHaveLength(2);
    const other = withStore(runsDir, (s) => {
      const runs = runsOfName(s, 'losses');
      return experimentView(runs, experimentResults(runs.groups));
    });
    expect(lossNote(other)).toBe(`Losses are not compared or drawn together: ${other.losses.reason}.`);
    expect(other.losses.reason).toMatch(/^the groups train with different losses: batch-iou, default eps \(batch\); per-image-iou, eps 0\.62 \(per-image\)\./);
    expect(divergedNote(other)).toBeNull();
  });
});
