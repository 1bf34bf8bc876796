/**
 * The live monitor: which run is watched, its curves and the chart settings. The curves are always
 * rebuilt from the run store (getBatchMetrics, getEpochMetrics, getRunEvents) and only extended by
 * live messages, so nothing lives only here. The run list and the commands on runs are the runs
 * store's.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { Unsubscribe } from '../../shared/api/channels';
import type { RunSummary } from '../../shared/runs/types';
import type { TrainerMessage } from '../../shared/training/protocol';
import { api, lab } from '../api/labContext';
import { errorMessage, IDLE, loadFailed, startLoading, type Loadable } from '../workflows/loadable';
import { buildCharts, DEFAULT_CHART_SETTINGS, type ChartModel, type ChartSettings } from '../workflows/trainingCharts';
import { seriesReducer, type RunSeries } from '../workflows/trainingSeries';
import { coalesce } from './coalesce';
import { useRunsStore, type RunCommand } from './runsStore';
import { remember, remembered } from './sessionMemory';

/** Live messages are applied at most this often: 20 events/s become a handful of chart updates. */
const FLUSH_MS = 150;

const RUN_KEY = 'strata.training.run';

/** The monitor store. */
export const useMonitorStore = defineStore('monitor', () => {
  const runsStore = useRunsStore();
  const watchedId = ref<string | null>(remembered(RUN_KEY));
  /** Shallow: the series is replaced whole by the reducer; its big arrays must not become reactive proxies. */
  const series = shallowRef<RunSeries | null>(null);
  const seriesLoad = ref<Loadable<true>>(IDLE);
  const settings = ref<ChartSettings>({ ...DEFAULT_CHART_SETTINGS });

  const charts = computed<ChartModel[]>(() => (series.value ? buildCharts(series.value, settings.value) : []));
  /** The runs to pick from (the runs store's list, newest first). */
  const runs = computed<RunSummary[]>(() => runsStore.summaries);
  /** The command in flight on the watched run. */
  const busy = computed<RunCommand | null>(() => runsStore.busyOn(watchedId.value));
  /** A refused command on the watched run, else a run list that could not be read. */
  const error = computed<string | null>(() => runsStore.errorOn(watchedId.value) ?? (runsStore.list.state === 'failed' ? runsStore.list.message : null));

  let pending: TrainerMessage[] = [];
  let flushTimer: ReturnType<typeof setTimeout> | null = null;
  let live: { runId: string; undo: Unsubscribe } | null = null;

  function flush(): void {
    flushTimer = null;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    series.value = seriesReducer(series.value, { type: 'messages', messages: batch });
  }

  function onMessage(m: TrainerMessage): void {
    pending.push(m);
    if (flushTimer === null) flushTimer = setTimeout(flush, FLUSH_MS);
    // The run's record changes with its status (and the best epoch with each epoch): read it again then.
    if (m.type === 'ended') void runsStore.refresh();
  }

  /** Reads the watched run from the store; live messages that arrived meanwhile are kept. */
  const loadSeries = coalesce(async () => {
    const id = watchedId.value;
    if (id === null) {
      series.value = null;
      seriesLoad.value = IDLE;
      return;
    }
    seriesLoad.value = startLoading(seriesLoad.value);
    try {
      const [record, batches, epochs, events] = await Promise.all([
        api().getRun({ id }),
        api().getBatchMetrics({ id }),
        api().getEpochMetrics({ id }),
        api().getRunEvents({ id }),
      ]);
      if (watchedId.value !== id) return;
      series.value = seriesReducer(series.value, { type: 'loaded', record, batches, epochs, events });
      seriesLoad.value = { state: 'ready', value: true };
      // Messages that raced the load are applied on top; duplicates are dropped by step.
      flush();
    } catch (e) {
      if (watchedId.value === id) seriesLoad.value = loadFailed(seriesLoad.value, errorMessage(e));
    }
  });

  function listen(id: string | null): void {
    if (live?.runId === id) return;
    live?.undo();
    live = null;
    pending = [];
    if (id !== null) live = { runId: id, undo: api().onRunEvent({ runId: id }, onMessage) };
  }

  /** Watches run `id` (null: none): subscribes first, then loads, so no message falls between. */
  async function watch(id: string | null): Promise<void> {
    if (id === watchedId.value && series.value?.runId === id) return;
    watchedId.value = id;
    remember(RUN_KEY, id);
    series.value = null;
    seriesLoad.value = IDLE;
    runsStore.dismissError();
    listen(id);
    await loadSeries();
  }

  /** Changes chart settings. */
  function setSettings(patch: Partial<ChartSettings>): void {
    settings.value = { ...settings.value, ...patch };
  }

  /** Runs a command of the runs store on the watched run, then reads the run again. */
  async function onWatched(c: (id: string) => Promise<boolean>): Promise<void> {
    const id = watchedId.value;
    if (id === null) return;
    await c(id);
    await loadSeries();
  }

  /**
   * Follows the lab: the run list, and the watched run's record when its status changes. With no
   * run chosen yet, the training run (else the newest) is watched. Returns the undo.
   */
  function follow(): Unsubscribe {
    const undoList = runsStore.follow();
    const undoRuns = api().onRunsChanged({}, (e) => {
      if (e.runId !== null && e.runId === watchedId.value && e.change === 'status') void loadSeries();
    });
    const c = lab();
    // Messages missed while the socket was down are not replayed: read the store again.
    const undoLink = c.onConnectionChange ? c.onConnectionChange((s) => s === 'open' && void loadSeries()) : null;
    void (async () => {
      await runsStore.loaded();
      const list = runsStore.summaries;
      if (watchedId.value !== null && list.some((r) => r.id === watchedId.value)) {
        listen(watchedId.value);
        await loadSeries();
        return;
      }
      const pick = list.find((r) => r.status === 'running' || r.status === 'paused') ?? list[0] ?? null;
      await watch(pick?.id ?? null);
    })();
    return () => {
      undoList();
      undoRuns();
      undoLink?.();
      listen(null);
      if (flushTimer !== null) clearTimeout(flushTimer);
      flushTimer = null;
    };
  }

  return {
    watchedId,
    series,
    seriesLoad,
    settings,
    charts,
    runs,
    busy,
    error,
    watch,
    setSettings,
    follow,
    pause: () => onWatched((id) => runsStore.pause(id)),
    resume: () => onWatched((id) => runsStore.resume(id)),
    stop: () => onWatched((id) => runsStore.stop(id, 'stopped from the training monitor')),
    /** Takes a wrong-step offer: back to the checkpoint before the jump, learning rate scaled. */
    rewind: (lrFactor: number) => onWatched((id) => runsStore.rewind(id, lrFactor)),
  };
});
