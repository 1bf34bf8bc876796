/** The compare store: the runs store's list oldest first, each run's epochs read once when finished and again while live. */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/api/errors';
import type { EpochMetric, RunSummary } from '../../shared/runs/types';
import { useCompareStore } from '../../src-renderer/stores/compareStore';
import { fakeLab, settle } from './fakeLab';
import { summary } from './fixtures';

const A = '20250607-153012-123-aaaaaa';
const B = '20250608-153012-123-bbbbbb';
const epoch = (e: number) => ({ epoch: e }) as EpochMetric;

beforeEach(() => setActivePinia(createPinia()));

describe('compare store', () => {
  it('reads epochs of new and live runs only, each time the run list is read', async () => {
    let runs: RunSummary[] = [summary({ id: B, status: 'running', epochsDone: 1, createdAt: 2 }), summary({ id: A, status: 'done', epochsDone: 1, createdAt: 1 })];
    const reads: string[] = [];
    const lab = fakeLab({
      listRuns: () => ({ runs, total: runs.length }),
      getEpochMetrics: (i) => {
        const id = (i as { id: string }).id;
        reads.push(id);
        return id === A ? [epoch(0)] : Array.from({ length: runs[0]?.epochsDone ?? 0 }, (_, k) => epoch(k));
      },
    });
    const c = useCompareStore();
    const undo = c.follow();
    await settle();
    expect(c.runs.map((r) => r.id)).toEqual([A, B]);
    expect(reads.sort()).toEqual([A, B]);
    expect(c.epochs.get(B)).toHaveLength(1);

    runs = [summary({ id: B, status: 'running', epochsDone: 2, createdAt: 2 }), summary({ id: A, status: 'done', epochsDone: 1, createdAt: 1 })];
    reads.length = 0;
    lab.runsChanged({ change: 'progress', runId: B });
    await settle();
    expect(reads).toEqual([B]);
    expect(c.epochs.get(B)).toHaveLength(2);
    expect(lab.calls.filter((x) => x === 'listRuns')).toHaveLength(2);
    undo();
    expect(lab.listeners().runsChanged).toBe(0);
  });

  it('keeps the selection of runs still listed, and shows a list that could not be read', async () => {
    let fail = false;
    let runs = [summary({ id: B, createdAt: 2 }), summary({ id: A, createdAt: 1 })];
    const lab = fakeLab({
      listRuns: () => (fail ? Promise.reject(new ApiError('unavailable', 'the lab is closing')) : { runs, total: runs.length }),
      getEpochMetrics: () => [],
    });
    const c = useCompareStore();
    const undo = c.follow();
    await settle();
    c.toggle(A);
    c.toggle(B);
    expect(c.selectedRuns.map((r) => r.id)).toEqual([A, B]);
    runs = [summary({ id: B, createdAt: 2 })];
    lab.runsChanged({ change: 'deleted', runId: A });
    await settle();
    expect(c.selected).toEqual([B]);
    fail = true;
    lab.runsChanged({ change: 'created', runId: null });
    await settle();
    expect(c.problem).toBe('the lab is closing');
    expect(c.runs.map((r) => r.id)).toEqual([B]);
    c.sortBy('name');
    expect(c.sort).toEqual({ column: 'name', desc: false });
    undo();
  });
});
