/** The monitor store against a fake lab: which run is watched, its curves rebuilt and extended live, and commands on it. */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/api/errors';
import type { BatchMetric } from '../../shared/runs/types';
import { useMonitorStore } from '../../src-renderer/stores/monitorStore';
import { useRunsStore } from '../../src-renderer/stores/runsStore';
import { fakeLab, settle } from './fakeLab';
import { summary } from './fixtures';

const A = '20250607-153012-123-aaaaaa';
const B = '20250608-153012-123-bbbbbb';
const step = (s: number): BatchMetric => ({ step: s, epoch: 0, batch: s, loss: 1 / (s + 1), iou: 0.1, lr: 0.01, imagesPerSec: 10, time: 1000 + s });

beforeEach(() => setActivePinia(createPinia()));

function lab(statusOf: () => 'running' | 'paused' | 'done', impl = {}) {
  return fakeLab({
    listRuns: () => ({ runs: [summary({ id: B, status: 'done' }), summary({ id: A, status: statusOf() })], total: 2 }),
    getRun: (i) => ({ ...summary({ id: (i as { id: string }).id, status: (i as { id: string }).id === A ? statusOf() : 'done' }), arch: {}, split: { train: [], val: [] } }),
    getBatchMetrics: () => [step(0), step(1)],
    getEpochMetrics: () => [],
    getRunEvents: () => [],
    ...impl,
  });
}

describe('monitor store', () => {
  it('watches the training run when none was chosen, rebuilds its curves from the store and extends them live', async () => {
    const fake = lab(() => 'running');
    const m = useMonitorStore();
    const undo = m.follow();
    await settle();
    expect(m.watchedId).toBe(A);
    expect(m.runs.map((r) => r.id)).toEqual([B, A]);
    expect(m.seriesLoad).toEqual({ state: 'ready', value: true });
    expect(m.series?.batches.step).toEqual([0, 1]);
    expect(m.charts.length).toBeGreaterThan(0);
    expect(fake.listeners().runEvent).toBe(1);

    fake.runEvent(A, { type: 'batch', runId: A, metric: step(2), batches: 10, epochs: 2, etaSeconds: 5 });
    fake.runEvent(A, { type: 'batch', runId: A, metric: step(3), batches: 10, epochs: 2, etaSeconds: 4 });
    // Applied a frame at a time, not per message.
    expect(m.series?.batches.step).toEqual([0, 1]);
    await new Promise((r) => setTimeout(r, 200));
    expect(m.series?.batches.step).toEqual([0, 1, 2, 3]);

    m.setSettings({ logLoss: true });
    expect(m.settings.logLoss).toBe(true);
    undo();
    expect(fake.listeners()).toEqual({ runsChanged: 0, runEvent: 0, link: 0 });
  });

  it('reads the watched run again when its status changes or the socket reconnects, and follows another run when told', async () => {
    let status: 'running' | 'paused' = 'running';
    const fake = lab(() => status);
    const m = useMonitorStore();
    const undo = m.follow();
    await settle();
    status = 'paused';
    fake.runsChanged({ change: 'status', runId: A });
    await settle();
    expect(m.series?.status).toBe('paused');
    const reads = fake.calls.filter((c) => c === 'getRun').length;
    fake.runsChanged({ change: 'progress', runId: B });
    await settle();
    expect(fake.calls.filter((c) => c === 'getRun').length).toBe(reads);
    fake.link('open');
    await settle();
    expect(fake.calls.filter((c) => c === 'getRun').length).toBe(reads + 1);

    await m.watch(B);
    expect(m.series?.runId).toBe(B);
    fake.runEvent(A, { type: 'batch', runId: A, metric: step(9), batches: 10, epochs: 2, etaSeconds: 1 });
    await new Promise((r) => setTimeout(r, 200));
    expect(m.series?.batches.step).toEqual([0, 1]);
    undo();
  });

  it('pauses and stops the watched run through the runs store, shows a refusal on it, and reads it again', async () => {
    let status: 'running' | 'paused' = 'running';
    const stops: unknown[] = [];
    const fake = lab(() => status, {
      pauseRun: () => ((status = 'paused'), summary({ id: A, status })),
      stopRun: (i: unknown) => (stops.push(i), Promise.reject(new ApiError('conflict', `run ${A} is paused`))),
    });
    const m = useMonitorStore();
    const undo = m.follow();
    await settle();
    const pausing = m.pause();
    await Promise.resolve();
    expect(m.busy).toBe('pause');
    await pausing;
    expect(m.busy).toBeNull();
    expect(m.series?.status).toBe('paused');
    await m.stop();
    expect(stops).toEqual([{ id: A, reason: 'stopped from the training monitor' }]);
    expect(m.error).toBe(`run ${A} is paused`);
    // Another run watched: that refusal is not about it.
    await m.watch(B);
    expect(m.error).toBeNull();
    expect(useRunsStore().commandError).toBeNull();
    expect(fake.calls).toContain('pauseRun');
    undo();
  });
});
