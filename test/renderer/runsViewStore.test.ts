/** The Runs view's store: its sort over the runs store's list, the open run, and commands re-reading it. */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { useRunsStore } from '../../src-renderer/stores/runsStore';
import { useRunsViewStore } from '../../src-renderer/stores/runsViewStore';
import { fakeLab, settle } from './fakeLab';
import { summary } from './fixtures';

const A = '20250607-153012-123-aaaaaa';
const B = '20250608-153012-123-bbbbbb';

beforeEach(() => setActivePinia(createPinia()));

describe('runs view store', () => {
  it('sorts the runs store’s list, re-reads the open run when the lab says it changed, and after a command', async () => {
    let status: 'running' | 'paused' = 'running';
    const lab = fakeLab({
      listRuns: () => ({ runs: [summary({ id: B, name: 'b' }), summary({ id: A, name: 'a' })], total: 2 }),
      getRun: (i) => ({ ...summary({ id: (i as { id: string }).id, status }), arch: {}, split: { train: [], val: [] } }),
      getEpochMetrics: () => [],
      pauseRun: () => ((status = 'paused'), summary({ id: A, status })),
      listPresets: () => [{ name: 'tiny', convLayers: 12 }],
    });
    const s = useRunsViewStore();
    const undo = s.follow();
    await useRunsStore().loaded();
    s.sortBy('name');
    const byName = s.runs.map((r) => r.name);
    s.sortBy('name');
    expect(s.runs.map((r) => r.name)).toEqual([...byName].reverse());
    expect([...byName].sort()).toEqual(['a', 'b']);

    await s.open(A);
    expect(s.details).toMatchObject({ state: 'ready', value: { record: { id: A, status: 'running' } } });
    lab.runsChanged({ change: 'progress', runId: B });
    await settle();
    const reads = lab.calls.filter((c) => c === 'getRun').length;
    expect(reads).toBe(1);
    lab.runsChanged({ change: 'status', runId: A });
    await settle();
    expect(lab.calls.filter((c) => c === 'getRun').length).toBe(2);

    expect(await s.pause(A)).toBe(true);
    expect(s.details).toMatchObject({ state: 'ready', value: { record: { status: 'paused' } } });
    await s.loadPresets();
    expect(s.presets.map((p) => p.name)).toEqual(['tiny']);
    undo();
    expect(lab.listeners().runsChanged).toBe(0);
  });
});
