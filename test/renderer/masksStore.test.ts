/** The masks store's run list: the runs store's, narrowed to runs that can have predictions. */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { useMasksStore } from '../../src-renderer/stores/masksStore';
import { useRunsStore } from '../../src-renderer/stores/runsStore';
import { fakeLab, settle } from './fakeLab';
import { summary } from './fixtures';

const A = '20250607-153012-123-aaaaaa';
const B = '20250608-153012-123-bbbbbb';
const C = '20250609-153012-123-cccccc';

beforeEach(() => setActivePinia(createPinia()));

describe('masks store: runs', () => {
  it('lists runs with a stored epoch or training, newest first, kept fresh until the view closes', async () => {
    let runs = [summary({ id: C, status: 'queued', epochsDone: 0 }), summary({ id: B, status: 'running', epochsDone: 0 }), summary({ id: A, epochsDone: 2 })];
    const lab = fakeLab({ listRuns: () => ({ runs, total: runs.length }) });
    const m = useMasksStore();
    expect(m.runs).toEqual({ state: 'idle' });
    await m.refreshRuns();
    expect(m.runs).toEqual({ state: 'ready', value: [runs[1], runs[2]] });
    runs = [summary({ id: C, status: 'running', epochsDone: 0 }), ...runs.slice(1)];
    lab.runsChanged({ change: 'status', runId: C });
    await settle();
    expect(m.runs.state === 'ready' && m.runs.value.map((r) => r.id)).toEqual([C, B, A]);
    m.unfollow();
    expect(lab.listeners().runsChanged).toBe(0);
    expect(lab.calls.filter((c) => c === 'listRuns')).toHaveLength(2);
  });

  it('keeps the last list while the runs store reads again', async () => {
    fakeLab({ listRuns: () => ({ runs: [summary({ id: A, epochsDone: 1 })], total: 1 }) });
    const m = useMasksStore();
    await m.refreshRuns();
    const reading = useRunsStore().refresh();
    expect(m.runs).toMatchObject({ state: 'loading', previous: [{ id: A }] });
    await reading;
    expect(m.runs).toMatchObject({ state: 'ready' });
    m.unfollow();
  });
});
