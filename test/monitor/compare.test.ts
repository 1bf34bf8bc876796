/** Comparing runs: the configuration-diff legend and the seed-group statistics shown, against hand-computed values. */
import { describe, expect, it } from 'vitest';
import type { EpochMetric, RunSummary } from '../../shared/runs/types';
import {
  bandChart,
  configDiff,
  diffSummary,
  groupBySeed,
  groupFinalStats,
  legendLabel,
  overlayChart,
  sortRows,
  compareRows,
} from '../../src-renderer/workflows/compareRuns';
import { summary } from '../renderer/fixtures';

const run = (id: string, over: Partial<RunSummary['config']>, extra: Partial<RunSummary> = {}): RunSummary =>
  summary({ id, name: id, ...extra, config: { ...summary().config, ...over } });
const em = (epoch: number, valScore: number): EpochMetric => ({
  epoch, step: epoch, trainLoss: 1, trainIoU: 0, valLoss: 1, valIoU: valScore / 2, valPixelIoU: 0, valScore, bestThreshold: 0.5, lr: 0.01, imagesPerSec: 1, epochSeconds: 2, time: 0,
});

describe('the config-diff legend', () => {
  // SGD throughout (no longer the default), so that only its learning rate differs.
  const sgd = (lr: number) => ({ name: 'sgd' as const, lr, momentum: 0.9 });
  const a = run('a', { init: 'glorot_normal', optimizer: sgd(0.01) });
  const b = run('b', { init: 'he_uniform', optimizer: sgd(0.01) });
  const c = run('c', { init: 'he_uniform', optimizer: sgd(0.001) });

  it('names only the settings that differ, each value once', () => {
    expect(configDiff([a, b])).toEqual([{ key: 'init', values: ['glorot_normal', 'he_uniform'] }]);
    expect(diffSummary(configDiff([a, b]))).toBe('init: glorot_normal vs he_uniform');
    // In the configuration's own order: the optimizer comes before the initializer.
    expect(diffSummary(configDiff([a, b, c]))).toBe('lr: 0.01 vs 0.001; init: glorot_normal vs he_uniform');
    expect(diffSummary(configDiff([a, a]))).toBe('same configuration');
  });

  it('labels each run with its own values', () => {
    const diffs = configDiff([a, c]);
    expect(legendLabel(c, 1, diffs)).toBe('c (lr=0.001, init=he_uniform)');
    const chart = overlayChart([a, c], new Map([['a', [em(0, 0.1)]], ['c', [em(0, 0.2), em(1, 0.4)]]]), 'valScore', 100);
    expect(chart.lines.map((l) => l.name)).toEqual(['a (lr=0.01, init=glorot_normal)', 'c (lr=0.001, init=he_uniform)']);
    expect(chart.lines[1]?.points).toEqual([[1, 0.2], [2, 0.4]]);
  });
});

describe('seed groups', () => {
  // Three seeds of one configuration, one run of another.
  const s1 = run('s1', { seed: 1 });
  const s2 = run('s2', { seed: 2 });
  const s3 = run('s3', { seed: 3 }, { best: { epoch: 1, score: 0.6, metric: 'valScore' } });
  const other = run('o', { seed: 1, init: 'he_normal' });
  const epochs = new Map<string, EpochMetric[]>([
    ['s1', [em(0, 0.2), em(1, 0.4)]],
    ['s2', [em(0, 0.4), em(1, 0.6)]],
    ['s3', [em(0, 0.6), em(1, 0.8)]],
  ]);

  it('groups runs that differ only in seed and labels groups by what differs', () => {
    const groups = groupBySeed([s1, other, s2, s3]);
    expect(groups.map((g) => g.runs.map((r) => r.id))).toEqual([['s1', 's2', 's3'], ['o']]);
    expect(groups.map((g) => g.label)).toEqual(['init=glorot_normal', 'init=he_normal']);
  });

  it('shows final metrics as mean, sample std, min and max', () => {
    const [g] = groupBySeed([s1, s2, s3]);
    if (!g) throw new Error('no group');
    const finals = groupFinalStats(g, epochs);
    // Final val scores 0.4, 0.6, 0.8: mean 0.6, deviations ±0.2, sample variance (0.04+0+0.04)/2 = 0.04, std 0.2.
    const score = finals.find((f) => f.metric === 'valScore')?.stats;
    expect(score?.n).toBe(3);
    expect(score?.mean).toBeCloseTo(0.6, 12);
    expect(score?.std).toBeCloseTo(0.2, 12);
    expect(score?.min).toBeCloseTo(0.4, 12);
    expect(score?.max).toBeCloseTo(0.8, 12);
    // Only s3 has a best score.
    expect(finals.find((f) => f.metric === 'bestScore')?.stats).toEqual({ n: 1, mean: 0.6, std: 0, min: 0.6, max: 0.6 });
  });

  it('draws the band as mean ± std per epoch', () => {
    const groups = groupBySeed([s1, s2, s3]);
    const chart = bandChart(groups, epochs, 'valScore');
    // Epoch 1: 0.2, 0.4, 0.6: mean 0.4, std 0.2.
    expect(chart.lines[0]?.points[0]?.[0]).toBe(1);
    expect(chart.lines[0]?.points[0]?.[1]).toBeCloseTo(0.4, 12);
    expect(chart.bands?.[0]?.lower[0]?.[1]).toBeCloseTo(0.2, 12);
    expect(chart.bands?.[0]?.upper[1]?.[1]).toBeCloseTo(0.8, 12);
    expect(chart.lines[0]?.name).toContain('(n=3)');
  });

  it('sorts the all-runs table by a metric, runs without one last', () => {
    const rows = compareRows([s1, s2, s3, other], epochs);
    expect(sortRows(rows, 'valIoU', true).map((r) => r.run.id)).toEqual(['s3', 's2', 's1', 'o']);
    expect(sortRows(rows, 'valIoU', false).map((r) => r.run.id)).toEqual(['s1', 's2', 's3', 'o']);
  });
});
