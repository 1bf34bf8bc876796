/** Runs: the list and its sort, the open run's details, and the commands on runs. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ChannelInput, Unsubscribe } from '../../shared/api/channels';
import type { PresetInfo, RunList } from '../../shared/api/types';
import type { EpochMetric, RunRecord, RunSummary } from '../../shared/runs/types';
import { api } from '../api/labContext';
import { current, errorMessage, IDLE, loadFailed, startLoading, type Loadable } from '../workflows/loadable';
import { DEFAULT_RUN_SORT, sortRuns, toggleSort, type RunColumn, type RunSort } from '../workflows/runTable';
import { coalesce } from './coalesce';

/** The open run: its full record and its finished epochs. */
export interface RunDetails {
  record: RunRecord;
  epochs: EpochMetric[];
}

/** A command on a run, for the buttons' busy state. */
export type RunCommand = 'stop' | 'pause' | 'resume' | 'delete';

/** The runs store. */
export const useRunsStore = defineStore('runs', () => {
  const list = ref<Loadable<RunList>>(IDLE);
  const sort = ref<RunSort>(DEFAULT_RUN_SORT);
  const openId = ref<string | null>(null);
  const details = ref<Loadable<RunDetails>>(IDLE);
  const presets = ref<PresetInfo[]>([]);
  /** The command in flight, and on which run. */
  const busy = ref<{ runId: string; command: RunCommand } | null>(null);
  /** The last command's refusal, shown until the next command. */
  const commandError = ref<string | null>(null);

  const runs = computed<RunSummary[]>(() => sortRuns(current(list.value)?.runs ?? [], sort.value));

  const refreshList = coalesce(async () => {
    list.value = startLoading(list.value);
    try {
      list.value = { state: 'ready', value: await api().listRuns({}) };
    } catch (e) {
      list.value = loadFailed(list.value, errorMessage(e));
    }
  });

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
    await Promise.all([refreshList(), refreshDetails()]);
  }

  /** Opens run `id` (null closes the panel) and loads its details. */
  async function open(id: string | null): Promise<void> {
    if (id === openId.value) return;
    openId.value = id;
    details.value = IDLE;
    commandError.value = null;
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

  async function command(runId: string, c: RunCommand, call: () => Promise<unknown>, done?: () => void): Promise<boolean> {
    busy.value = { runId, command: c };
    commandError.value = null;
    try {
      await call();
      done?.();
      return true;
    } catch (e) {
      commandError.value = errorMessage(e);
      return false;
    } finally {
      busy.value = null;
      await refresh();
    }
  }

  /** Stops a training or queued run (checkpoints kept). */
  function stop(id: string): Promise<boolean> {
    return command(id, 'stop', () => api().stopRun({ id }));
  }

  /** Pauses the training run. */
  function pause(id: string): Promise<boolean> {
    return command(id, 'pause', () => api().pauseRun({ id }));
  }

  /** Resumes a paused run, or queues a stopped/interrupted one to continue from its checkpoint. */
  function resume(id: string): Promise<boolean> {
    return command(id, 'resume', () => api().resumeRun({ id }));
  }

  /** Deletes a run with everything it stored; the panel closes when it was the open one. */
  function remove(id: string): Promise<boolean> {
    return command(
      id,
      'delete',
      () => api().deleteRun({ id }),
      () => {
        if (openId.value !== id) return;
        openId.value = null;
        details.value = IDLE;
      },
    );
  }

  /** Starts a run; it is queued and trains when no other run does. Throws the lab's refusal. */
  async function start(request: ChannelInput<'startRun'>): Promise<RunSummary> {
    const summary = await api().startRun(request);
    await refreshList();
    return summary;
  }

  /** Follows the lab's run changes; returns the undo. */
  function follow(): Unsubscribe {
    return api().onRunsChanged({}, (e) => {
      void refreshList();
      if (openId.value !== null && (e.runId === null || e.runId === openId.value)) void refreshDetails();
    });
  }

  return { list, sort, runs, openId, details, presets, busy, commandError, refresh, open, sortBy, loadPresets, stop, pause, resume, remove, start, follow };
});
