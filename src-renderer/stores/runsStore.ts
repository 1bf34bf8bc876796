/**
 * Runs: the one run list of the renderer, kept fresh while any view follows it, and the commands on
 * runs (start, stop, pause, resume, rewind, choose the post-processing, delete). Every view that shows runs reads this list; none
 * fetches its own.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ChannelInput, Unsubscribe } from '../../shared/api/channels';
import type { RunList } from '../../shared/api/types';
import type { RunSummary } from '../../shared/runs/types';
import { api, lab } from '../api/labContext';
import { current, errorMessage, IDLE, loadFailed, startLoading, type Loadable } from '../workflows/loadable';
import { coalesce } from './coalesce';

/** A command on a run, for the buttons' busy state. */
export type RunCommand = 'stop' | 'pause' | 'resume' | 'rewind' | 'finalize' | 'delete';

/** The runs store. */
export const useRunsStore = defineStore('runs', () => {
  /** Every run, newest first (the lab's default order). */
  const list = ref<Loadable<RunList>>(IDLE);
  /** The command in flight, and on which run. */
  const busy = ref<{ runId: string; command: RunCommand } | null>(null);
  /** The last command's refusal and its run, shown until the next command. */
  const commandError = ref<{ runId: string; message: string } | null>(null);

  /** The runs as last read, newest first. */
  const summaries = computed<RunSummary[]>(() => current(list.value)?.runs ?? []);

  let followers = 0;
  let unfollowLab: Unsubscribe | null = null;
  let firstRead: Promise<void> | null = null;

  /** Reads the list again. */
  const refresh = coalesce(async () => {
    list.value = startLoading(list.value);
    try {
      list.value = { state: 'ready', value: await api().listRuns({}) };
    } catch (e) {
      list.value = loadFailed(list.value, errorMessage(e));
    }
  });

  /** Run `id` as last listed, or null. */
  function byId(id: string | null): RunSummary | null {
    return id === null ? null : (summaries.value.find((r) => r.id === id) ?? null);
  }

  /**
   * Keeps the list fresh while someone follows it: the first follower reads it and listens to the
   * lab's run changes (and reads again after the socket reconnects, since missed changes are not
   * replayed); the last one's undo stops listening. Returns the undo.
   */
  function follow(): Unsubscribe {
    followers += 1;
    if (followers === 1) {
      const undoRuns = api().onRunsChanged({}, () => void refresh());
      const c = lab();
      const undoLink = c.onConnectionChange ? c.onConnectionChange((s) => s === 'open' && void refresh()) : null;
      unfollowLab = () => {
        undoRuns();
        undoLink?.();
      };
      firstRead = refresh();
    }
    let undone = false;
    return () => {
      if (undone) return;
      undone = true;
      followers -= 1;
      if (followers > 0) return;
      unfollowLab?.();
      unfollowLab = null;
      firstRead = null;
    };
  }

  /** Settles once the list has been read since following began (reads it when nobody follows). */
  function loaded(): Promise<void> {
    return firstRead ?? refresh();
  }

  async function command(runId: string, c: RunCommand, call: () => Promise<unknown>): Promise<boolean> {
    busy.value = { runId, command: c };
    commandError.value = null;
    try {
      await call();
      return true;
    } catch (e) {
      commandError.value = { runId, message: errorMessage(e) };
      return false;
    } finally {
      busy.value = null;
      await refresh();
    }
  }

  /** The command in flight on run `id`, or null. */
  function busyOn(id: string | null): RunCommand | null {
    return busy.value !== null && busy.value.runId === id ? busy.value.command : null;
  }

  /** The last command's refusal if it was about run `id`. */
  function errorOn(id: string | null): string | null {
    return commandError.value !== null && commandError.value.runId === id ? commandError.value.message : null;
  }

  /** Forgets the last refusal (another run was opened). */
  function dismissError(): void {
    commandError.value = null;
  }

  /** Starts a run: it is queued and trains when no other run does. Throws the lab's refusal. */
  async function start(request: ChannelInput<'startRun'>): Promise<RunSummary> {
    try {
      return await api().startRun(request);
    } finally {
      await refresh();
    }
  }

  return {
    list,
    summaries,
    busy,
    commandError,
    refresh,
    byId,
    follow,
    loaded,
    busyOn,
    errorOn,
    dismissError,
    start,
    /** Stops a training or queued run (checkpoints kept); `reason` is recorded with it. */
    stop: (id: string, reason?: string) => command(id, 'stop', () => api().stopRun(reason === undefined ? { id } : { id, reason })),
    /** Pauses the training run. */
    pause: (id: string) => command(id, 'pause', () => api().pauseRun({ id })),
    /** Resumes a paused run, or queues a stopped/interrupted one to continue from its checkpoint. */
    resume: (id: string) => command(id, 'resume', () => api().resumeRun({ id })),
    /** Takes a wrong-step offer: back to the checkpoint before the jump, learning rate scaled by `lrFactor`. */
    rewind: (id: string, lrFactor: number) => command(id, 'rewind', () => api().rewindRun({ id, lrFactor })),
    /** Chooses an ended run's post-processing on its validation images and scores its test images (again, when it has one). */
    finalize: (id: string) => command(id, 'finalize', () => api().finalizeRun({ id })),
    /** Deletes a run with everything it stored. */
    remove: (id: string) => command(id, 'delete', () => api().deleteRun({ id })),
  };
});
