/**
 * A run's results as the runs list, the compare table and the run details show them (issue 21): the
 * test score in a column of its own (never the validation score), sorted with the runs without one
 * last, and the chosen post-processing in words.
 */
import { describe, expect, it } from 'vitest';
import { compareRows, sortRows } from '../../src-renderer/workflows/compareRuns';
import { RUN_COLUMN_TITLES, sortRuns } from '../../src-renderer/workflows/runTable';
import { describePostprocess } from '../../shared/runs/postprocess';
import { byKindText } from '../../src-renderer/workflows/runSettings';
import { summary } from './fixtures';

const test = (score: number) => ({ images: 40, score, emptyScore: 0.9, saltScore: 0.5, meanIoU: 0.6, at: 1 });
// a: validation 0.8 but no test set; b: test 0.7; c: test 0.75 with a lower validation score.
const a = summary({ id: '20250607-153012-123-aaaaaa', name: 'a', createdAt: 3, best: { epoch: 1, score: 0.8, metric: 'valScore' } });
const b = summary({ id: '20250607-153012-123-bbbbbb', name: 'b', createdAt: 2, best: { epoch: 1, score: 0.6, metric: 'valScore' }, test: test(0.7) });
const c = summary({ id: '20250607-153012-123-cccccc', name: 'c', createdAt: 1, best: { epoch: 1, score: 0.5, metric: 'valScore' }, test: test(0.75) });

describe('the test score column', () => {
  it('sorts the runs list by test score (runs on one test set), runs without one last either way, and titles it apart from validation', () => {
    expect(sortRuns([a, b, c], { column: 'test', desc: true }, true).map((r) => r.name)).toEqual(['c', 'b', 'a']);
    expect(sortRuns([a, b, c], { column: 'test', desc: false }, true).map((r) => r.name)).toEqual(['b', 'c', 'a']);
    expect(RUN_COLUMN_TITLES.test).toBe('Test score (held out)');
    expect(RUN_COLUMN_TITLES.best).toBe('Val score (best epoch)');
  });

  it('gives the compare table the test score of each run, never its validation score', () => {
    const rows = compareRows([a, b, c], new Map());
    expect(rows.map((r) => [r.bestScore, r.testScore])).toEqual([[0.8, null], [0.6, 0.7], [0.5, 0.75]]);
    expect(sortRows(rows, 'testScore', true, true).map((r) => r.run.name)).toEqual(['c', 'b', 'a']);
  });
});

describe('the chosen post-processing in words', () => {
  const base = { members: 'snapshots' as const, checkpointEpochs: [7, 8, 9], snapshots: 3, tta: true, threshold: 0.46, minArea: 20, tuned: { threshold: true, minArea: true } };

  // Run details word it with the one wording of shared/runs/postprocess.ts (the renderer had its own).
  it('names the checkpoints (1-based epochs), TTA, and whether threshold, area and vote were tuned or fixed', () => {
    expect(describePostprocess(base)).toBe('mean prediction of 3 snapshots (epochs 8, 9, 10), flip TTA, threshold 0.46 (tuned), minimum area 20 px (tuned)');
    expect(describePostprocess({ ...base, members: 'best', checkpointEpochs: [4], snapshots: 1, tta: false, threshold: 0.5, minArea: 0, tuned: { threshold: false, minArea: true } })).toBe(
      'best checkpoint (epoch 5), no TTA, threshold 0.5 (fixed), minimum area 0 px (tuned)',
    );
    expect(describePostprocess({ ...base, saltCut: 0.3, tuned: { ...base.tuned, saltCut: true } })).toBe(
      'mean prediction of 3 snapshots (epochs 8, 9, 10), flip TTA, threshold 0.46 (tuned), minimum area 20 px (tuned), salt-head vote: empty below 0.3 (tuned)',
    );
  });

  it('splits a score by empty and salt images, leaving out a kind the set lacks', () => {
    expect(byKindText(0.95, 0.5712)).toBe('empty images 0.9500 · salt images 0.5712');
    expect(byKindText(null, 0.5)).toBe('salt images 0.5000');
    expect(byKindText(null, null)).toBe('');
  });
});
