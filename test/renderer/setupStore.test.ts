/** The setup store against a fake lab: designs checked in the lab by reference, the warm-up, and queueing. */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/api/errors';
import type { DesignCheck } from '../../shared/api/types';
import { getPreset } from '../../shared/arch/presets';
import { useMonitorStore } from '../../src-renderer/stores/monitorStore';
import { useRunsStore } from '../../src-renderer/stores/runsStore';
import { useSetupStore } from '../../src-renderer/stores/setupStore';
import { useTrainingTabsStore } from '../../src-renderer/stores/trainingTabsStore';
import type { PlannedRun } from '../../src-renderer/workflows/trainingSetup';
import { fakeLab } from './fakeLab';
import { summary } from './fixtures';

const tiny = getPreset('tiny');
if (!tiny) throw new Error('no tiny preset');
const valid: DesignCheck = { valid: true, errors: [], summary: null, arch: tiny };
const A = '20250607-153012-123-aaaaaa';
const B = '20250608-153012-123-bbbbbb';

beforeEach(() => setActivePinia(createPinia()));

const planned = (name: string, seed: number): PlannedRun => ({
  request: { design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', name, config: { seed } },
  label: `seed ${seed}`,
});

describe('setup store', () => {
  it('checks a preset in one call to the lab (no design sent back), and gives its memory at a batch', async () => {
    const lab = fakeLab({
      listPresets: () => [{ name: 'tiny', convLayers: 12 }],
      listDesigns: () => [],
      checkDesign: (i) => (expect(i).toEqual({ design: { kind: 'preset', name: 'tiny' } }), valid),
    });
    const s = useSetupStore();
    await s.loadDesigns();
    expect(s.presets.map((p) => p.name)).toEqual(['tiny']);
    const checked = s.checkDesign({ kind: 'preset', name: 'tiny' });
    expect(s.checking).toBe(true);
    await checked;
    expect(s.checking).toBe(false);
    expect(lab.calls).toEqual(['listPresets', 'listDesigns', 'checkDesign']);
    expect(s.figuresAt(16)?.summary?.batch).toBe(16);
    expect(s.figuresAt(16)?.check).toEqual(valid);
  });

  it('shows only the latest check when two cross, and a failed check with the last answer kept', async () => {
    const answers: ((c: DesignCheck) => void)[] = [];
    let fail = false;
    fakeLab({
      checkDesign: () => (fail ? Promise.reject(new ApiError('not-found', 'no design gone')) : new Promise<DesignCheck>((r) => answers.push(r))),
    });
    const s = useSetupStore();
    const first = s.checkDesign({ kind: 'preset', name: 'fig2' });
    const second = s.checkDesign({ kind: 'preset', name: 'tiny' });
    await Promise.resolve();
    await Promise.resolve();
    answers[1]?.(valid);
    await second;
    answers[0]?.({ valid: false, errors: [], summary: null, arch: null });
    await first;
    expect(s.state.design).toMatchObject({ state: 'checked', choice: { name: 'tiny' }, check: valid });
    fail = true;
    await s.checkDesign({ kind: 'saved', id: 'gone' });
    expect(s.state.design).toMatchObject({ state: 'failed', message: 'no design gone', previous: valid });
    expect(s.figuresAt(8)?.check).toEqual(valid);
  });

  it('measures a warm-up: loading, then the estimate; a change forgets it; a failure is shown', async () => {
    let fail = false;
    fakeLab({ estimateEpoch: () => (fail ? Promise.reject(new ApiError('unavailable', 'no trainer')) : { secondsPerEpoch: 3 }) });
    const s = useSetupStore();
    const request = { design: { kind: 'preset' as const, name: 'tiny' }, datasetId: 'demo', steps: 2 };
    const measured = s.measure(request);
    expect(s.estimate).toEqual({ state: 'loading', previous: null });
    await measured;
    expect(s.estimate).toMatchObject({ state: 'ready', value: { secondsPerEpoch: 3 } });
    s.clearEstimate();
    expect(s.estimate).toEqual({ state: 'idle' });
    fail = true;
    await s.measure(request);
    expect(s.estimate).toEqual({ state: 'failed', message: 'no trainer', previous: null });
  });

  it('queues every planned run in order, then watches the first in the monitor', async () => {
    const started: unknown[] = [];
    const runs = [summary({ id: B }), summary({ id: A })];
    const lab = fakeLab({
      listRuns: () => ({ runs, total: 2 }),
      startRun: (i) => (started.push(i), summary({ id: started.length === 1 ? A : B, status: 'queued' })),
      getRun: (i) => ({ ...summary({ id: (i as { id: string }).id }), arch: {}, split: { train: [], val: [] } }),
      getBatchMetrics: () => [],
      getEpochMetrics: () => [],
      getRunEvents: () => [],
    });
    const s = useSetupStore();
    const queued = s.queue([planned('x · seed 1', 1), planned('x · seed 2', 2)]);
    expect(s.starting).toBe(true);
    expect(await queued).toBe(true);
    expect(s.starting).toBe(false);
    expect(s.startError).toBeNull();
    expect(started).toEqual([planned('x · seed 1', 1).request, planned('x · seed 2', 2).request]);
    expect(useMonitorStore().watchedId).toBe(A);
    expect(useMonitorStore().series?.runId).toBe(A);
    expect(useTrainingTabsStore().tab).toBe('monitor');
    expect(useRunsStore().summaries).toEqual(runs);
    expect(lab.calls.filter((c) => c === 'startRun')).toHaveLength(2);
  });

  it('stops at the first refusal and says which run it was and how many were queued', async () => {
    let n = 0;
    fakeLab({
      listRuns: () => ({ runs: [], total: 0 }),
      startRun: () => (++n === 2 ? Promise.reject(new ApiError('bad-request', 'the queue is full')) : summary({ id: A, status: 'queued' })),
      getRun: () => ({ ...summary({ id: A }), arch: {}, split: { train: [], val: [] } }),
      getBatchMetrics: () => [],
      getEpochMetrics: () => [],
      getRunEvents: () => [],
    });
    const s = useSetupStore();
    expect(await s.queue([planned('a', 1), planned('b', 2), planned('c', 3)])).toBe(false);
    expect(n).toBe(2);
    expect(s.startError).toBe('Run 2 (seed 2): the queue is full (1 of 3 were queued)');
    // The one queued run is watched all the same.
    expect(useMonitorStore().watchedId).toBe(A);

    setActivePinia(createPinia());
    fakeLab({ listRuns: () => ({ runs: [], total: 0 }), startRun: () => Promise.reject(new ApiError('bad-request', 'no dataset x')) });
    const one = useSetupStore();
    expect(await one.queue([planned('a', 1)])).toBe(false);
    expect(one.startError).toBe('no dataset x');
    expect(useTrainingTabsStore().tab).toBe('setup');
  });
});
