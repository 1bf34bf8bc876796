/**
 * Test scores are ranked only on one test set (issue 21 review): runs of a sweep or of repeated
 * seeds hold out different images, so the runs list and the compare table show their test scores
 * with the set each is on, and a sort by them keeps the listed order. The test sets are read from
 * the runs' records once.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord, RunSummary } from '../../shared/runs/types';
import { useCompareStore } from '../../src-renderer/stores/compareStore';
import { useRunsViewStore } from '../../src-renderer/stores/runsViewStore';
import { compareRows, sortRows } from '../../src-renderer/workflows/compareRuns';
import { sortRuns } from '../../src-renderer/workflows/runTable';
import { TEST_SCORE_NOTE, testSetKey, testSetView, unrankedTestNote } from '../../src-renderer/workflows/testSets';
import { fakeLab, settle } from './fakeLab';
import { summary } from './fixtures';

const A = '20250607-153012-123-aaaaaa';
const B = '20250608-153012-123-bbbbbb';
const C = '20250609-153012-123-cccccc';
const D = '20250610-153012-123-dddddd';
const result = (score: number) => ({ images: 2, score, emptyScore: null, saltScore: score, meanIoU: score, at: 1 });
const dataset = summary().dataset;
const record = (test: string[], fingerprint = dataset.fingerprint) => ({ dataset: { ...dataset, fingerprint }, split: { train: ['t'], val: ['v'], test } });

describe('a run\'s test set', () => {
  it('is its data and its test ids, whatever their order; none without test ids', () => {
    expect(testSetKey(record(['b', 'a']))).toBe(testSetKey(record(['a', 'b'])));
    expect(testSetKey(record(['a', 'b']))).not.toBe(testSetKey(record(['a', 'c'])));
    // The same ids of other data are other images.
    expect(testSetKey(record(['a', 'b'], 'other'))).not.toBe(testSetKey(record(['a', 'b'])));
    expect(testSetKey(record([]))).toBeNull();
  });

  it('lets test scores be ranked only when every scored run is on one known set', () => {
    // a: no test score; b and c: set X; d: set Y.
    const runs = [{ id: A, test: null }, { id: B, test: result(0.7) }, { id: C, test: result(0.8) }, { id: D, test: result(0.9) }];
    const x = testSetKey(record(['s1', 's2']));
    const y = testSetKey(record(['s3', 's4']));
    const one = testSetView(runs.slice(0, 3), new Map([[B, x], [C, x]]));
    expect(one).toEqual({ scored: 2, sets: 1, unknown: 0, rankable: true, labels: new Map() });
    const two = testSetView(runs, new Map([[B, x], [C, x], [D, y]]));
    expect(two).toMatchObject({ scored: 3, sets: 2, unknown: 0, rankable: false });
    expect([...two.labels]).toEqual([[B, 'A'], [C, 'A'], [D, 'B']]);
    // C's set not read yet: not ranked until it is.
    expect(testSetView(runs.slice(0, 3), new Map([[B, x]]))).toMatchObject({ scored: 2, sets: 1, unknown: 1, rankable: false });
    expect(testSetView([], new Map()).rankable).toBe(true);
  });

  it('says what the test score is for, and why it is not ranked', () => {
    expect(TEST_SCORE_NOTE).toBe('The test score is held out: scored once, on images that no choice (checkpoint, threshold, minimum area) saw. Report it; choose runs by the validation score, not by this one.');
    expect(unrankedTestNote({ scored: 2, sets: 1, unknown: 0, rankable: true, labels: new Map() })).toBeNull();
    expect(unrankedTestNote({ scored: 3, sets: 2, unknown: 0, rankable: false, labels: new Map() })).toBe(
      'These test scores are on 2 different test sets (runs with other seeds or splits hold out other images), so they are shown but not ranked against each other; the letter names each run\'s set.',
    );
    expect(unrankedTestNote({ scored: 2, sets: 1, unknown: 1, rankable: false, labels: new Map() })).toBe('The test set of 1 scored run is not known yet, so the test scores are not ranked.');
    expect(unrankedTestNote({ scored: 3, sets: 0, unknown: 3, rankable: false, labels: new Map() })).toBe('The test sets of 3 scored runs are not known yet, so the test scores are not ranked.');
  });

  it('keeps the listed order when a sort by test score cannot rank; ranks it when it can', () => {
    const b = summary({ id: B, name: 'b', createdAt: 2, test: result(0.7) });
    const c = summary({ id: C, name: 'c', createdAt: 3, test: result(0.9) });
    const d = summary({ id: D, name: 'd', createdAt: 1, test: result(0.8) });
    const names = (rs: { name: string }[]) => rs.map((r) => r.name);
    // The runs list: newest first, as without a sort.
    expect(names(sortRuns([d, b, c], { column: 'test', desc: true }, false))).toEqual(['c', 'b', 'd']);
    expect(names(sortRuns([d, b, c], { column: 'test', desc: true }))).toEqual(['c', 'b', 'd']);
    expect(names(sortRuns([d, b, c], { column: 'test', desc: true }, true))).toEqual(['c', 'd', 'b']);
    // The compare table: its listed order.
    const rows = compareRows([d, b, c], new Map());
    expect(sortRows(rows, 'testScore', true, false).map((r) => r.run.name)).toEqual(['d', 'b', 'c']);
    expect(sortRows(rows, 'testScore', true).map((r) => r.run.name)).toEqual(['d', 'b', 'c']);
    expect(sortRows(rows, 'testScore', true, true).map((r) => r.run.name)).toEqual(['c', 'd', 'b']);
    // Other columns sort as before.
    expect(sortRows(rows, 'name', false, false).map((r) => r.run.name)).toEqual(['b', 'c', 'd']);
  });
});

describe('the stores read each scored run\'s test set once', () => {
  beforeEach(() => setActivePinia(createPinia()));

  // Two seeds of one configuration (other test ids), a run without a test set, and a third seed on B's set.
  const splits: Record<string, string[]> = { [A]: [], [B]: ['x1', 'x2'], [C]: ['y1', 'y2'], [D]: ['x2', 'x1'] };
  function lab(runs: () => RunSummary[]) {
    const reads: string[] = [];
    const l = fakeLab({
      listRuns: () => ({ runs: runs(), total: runs().length }),
      getEpochMetrics: () => [],
      getRun: (i) => {
        const id = (i as { id: string }).id;
        reads.push(id);
        return { ...summary({ id }), ...record(splits[id] ?? []) } as unknown as RunRecord;
      },
    });
    return { l, reads };
  }

  it('compare: two seeds on different test sets are shown with their sets and not ranked; on one set they are', async () => {
    let runs = [summary({ id: C, createdAt: 3, test: result(0.9) }), summary({ id: B, createdAt: 2, test: result(0.7) }), summary({ id: A, createdAt: 1 })];
    const { l, reads } = lab(() => runs);
    const c = useCompareStore();
    const undo = c.follow();
    await settle();
    // A has no test score: its record is not read.
    expect(reads.sort()).toEqual([B, C]);
    expect(c.testSets).toMatchObject({ scored: 2, sets: 2, rankable: false });
    expect([...c.testSets.labels]).toEqual([[B, 'A'], [C, 'B']]);

    // D is scored on B's set, and C is gone: one set, ranked. B is not read again.
    runs = [summary({ id: D, createdAt: 4, test: result(0.8) }), summary({ id: B, createdAt: 2, test: result(0.7) }), summary({ id: A, createdAt: 1 })];
    reads.length = 0;
    l.runsChanged({ change: 'deleted', runId: C });
    await settle();
    expect(reads).toEqual([D]);
    expect(c.testSets).toEqual({ scored: 2, sets: 1, unknown: 0, rankable: true, labels: new Map() });
    undo();
  });

  it('runs list: a sort by test score keeps newest first while the sets differ, and says why', async () => {
    const runs = [summary({ id: C, name: 'c', createdAt: 3, test: result(0.7) }), summary({ id: B, name: 'b', createdAt: 2, test: result(0.9) })];
    const { reads } = lab(() => runs);
    const v = useRunsViewStore();
    const undo = v.follow();
    await settle();
    expect(reads.sort()).toEqual([B, C]);
    v.sortBy('test');
    expect(v.sort).toEqual({ column: 'test', desc: true });
    expect(v.runs.map((r) => r.name)).toEqual(['c', 'b']);
    expect(unrankedTestNote(v.testSets)).toMatch(/^These test scores are on 2 different test sets/);
    undo();
  });

  it('a record that cannot be read leaves its set unknown and says so', async () => {
    const runs = [summary({ id: B, createdAt: 2, test: result(0.7) })];
    fakeLab({ listRuns: () => ({ runs, total: 1 }), getEpochMetrics: () => [], getRun: () => Promise.reject(new Error('the run folder is gone')) });
    const c = useCompareStore();
    const undo = c.follow();
    await settle();
    expect(c.testSets).toMatchObject({ scored: 1, unknown: 1, rankable: false });
    expect(c.problem).toBe("Could not read a run's test set: the run folder is gone");
    undo();
  });
});
