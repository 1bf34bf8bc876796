/**
 * Comparing runs: every run (the runs store's list) with its epochs (read from the run store), the
 * selection to overlay, the table's sort, which test set each test score is on (the table ranks
 * test scores only on one), and the designs' summaries for the cost rule. Finished
 * runs' epochs never change, so they are read once; live ones are read again each time the list is.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { Unsubscribe } from '../../shared/api/channels';
import { summarize, type ArchSummary } from '../../shared/arch';
import type { EpochMetric, RunSummary } from '../../shared/runs/types';
import { api } from '../api/labContext';
import { errorMessage } from '../workflows/loadable';
import type { BandMetric, CompareColumn } from '../workflows/compareRuns';
import { testSetView, type TestSetView } from '../workflows/testSets';
import { coalesce } from './coalesce';
import { useRunsStore } from './runsStore';
import { useTestSetsStore } from './testSetsStore';
import { remember, remembered } from './sessionMemory';

const SELECTED_KEY = 'strata.compare.selected';

function rememberedSelection(): string[] {
  try {
    const raw = remembered(SELECTED_KEY);
    const parsed: unknown = raw ? JSON.parse(raw) : [];
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

const LIVE = new Set(['running', 'paused', 'queued']);

/** The compare store. */
export const useCompareStore = defineStore('compare', () => {
  const runsStore = useRunsStore();
  /** The runs store's list, oldest first, as of the epochs last read (so each run comes with its epochs). */
  const runs = shallowRef<RunSummary[]>([]);
  const epochs = shallowRef<ReadonlyMap<string, EpochMetric[]>>(new Map());
  const selected = ref<string[]>(rememberedSelection());
  const metric = ref<BandMetric>('valScore');
  const sort = ref<{ column: CompareColumn; desc: boolean }>({ column: 'bestScore', desc: true });
  const summaries = shallowRef<ReadonlyMap<string, ArchSummary>>(new Map());
  const problem = ref<string | null>(null);
  const loading = ref(false);

  const testSetsStore = useTestSetsStore();
  /** Which test set each run's test score is on, and whether the table may rank them. */
  const testSets = computed<TestSetView>(() => testSetView(runs.value, testSetsStore.keys));

  const selectedRuns = computed(() => selected.value.map((id) => runs.value.find((r) => r.id === id)).filter((r): r is RunSummary => r !== undefined));

  /** Takes the runs store's list and reads the epochs not read yet (or of live runs). */
  const refresh = coalesce(async () => {
    const listed = runsStore.list;
    if (listed.state === 'failed') problem.value = listed.message;
    if (listed.state !== 'ready') return;
    loading.value = true;
    try {
      // The lab lists newest first (ties by id, the same way round): reversed, oldest first.
      const list = [...listed.value.runs].reverse();
      const have = epochs.value;
      const stale = list.filter((r) => !have.has(r.id) || LIVE.has(r.status) || (have.get(r.id)?.length ?? 0) < r.epochsDone);
      const fresh = await Promise.all(stale.map(async (r) => [r.id, await api().getEpochMetrics({ id: r.id })] as const));
      const next = new Map(have);
      for (const [id, es] of fresh) next.set(id, es);
      runs.value = list;
      epochs.value = next;
      selected.value = selected.value.filter((id) => list.some((r) => r.id === id));
      problem.value = null;
      await testSetsStore.ensure(list);
      if (testSetsStore.problem) problem.value = testSetsStore.problem;
    } catch (e) {
      problem.value = errorMessage(e);
    } finally {
      loading.value = false;
    }
  });

  /** Reads one run per design not summarised yet and summarises its architecture (for the cost rule). */
  async function loadSummaries(): Promise<void> {
    const missing = new Map<string, string>();
    for (const r of runs.value) if (!summaries.value.has(r.archName) && !missing.has(r.archName)) missing.set(r.archName, r.id);
    if (missing.size === 0) return;
    try {
      const next = new Map(summaries.value);
      for (const [name, id] of missing) {
        const rec = await api().getRun({ id });
        const s = summarize(rec.arch);
        if (s.ok) next.set(name, s.summary);
      }
      summaries.value = next;
    } catch (e) {
      problem.value = errorMessage(e);
    }
  }

  function setSelected(ids: string[]): void {
    selected.value = ids;
    // Not remembered when storage is refused; the selection still works.
    remember(SELECTED_KEY, JSON.stringify(ids));
  }

  /** Adds or removes run `id` from the overlay. */
  function toggle(id: string): void {
    setSelected(selected.value.includes(id) ? selected.value.filter((x) => x !== id) : [...selected.value, id]);
  }

  /** Selects exactly `ids`. */
  function select(ids: string[]): void {
    setSelected([...new Set(ids)]);
  }

  /** Sorts the table by `column` (again: the other way). */
  function sortBy(column: CompareColumn): void {
    sort.value = sort.value.column === column ? { column, desc: !sort.value.desc } : { column, desc: column !== 'name' && column !== 'design' && column !== 'valLoss' };
  }

  /** Follows the run list (kept fresh by the runs store), reading epochs each time it is read; returns the undo. */
  function follow(): Unsubscribe {
    const undoList = runsStore.follow();
    // Syncs the epochs with the lab: each new read of the list may bring runs or epochs not read yet.
    const stop = watch(() => runsStore.list, () => void refresh(), { immediate: true });
    return () => {
      stop();
      undoList();
    };
  }

  return { runs, epochs, testSets, selected, selectedRuns, metric, sort, summaries, problem, loading, refresh, loadSummaries, toggle, select, sortBy, follow };
});
