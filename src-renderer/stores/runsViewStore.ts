/**
 * The Runs view: its table's sort over the runs store's list (test scores ranked only on one test
 * set), the open run's details, and the presets its new-run form offers. Commands on runs are the runs store's; this store re-reads the
 * open run after them.
 */
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { Unsubscribe } from '../../shared/api/channels';
import type { PresetInfo } from '../../shared/api/types';
import type { EpochMetric, RunRecord, RunSummary } from '../../shared/runs/types';
import { api } from '../api/labContext';
import { errorMessage, IDLE, loadFailed, startLoading, type Loadable } from '../workflows/loadable';
import { DEFAULT_RUN_SORT, sortRuns, toggleSort, type RunColumn, type RunSort } from '../workflows/runTable';
import { testSetView, type TestSetView } from '../workflows/testSets';
import { coalesce } from './coalesce';
import { useRunsStore } from './runsStore';
import { useTestSetsStore } from './testSetsStore';

/** The open run: its full record and its finished epochs. */
export interface RunDetails {
  record: RunRecord;
  epochs: EpochMetric[];
}

/** The Runs view's store. */
export const useRunsViewStore = defineStore('runsView', () => {
  const runsStore = useRunsStore();
  const sort = ref<RunSort>(DEFAULT_RUN_SORT);
  const openId = ref<string | null>(null);
  const details = ref<Loadable<RunDetails>>(IDLE);
  const presets = ref<PresetInfo[]>([]);

  const testSetsStore = useTestSetsStore();
  /** Which test set each listed run's test score is on, and whether they may be ranked. */
  const testSets = computed<TestSetView>(() => testSetView(runsStore.summaries, testSetsStore.keys));
  /** The runs in the table's order. */
  const runs = computed<RunSummary[]>(() => sortRuns(runsStore.summaries, sort.value, testSets.value.rankable));

  const refreshDetails = coalesce(async () => {
    const id = openId.value;
    if (id === null) {
      details.value = IDLE;
      return;
    }
    details.value = startLoading(details.value);
    try {
      const [record, epochs] = await Promise.all([api().getRun({ id }), api().getEpochMetrics({ id })]);
      if (openId.value === id) details.value = { state: 'ready', value: { record, epochs } };
    } catch (e) {
      if (openId.value === id) details.value = loadFailed(details.value, errorMessage(e));
    }
  });

  /** Re-reads the list and the open run. */
  async function refresh(): Promise<void> {
    await Promise.all([runsStore.refresh(), refreshDetails()]);
  }

  /** Opens run `id` (null closes the panel) and loads its details. */
  async function open(id: string | null): Promise<void> {
    if (id === openId.value) return;
    openId.value = id;
    details.value = IDLE;
    runsStore.dismissError();
    await refreshDetails();
  }

  /** Sorts by `column` (again: the other way). */
  function sortBy(column: RunColumn): void {
    sort.value = toggleSort(sort.value, column);
  }

  /** Loads the presets the new-run form offers. */
  async function loadPresets(): Promise<void> {
    presets.value = await api().listPresets();
  }

  async function afterCommand(done: Promise<boolean>): Promise<boolean> {
    const ok = await done;
    await refreshDetails();
    return ok;
  }

  /** Deletes a run; the panel closes when it was the open one. */
  async function remove(id: string): Promise<boolean> {
    const ok = await runsStore.remove(id);
    if (ok && openId.value === id) {
      openId.value = null;
      details.value = IDLE;
    }
    await refreshDetails();
    return ok;
  }

  /** Follows the run list, and the open run when the lab says it changed; returns the undo. */
  function follow(): Unsubscribe {
    const undoList = runsStore.follow();
    const undoRun = api().onRunsChanged({}, (e) => {
      if (openId.value !== null && (e.runId === null || e.runId === openId.value)) void refreshDetails();
    });
    // Reads the test sets of newly scored runs as the list brings them.
    const stopSets = watch(() => runsStore.summaries, (rs) => void testSetsStore.ensure(rs), { immediate: true });
    return () => {
      stopSets();
      undoList();
      undoRun();
    };
  }

  return {
    sort,
    runs,
    testSets,
    openId,
    details,
    presets,
    refresh,
    open,
    sortBy,
    loadPresets,
    stop: (id: string) => afterCommand(runsStore.stop(id)),
    pause: (id: string) => afterCommand(runsStore.pause(id)),
    resume: (id: string) => afterCommand(runsStore.resume(id)),
    finalize: (id: string) => afterCommand(runsStore.finalize(id)),
    remove,
    follow,
  };
});
