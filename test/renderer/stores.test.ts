/** The stores against a fake API: what they ask the lab, and what they hold afterwards. */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { StrataApi } from '../../shared/api/channels';
import { ApiError } from '../../shared/api/errors';
import type { DatasetEntry, SamplePage } from '../../shared/api/types';
import { setLab } from '../../src-renderer/api/labContext';
import { coalesce } from '../../src-renderer/stores/coalesce';
import { useDatasetsStore } from '../../src-renderer/stores/datasetsStore';
import { useRunsStore } from '../../src-renderer/stores/runsStore';
import { useRunsViewStore } from '../../src-renderer/stores/runsViewStore';
import { entry, summary } from './fixtures';

/** An API whose listed methods are `impl`; any other method fails the test when called. */
function fakeApi(impl: Partial<Record<keyof StrataApi, (input?: unknown) => unknown>>, calls: string[]): StrataApi {
  return new Proxy({} as StrataApi, {
    get: (_t, name: string) => (input?: unknown) => {
      calls.push(name);
      const f = impl[name as keyof StrataApi];
      if (!f) throw new Error(`unexpected call ${name}`);
      return Promise.resolve().then(() => f(input));
    },
  });
}

const page = (datasetId: string, offset: number): SamplePage => ({ datasetId, total: 50, offset, height: 101, width: 101, synthetic: false, samples: [] });

beforeEach(() => setActivePinia(createPinia()));

describe('datasets store', () => {
  it('imports a folder, then lists and selects it with its first page', async () => {
    const calls: string[] = [];
    const imported = entry('tgs-1');
    let listed: DatasetEntry[] = [];
    setLab({
      mode: 'browser',
      onConnectionChange: null,
      shell: 'browser',
      pathForFile: null,
      api: fakeApi(
        {
          importDataset: (i) => {
            expect(i).toEqual({ path: '/data/tgs' });
            listed = [imported];
            return imported;
          },
          listDatasets: () => listed,
          previewSamples: (i) => page('tgs-1', (i as { offset: number }).offset),
        },
        calls,
      ),
    });
    const s = useDatasetsStore();
    // The moment the import says done, the view must already show the new set (its problems), not the last one.
    let selectedWhenDone: string | null = null;
    s.$subscribe(() => {
      if (s.importState.phase === 'done' && selectedWhenDone === null) selectedWhenDone = s.selected?.id ?? '(none)';
    }, { flush: 'sync' });
    await s.importFolder('/data/tgs');
    expect(selectedWhenDone).toBe('tgs-1');
    expect(calls).toEqual(['importDataset', 'listDatasets', 'previewSamples']);
    expect(s.importState).toMatchObject({ phase: 'done', path: '/data/tgs', entry: imported });
    expect(s.selectedId).toBe('tgs-1');
    expect(s.samples).toMatchObject({ state: 'ready', value: { datasetId: 'tgs-1' } });
    // 50 samples, 24 to a page: page 2 of 3 starts at 24.
    await s.loadPage(1);
    expect(s.samples).toMatchObject({ state: 'ready', value: { offset: 24 } });
    expect(s.paging).toMatchObject({ page: 1, pages: 3, first: 25, last: 48 });
  });

  it('keeps the refusal of a failed import', async () => {
    setLab({
      mode: 'browser',
      onConnectionChange: null,
      shell: 'browser',
      pathForFile: null,
      api: fakeApi({ importDataset: () => Promise.reject(new ApiError('not-found', 'there is no folder at /nope')) }, []),
    });
    const s = useDatasetsStore();
    await s.importFolder('/nope');
    expect(s.importState).toEqual({ phase: 'failed', path: '/nope', message: 'there is no folder at /nope' });
  });
});

describe('runs view store', () => {
  it('closes the open run when it is deleted, and shows a refused command', async () => {
    const id = '20250607-153012-123-k3j9x2';
    let runs = [summary({ id })];
    setLab({
      mode: 'browser',
      onConnectionChange: null,
      shell: 'browser',
      pathForFile: null,
      api: fakeApi(
        {
          listRuns: () => ({ runs, total: runs.length }),
          getRun: () => ({ ...summary({ id }), arch: {}, split: { train: [], val: [] } }),
          getEpochMetrics: () => [],
          stopRun: () => Promise.reject(new ApiError('conflict', `run ${id} is done, not training or queued`)),
          deleteRun: () => {
            runs = [];
            return { deleted: id };
          },
        },
        [],
      ),
    });
    const s = useRunsViewStore();
    const runsStore = useRunsStore();
    await s.refresh();
    await s.open(id);
    expect(s.details.state).toBe('ready');
    expect(await s.stop(id)).toBe(false);
    expect(runsStore.errorOn(id)).toBe(`run ${id} is done, not training or queued`);
    expect(await s.remove(id)).toBe(true);
    expect(s.openId).toBeNull();
    expect(s.details).toEqual({ state: 'idle' });
    expect(s.runs).toEqual([]);
    expect(runsStore.commandError).toBeNull();
  });
});

describe('coalesce', () => {
  it('folds calls made during a run into one more run', async () => {
    let runs = 0;
    let release: () => void = () => undefined;
    const task = coalesce(async () => {
      runs++;
      await new Promise<void>((r) => (release = r));
    });
    const first = task();
    const second = task();
    const third = task();
    expect(runs).toBe(1);
    release();
    await first;
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(runs).toBe(2);
    release();
    await Promise.all([second, third]);
    expect(runs).toBe(2);
  });
});
