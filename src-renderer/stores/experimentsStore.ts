/**
 * Experiments: the lab's list of them, the one chosen (remembered for the session), and its results.
 * Read when the tab opens, again when the run list changes (a run of the lab's own made progress)
 * and on Refresh (runs that `strata experiment run` trains in another process tell the lab nothing).
 */
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import type { Unsubscribe } from '../../shared/api/channels';
import type { ExperimentListItem, ExperimentView } from '../../shared/experiments/view';
import { api } from '../api/labContext';
import { chooseExperiment } from '../workflows/experimentView';
import { errorMessage, IDLE, loadFailed, startLoading, type Loadable } from '../workflows/loadable';
import { coalesce } from './coalesce';
import { useRunsStore } from './runsStore';
import { remember, remembered } from './sessionMemory';

const CHOSEN_KEY = 'strata.experiments.chosen';

function rememberedChoice(): { name: string; version: number | null } | null {
  try {
    const raw: unknown = JSON.parse(remembered(CHOSEN_KEY) ?? 'null');
    if (typeof raw !== 'object' || raw === null) return null;
    const { name, version } = raw as Record<string, unknown>;
    if (typeof name !== 'string') return null;
    return { name, version: typeof version === 'number' ? version : null };
  } catch {
    return null;
  }
}

/** The experiments store. */
export const useExperimentsStore = defineStore('experiments', () => {
  const runsStore = useRunsStore();
  const list = ref<Loadable<ExperimentListItem[]>>(IDLE);
  /** What the user chose; the shown experiment falls back on the first when it is gone. */
  const wanted = ref<{ name: string; version: number | null } | null>(rememberedChoice());
  /** The experiment and version shown. */
  const shown = ref<{ name: string; version: number } | null>(null);
  const view = ref<Loadable<ExperimentView>>(IDLE);

  /** Reads the list, then the shown experiment's results. */
  const refresh = coalesce(async () => {
    list.value = startLoading(list.value);
    let items: ExperimentListItem[];
    try {
      items = await api().listExperiments({});
      list.value = { state: 'ready', value: items };
    } catch (e) {
      list.value = loadFailed(list.value, errorMessage(e));
      return;
    }
    const next = chooseExperiment(items, wanted.value);
    if (!next) {
      shown.value = null;
      view.value = IDLE;
      return;
    }
    const same = shown.value?.name === next.name && shown.value.version === next.version;
    shown.value = next;
    // Another experiment's results are not shown while this one's load.
    view.value = same ? startLoading(view.value) : { state: 'loading', previous: null };
    try {
      view.value = { state: 'ready', value: await api().experimentResults(next) };
    } catch (e) {
      view.value = loadFailed(view.value, errorMessage(e));
    }
  });

  /** Shows experiment `name` (its newest version unless `version` is given). */
  function choose(name: string, version: number | null = null): Promise<void> {
    wanted.value = { name, version };
    remember(CHOSEN_KEY, JSON.stringify(wanted.value));
    return refresh();
  }

  /** Reads the experiments now and whenever the run list is read again; returns the undo. */
  function follow(): Unsubscribe {
    const undoList = runsStore.follow();
    const stop = watch(
      () => runsStore.list,
      (l) => {
        if (l.state === 'ready') void refresh();
      },
    );
    void refresh();
    return () => {
      stop();
      undoList();
    };
  }

  return { list, shown, view, refresh, choose, follow };
});
