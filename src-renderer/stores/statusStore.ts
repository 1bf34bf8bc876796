/** The status bar's state: the link to the lab, the backend in use, and the training run's progress. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Unsubscribe } from '../../shared/api/channels';
import type { BackendInfo } from '../../shared/api/types';
import { api, lab } from '../api/labContext';
import type { ConnectionState } from '../api/index';
import { activeRunLabel, activeRunReducer, NO_ACTIVE_RUN, type ActiveRun, type ActiveRunAction } from '../workflows/activeRun';
import { backendDetails, backendLabel as labelOf } from '../workflows/backendLabel';
import { errorMessage } from '../workflows/loadable';
import { coalesce } from './coalesce';

/** The link to the lab: a socket in browser mode, IPC (always up) in Electron. */
export type LinkState = ConnectionState | 'ipc';

/** The status store. */
export const useStatusStore = defineStore('status', () => {
  const link = ref<LinkState>('connecting');
  const backendInfo = ref<BackendInfo | null>(null);
  const active = ref<ActiveRun>(NO_ACTIVE_RUN);
  const queued = ref(0);
  const problem = ref<string | null>(null);
  let runEvents: { runId: string; undo: Unsubscribe } | null = null;

  const dispatch = (a: ActiveRunAction) => {
    active.value = activeRunReducer(active.value, a);
  };

  /** The backend to show (see workflows/backendLabel.ts for the order). */
  const backendLabel = computed<string>(() =>
    labelOf(backendInfo.value, active.value.phase === 'live' ? active.value.backend : null),
  );
  const backendTitle = computed<string>(() => backendDetails(backendInfo.value));
  const runLabel = computed<string>(() => activeRunLabel(active.value));

  /** Listens to the live run's trainer messages, and only to the live one's. */
  function followRun(runId: string | null): void {
    if (runEvents?.runId === runId) return;
    runEvents?.undo();
    runEvents = null;
    if (runId === null) return;
    runEvents = {
      runId,
      undo: api().onRunEvent({ runId }, (message) => {
        dispatch({ type: 'message', message });
        // The next run in the queue may start right away: look again.
        if (message.type === 'ended') void refresh();
      }),
    };
  }

  const refresh = coalesce(async () => {
    try {
      const [queue, info] = await Promise.all([api().getQueue(), api().getBackendInfo()]);
      backendInfo.value = info;
      queued.value = queue.queued.length;
      const runId = queue.active?.runId ?? null;
      dispatch({ type: 'active', summary: runId === null ? null : await api().getRun({ id: runId }) });
      followRun(runId);
      problem.value = null;
    } catch (e) {
      problem.value = errorMessage(e);
    }
  });

  /** Starts following the lab: the link state, run changes, and the live run; returns the undo. */
  function follow(): Unsubscribe {
    const c = lab();
    const undoLink = c.onConnectionChange
      ? c.onConnectionChange((s) => {
          link.value = s;
          // Events missed while the socket was down are not replayed: read the state again.
          if (s === 'open') void refresh();
        })
      : null;
    if (!c.onConnectionChange) link.value = 'ipc';
    // Changes come at most once per epoch per run, so re-reading on each is cheap.
    const undoRuns = api().onRunsChanged({}, () => void refresh());
    void refresh();
    return () => {
      undoLink?.();
      undoRuns();
      followRun(null);
    };
  }

  return { link, backendInfo, active, queued, problem, backendLabel, backendTitle, runLabel, refresh, follow };
});
