/** The runs store: the one run list (read once however many views follow it, kept fresh) and the commands on runs. */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/api/errors';
import type { RunSummary } from '../../shared/runs/types';
import { useCompareStore } from '../../src-renderer/stores/compareStore';
import { useMasksStore } from '../../src-renderer/stores/masksStore';
import { useMonitorStore } from '../../src-renderer/stores/monitorStore';
import { useRunsStore } from '../../src-renderer/stores/runsStore';
import { useRunsViewStore } from '../../src-renderer/stores/runsViewStore';
import { fakeLab, settle } from './fakeLab';
import { summary } from './fixtures';

const A = '20250607-153012-123-aaaaaa';
const B = '20250608-153012-123-bbbbbb';

beforeEach(() => setActivePinia(createPinia()));

function listing(runs: () => RunSummary[]) {
  return { listRuns: (i: unknown) => (expect(i).toEqual({}), { runs: runs(), total: runs().length }) };
}

describe('runs store: the run list', () => {
  it('is read once for every follower, re-read on each run change and after a reconnect, and dropped by the last undo', async () => {
    let runs = [summary({ id: B, createdAt: 2 }), summary({ id: A, createdAt: 1 })];
    const lab = fakeLab(listing(() => runs));
    const s = useRunsStore();
    const undoA = s.follow();
    const undoB = s.follow();
    await s.loaded();
    expect(lab.calls.filter((c) => c === 'listRuns')).toHaveLength(1);
    expect(lab.listeners().runsChanged).toBe(1);
    expect(s.summaries.map((r) => r.id)).toEqual([B, A]);
    expect(s.byId(A)?.createdAt).toBe(1);
    expect(s.byId('nope')).toBeNull();

    runs = [summary({ id: B, status: 'running' }), summary({ id: A })];
    lab.runsChanged({ change: 'status', runId: B });
    await settle();
    expect(s.byId(B)?.status).toBe('running');
    lab.link('open');
    await settle();
    expect(lab.calls.filter((c) => c === 'listRuns')).toHaveLength(3);

    undoA();
    undoA();
    expect(lab.listeners()).toMatchObject({ runsChanged: 1, link: 1 });
    undoB();
    expect(lab.listeners()).toMatchObject({ runsChanged: 0, link: 0 });
  });

  it('is the only list: the monitor, the Runs view, Compare and Masks read it and never list runs themselves', async () => {
    const runs = [summary({ id: B, status: 'running', epochsDone: 1, createdAt: 2 }), summary({ id: A, epochsDone: 0, createdAt: 1 })];
    const record = (id: string) => ({ ...summary({ id }), arch: {}, split: { train: [], val: [] } });
    const lab = fakeLab({
      ...listing(() => runs),
      getRun: (i) => record((i as { id: string }).id),
      getBatchMetrics: () => [],
      getEpochMetrics: () => [],
      getRunEvents: () => [],
      getPredictionEpochs: () => [],
      listFolderPredictions: () => [],
    });
    const undo = [useMonitorStore().follow(), useRunsViewStore().follow(), useCompareStore().follow()];
    const masks = useMasksStore();
    await masks.refreshRuns();
    await settle();
    expect(lab.calls.filter((c) => c === 'listRuns')).toHaveLength(1);
    // Masks: runs with predictions, newest first; Compare: every run, oldest first; the monitor watches the training run.
    expect(masks.runs).toEqual({ state: 'ready', value: [runs[0]] });
    expect(useCompareStore().runs.map((r) => r.id)).toEqual([A, B]);
    expect(useMonitorStore().watchedId).toBe(B);
    expect(useRunsViewStore().runs.map((r) => r.id).sort()).toEqual([A, B]);

    lab.runsChanged({ change: 'progress', runId: B });
    await settle();
    expect(lab.calls.filter((c) => c === 'listRuns')).toHaveLength(2);
    undo.forEach((u) => u());
    masks.unfollow();
    expect(lab.listeners().runsChanged).toBe(0);
  });

  it('keeps the last good list when a read fails', async () => {
    let fail = false;
    fakeLab({ listRuns: () => (fail ? Promise.reject(new ApiError('unavailable', 'the lab is closing')) : { runs: [summary({ id: A })], total: 1 }) });
    const s = useRunsStore();
    await s.refresh();
    fail = true;
    await s.refresh();
    expect(s.list).toMatchObject({ state: 'failed', message: 'the lab is closing' });
    expect(s.summaries.map((r) => r.id)).toEqual([A]);
  });
});

describe('runs store: commands', () => {
  it('marks the command busy on its run, records a refusal for that run, and re-reads the list', async () => {
    let release: () => void = () => undefined;
    const lab = fakeLab({
      ...listing(() => [summary({ id: A })]),
      pauseRun: (i) => (expect(i).toEqual({ id: A }), new Promise<void>((r) => (release = r)).then(() => summary({ id: A, status: 'paused' }))),
      stopRun: (i) => (expect(i).toEqual({ id: A, reason: 'stopped from the training monitor' }), Promise.reject(new ApiError('conflict', `run ${A} is done`))),
      rewindRun: (i) => (expect(i).toEqual({ id: A, lrFactor: 0.1 }), summary({ id: A })),
    });
    const s = useRunsStore();
    const paused = s.pause(A);
    await Promise.resolve();
    expect(s.busyOn(A)).toBe('pause');
    expect(s.busyOn(B)).toBeNull();
    release();
    expect(await paused).toBe(true);
    expect(s.busy).toBeNull();
    expect(lab.calls).toEqual(['pauseRun', 'listRuns']);

    expect(await s.stop(A, 'stopped from the training monitor')).toBe(false);
    expect(s.errorOn(A)).toBe(`run ${A} is done`);
    expect(s.errorOn(B)).toBeNull();
    expect(await s.rewind(A, 0.1)).toBe(true);
    expect(s.errorOn(A)).toBeNull();
    s.dismissError();
    expect(s.commandError).toBeNull();
  });

  it('starts a run and re-reads the list; a refusal is thrown to the caller, the list still re-read', async () => {
    let refuse = false;
    const started = summary({ id: B, status: 'queued' });
    const lab = fakeLab({
      ...listing(() => [started]),
      startRun: () => (refuse ? Promise.reject(new ApiError('bad-request', 'no dataset x')) : started),
    });
    const s = useRunsStore();
    const request = { design: { kind: 'preset' as const, name: 'tiny' }, datasetId: 'demo' };
    expect(await s.start(request)).toEqual(started);
    expect(s.summaries).toEqual([started]);
    refuse = true;
    await expect(s.start(request)).rejects.toThrow('no dataset x');
    expect(lab.calls).toEqual(['startRun', 'listRuns', 'startRun', 'listRuns']);
  });
});
