/** The status store: the link to the lab, the backend in use and the training run's progress, against a fake lab. */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { BackendInfo, QueueState } from '../../shared/api/types';
import { ApiError } from '../../shared/api/errors';
import type { BatchMetric, RunSummary } from '../../shared/runs/types';
import { setLab } from '../../src-renderer/api/labContext';
import { useStatusStore } from '../../src-renderer/stores/statusStore';
import { fakeApi, fakeLab, settle } from './fakeLab';
import { summary } from './fixtures';

const A = '20250607-153012-123-aaaaaa';
const B = '20250608-153012-123-bbbbbb';

const NOTE = 'The fastest backend that works is chosen.';
const probed: BackendInfo = {
  last: null,
  note: NOTE,
  available: { backend: { name: 'tfjs-node', detail: '2 threads', threads: 2 }, skipped: [{ name: 'tfjs-node-gpu', reason: 'no CUDA' }] },
  probeProblem: null,
};
const batch = (epoch: number, b: number): BatchMetric => ({ step: 0, epoch, batch: b, loss: 1, iou: 0, lr: 0.01, imagesPerSec: 10, time: 0 });

beforeEach(() => setActivePinia(createPinia()));

/** A lab whose queue, backend info and runs are the test's variables. */
function lab(state: { queue: QueueState; info: BackendInfo; runs: Record<string, RunSummary> }) {
  return fakeLab({
    getQueue: () => state.queue,
    getBackendInfo: () => state.info,
    getRun: (i) => {
      const r = state.runs[(i as { id: string }).id];
      if (!r) throw new ApiError('not-found', 'no such run');
      return r;
    },
  });
}

