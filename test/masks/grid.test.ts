/** The grid's order, filters and virtual window, and the view reducer. */
import { describe, expect, it } from 'vitest';
import { gridWindow, orderImages, WORST_FIRST } from '../../src-renderer/workflows/masksGrid';
import { buildHistograms, scoresAt } from '../../src-renderer/workflows/masksScores';
import { INITIAL_MASKS_VIEW, masksViewReducer } from '../../src-renderer/workflows/masksView';

// Four 1x2 images: d (salt, found), b (no salt, FP), a (salt, missed), c (no salt, clean).
const ids = ['d', 'b', 'a', 'c'];
const truth = new Uint8Array([1, 1, 0, 0, 1, 0, 0, 0]);
const probs = new Uint8Array([255, 255, 255, 0, 0, 0, 0, 0]);
const s = scoresAt(buildHistograms(probs, truth, 4, 2), 0.5);
const facts = { ids, depths: [300, null, 100, 200], labelled: true };

describe('orderImages', () => {
  it('puts the worst first, ties by id', () => {
    // Scores: d 1, b 0, a 0, c 1.
    expect(orderImages(facts, s, WORST_FIRST, 'all').map((k) => ids[k])).toEqual(['a', 'b', 'c', 'd']);
    expect(orderImages(facts, s, { key: 'score', ascending: false }, 'all').map((k) => ids[k])).toEqual(['c', 'd', 'a', 'b']);
  });

  it('filters empty, non-empty, false-positive-only and missed-salt images', () => {
    const ask = (f: Parameters<typeof orderImages>[3]) => orderImages(facts, s, { key: 'id', ascending: true }, f).map((k) => ids[k]);
    expect(ask('empty')).toEqual(['b', 'c']);
    expect(ask('non-empty')).toEqual(['a', 'd']);
    expect(ask('false-positive')).toEqual(['b']);
    expect(ask('missed')).toEqual(['a']);
  });

  it('sorts by depth with unknown depths last, and by coverage', () => {
    expect(orderImages(facts, s, { key: 'depth', ascending: true }, 'all').map((k) => ids[k])).toEqual(['a', 'c', 'd', 'b']);
    expect(orderImages(facts, s, { key: 'coverage', ascending: false }, 'all').map((k) => ids[k])).toEqual(['d', 'a', 'b', 'c']);
  });
});

describe('gridWindow', () => {
  it('renders only the rows on screen plus the overscan', () => {
    // 1000 px wide, 100 px cells with 10 px gaps: 9 columns. Rows of 150 + 10 px. 3600 items: 400 rows.
    const w = gridWindow({ total: 3600, width: 1000, height: 600, scrollTop: 16_000, cell: 100, rowHeight: 150, gap: 10, overscan: 1 });
    expect(w.columns).toBe(9);
    expect(w.rows).toBe(400);
    // Rows 100 .. 104 visible (16000/160 = 100, (16000+600)/160 = 103.75 -> 104), one more each side.
    expect(w.start).toBe(99 * 9);
    expect(w.end).toBe(105 * 9);
    expect(w.offsetTop).toBe(99 * 160);
    expect(w.totalHeight).toBe(400 * 160 - 10);
  });
});

describe('masksViewReducer', () => {
  it('steps through the sorted grid within its ends, and flips the sort direction on the same key', () => {
    let st = masksViewReducer(INITIAL_MASKS_VIEW, { type: 'open', position: 2 });
    st = masksViewReducer(st, { type: 'step', delta: 1, length: 4 });
    expect(st.focus).toEqual({ mode: 'image', position: 3 });
    st = masksViewReducer(st, { type: 'step', delta: 1, length: 4 });
    expect(st.focus).toEqual({ mode: 'image', position: 3 });
    st = masksViewReducer(st, { type: 'sort', key: 'score' });
    expect(st.sort).toEqual({ key: 'score', ascending: false });
    expect(st.focus).toEqual({ mode: 'grid' });
    expect(masksViewReducer(st, { type: 'threshold', value: 7 }).draw.threshold).toBe(1);
  });
});
