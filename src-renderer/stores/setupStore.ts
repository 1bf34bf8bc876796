/**
 * The training setup: the designs the form offers, the lab's check of the chosen one, the measured
 * warm-up, and queueing the planned runs. The workflow is workflows/setupFlow.ts; the actions here
 * are its commands.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { ChannelInput } from '../../shared/api/channels';
import type { DesignListItem, EpochEstimate, PresetInfo } from '../../shared/api/types';
import { api } from '../api/labContext';
import { errorMessage, IDLE, type Loadable } from '../workflows/loadable';
import { designFigures, INITIAL_SETUP, setupReducer, type DesignFigures, type SetupAction, type SetupState } from '../workflows/setupFlow';
import type { DesignChoice, PlannedRun } from '../workflows/trainingSetup';
import { useMonitorStore } from './monitorStore';
import { useRunsStore } from './runsStore';
import { useTrainingTabsStore } from './trainingTabsStore';

/** The setup store. */
export const useSetupStore = defineStore('setup', () => {
  const state = shallowRef<SetupState>(INITIAL_SETUP);
  const presets = ref<PresetInfo[]>([]);
  const designs = ref<DesignListItem[]>([]);
  let tickets = 0;

  function dispatch(a: SetupAction): void {
    state.value = setupReducer(state.value, a);
  }

  /** The design check is under way. */
  const checking = computed(() => state.value.design.state === 'checking');
  /** The warm-up's answer, as the form shows it. */
  const estimate = computed<Loadable<EpochEstimate>>(() => {
    const s = state.value;
    if (s.phase === 'measuring') return { state: 'loading', previous: null };
    if (s.phase === 'idle' && s.estimateError !== null) return { state: 'failed', message: s.estimateError, previous: null };
    return s.estimate === null ? IDLE : { state: 'ready', value: s.estimate };
  });
  const starting = computed(() => state.value.phase === 'queueing');
  const startError = computed(() => (state.value.phase === 'idle' ? state.value.refusal : null));

  /** Loads the presets and saved designs the form offers. */
  async function loadDesigns(): Promise<void> {
    const [p, d] = await Promise.all([api().listPresets(), api().listDesigns()]);
    presets.value = p;
    designs.value = d;
  }

  /** Has the lab check the chosen design (a preset or a saved one): valid or not, and why. */
  async function checkDesign(choice: DesignChoice): Promise<void> {
    const ticket = ++tickets;
    dispatch({ type: 'check', ticket, choice });
    try {
      dispatch({ type: 'checked', ticket, check: await api().checkDesign({ design: choice }) });
    } catch (e) {
      dispatch({ type: 'checkFailed', ticket, message: errorMessage(e) });
    }
  }

  /** The checked design's figures at `batch` (memory depends on it). */
  function figuresAt(batch: number): DesignFigures | null {
    return designFigures(state.value.design, batch);
  }

  /** Runs the measured warm-up for `request`. */
  async function measure(request: ChannelInput<'estimateEpoch'>): Promise<void> {
    if (state.value.phase !== 'idle') return;
    const ticket = ++tickets;
    dispatch({ type: 'measure', ticket });
    try {
      dispatch({ type: 'measured', ticket, estimate: await api().estimateEpoch(request) });
    } catch (e) {
      dispatch({ type: 'measureFailed', ticket, message: errorMessage(e) });
    }
  }

  /** Forgets an estimate made for other settings. */
  function clearEstimate(): void {
    dispatch({ type: 'changed' });
  }

  /**
   * Queues `runs` in order (the lab's queue trains them one after another and keeps them across
   * restarts), then watches the first in the monitor. Stops at the first refusal and says which run
   * it was. Returns whether all were queued.
   */
  async function queue(runs: readonly PlannedRun[]): Promise<boolean> {
    if (state.value.phase === 'queueing') return false;
    dispatch({ type: 'queue', count: runs.length });
    const runsStore = useRunsStore();
    let first: string | null = null;
    let refusal: string | null = null;
    for (const [i, r] of runs.entries()) {
      try {
        const s = await runsStore.start(r.request);
        first ??= s.id;
      } catch (e) {
        const done = i === 0 ? '' : ` (${i} of ${runs.length} were queued)`;
        refusal = `${runs.length > 1 ? `Run ${i + 1} (${r.label}): ` : ''}${errorMessage(e)}${done}`;
        break;
      }
    }
    dispatch(refusal === null ? { type: 'queued' } : { type: 'refused', message: refusal });
    if (first !== null) {
      await useMonitorStore().watch(first);
      useTrainingTabsStore().setTab('monitor');
    }
    return refusal === null;
  }

  return { state, presets, designs, checking, estimate, starting, startError, loadDesigns, checkDesign, figuresAt, measure, clearEstimate, queue };
});