describe('status store', () => {
  it('starts with nothing known: connecting, backend being checked, no run training', () => {
    const s = useStatusStore();
    expect(s.link).toBe('connecting');
    expect(s.backendLabel).toBe('backend: checking...');
    expect(s.backendTitle).toBe('');
    expect(s.runLabel).toBe('no run training');
    expect(s.queued).toBe(0);
  });

  it('reads the queue and the backend on follow, and shows the active run with the probed backend until the trainer names its own', async () => {
    const state = {
      queue: { active: { runId: A, pid: 7 }, queued: [B] },
      info: probed,
      runs: { [A]: summary({ id: A, name: 'tiny · demo', status: 'running', epochsDone: 2 }) },
    };
    const fake = lab(state);
    const s = useStatusStore();
    const undo = s.follow();
    await settle();
    expect(fake.calls.filter((c) => c === 'getQueue')).toHaveLength(1);
    expect(s.queued).toBe(1);
    expect(s.problem).toBeNull();
    expect(s.active).toMatchObject({ phase: 'live', runId: A, status: 'running' });
    expect(s.runLabel).toBe('training tiny · demo · epoch 3/10 · 20%');
    expect(s.backendLabel).toBe('tfjs-node · 2 threads');
    expect(s.backendTitle).toBe(`Runs started now train on tfjs-node · 2 threads. tfjs-node-gpu skipped: no CUDA. ${NOTE}`);
    expect(fake.listeners()).toEqual({ runsChanged: 1, runEvent: 1, link: 1 });

    // The live run's messages move the label; the trainer's backend replaces the probe's.
    fake.runEvent(A, { type: 'backend', runId: A, name: 'wasm', detail: '1 thread · SIMD', threads: 1, skipped: [] });
    fake.runEvent(A, { type: 'batch', runId: A, metric: batch(4, 4), batches: 10, epochs: 10, etaSeconds: 125 });
    expect(s.backendLabel).toBe('wasm · 1 thread · SIMD');
    expect(s.runLabel).toBe('training tiny · demo · epoch 5/10 · 45% · ETA 2m 05s');
    // Another run's messages are not listened to.
    fake.runEvent(B, { type: 'status', runId: B, status: 'paused' });
    expect(s.active).toMatchObject({ runId: A, status: 'running' });

    undo();
    expect(fake.listeners()).toEqual({ runsChanged: 0, runEvent: 0, link: 0 });
  });

  it('looks again when the live run ends, and follows the next run only', async () => {
    const state = {
      queue: { active: { runId: A, pid: 7 }, queued: [B] } as QueueState,
      info: probed,
      runs: {
        [A]: summary({ id: A, name: 'first', status: 'running' }),
        [B]: summary({ id: B, name: 'second', status: 'running', epochsDone: 0 }),
      },
    };
    const fake = lab(state);
    const s = useStatusStore();
    const undo = s.follow();
    await settle();
    expect(s.runLabel).toBe('training first · epoch 1/10 · 0%');

    state.queue = { active: { runId: B, pid: 8 }, queued: [] };
    fake.runEvent(A, { type: 'ended', runId: A, status: 'done' });
    expect(s.runLabel).toBe('no run training');
    await settle();
    expect(fake.calls.filter((c) => c === 'getQueue')).toHaveLength(2);
    expect(s.active).toMatchObject({ phase: 'live', runId: B });
    expect(s.queued).toBe(0);
    // One trainer stream, the new run's: the ended run's is gone.
    expect(fake.listeners().runEvent).toBe(1);
    fake.runEvent(A, { type: 'status', runId: A, status: 'paused' });
    fake.runEvent(B, { type: 'status', runId: B, status: 'paused' });
    expect(s.runLabel).toBe('paused second · epoch 1/10 · 0%');

    // Nothing left to train: no stream, the last run's backend named.
    state.queue = { active: null, queued: [] };
    state.info = { ...probed, available: null, last: { runId: B, startedAt: 1, backend: { name: 'cpu', detail: '', threads: 1 } } };
    fake.runsChanged({ change: 'status', runId: B });
    await settle();
    expect(s.active).toEqual({ phase: 'none' });
    expect(fake.listeners().runEvent).toBe(0);
    expect(s.backendLabel).toBe('cpu');
    undo();
  });

  it('re-reads after the socket reopens, since missed events are not replayed, and tracks the link state', async () => {
    const state = { queue: { active: null, queued: [] } as QueueState, info: probed, runs: {} };
    const fake = lab(state);
    const s = useStatusStore();
    const undo = s.follow();
    await settle();
    expect(fake.calls.filter((c) => c === 'getQueue')).toHaveLength(1);
    fake.link('closed');
    expect(s.link).toBe('closed');
    await settle();
    expect(fake.calls.filter((c) => c === 'getQueue')).toHaveLength(1);
    state.queue = { active: null, queued: [A, B] };
    fake.link('open');
    expect(s.link).toBe('open');
    await settle();
    expect(fake.calls.filter((c) => c === 'getQueue')).toHaveLength(2);
    expect(s.queued).toBe(2);
    undo();
  });

  it('says what failed, keeps what it knew, and clears the problem on the next good read', async () => {
    let fail = false;
    const fake = fakeLab({
      getQueue: () => {
        if (fail) throw new ApiError('internal', 'queue unreadable');
        return { active: null, queued: [A] };
      },
      getBackendInfo: () => ({ ...probed, available: null, probeProblem: 'trainer exited' }),
    });
    const s = useStatusStore();
    const undo = s.follow();
    await settle();
    expect(s.backendLabel).toBe('backend: unknown (see details)');
    expect(s.backendTitle).toBe(`The backend check failed: trainer exited. ${NOTE}`);
    fail = true;
    fake.runsChanged({ change: 'queue', runId: null });
    await settle();
    expect(s.problem).toContain('queue unreadable');
    expect(s.queued).toBe(1);
    fail = false;
    await s.refresh();
    expect(s.problem).toBeNull();
    undo();
  });

  it('calls the link "ipc" in the desktop app, where there is no socket, and still follows run changes', async () => {
    const calls: string[] = [];
    let changed: (() => void) | null = null;
    setLab({
      mode: 'electron',
      shell: 'desktop',
      onConnectionChange: null,
      pathForFile: () => '',
      api: fakeApi(
        {
          getQueue: () => ({ active: null, queued: [] }),
          getBackendInfo: () => probed,
          onRunsChanged: (_i, fn) => {
            changed = fn as () => void;
            return () => void (changed = null);
          },
        },
        calls,
      ),
    });
    const s = useStatusStore();
    const undo = s.follow();
    expect(s.link).toBe('ipc');
    await settle();
    expect(calls.filter((c) => c === 'getQueue')).toHaveLength(1);
    (changed as (() => void) | null)?.();
    await settle();
    expect(calls.filter((c) => c === 'getQueue')).toHaveLength(2);
    undo();
    expect(changed).toBeNull();
  });
});
