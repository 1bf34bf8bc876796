/**
 * The Training view: the setup form's design check and time estimate, queueing runs, and the
 * watched run's live curves. The curves are always rebuilt from the run store (getBatchMetrics,
 * getEpochMetrics, getRunEvents) and only extended by live messages, so nothing lives only here.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { ChannelInput, Unsubscribe } from '../../shared/api/channels';
import type { DesignCheck, DesignListItem, EpochEstimate, PresetInfo } from '../../shared/api/types';
import { summarize, type ArchSummary } from '../../shared/arch';
import type { RunSummary } from '../../shared/runs/types';
import type { TrainerMessage } from '../../shared/training/protocol';
import { api, lab } from '../api/labContext';
import { current, errorMessage, IDLE, loadFailed, startLoading, type Loadable } from '../workflows/loadable';
import { buildCharts, DEFAULT_CHART_SETTINGS, type ChartModel, type ChartSettings } from '../workflows/trainingCharts';
import { seriesReducer, type RunSeries } from '../workflows/trainingSeries';
import type { DesignChoice } from '../workflows/trainingSetup';
import { coalesce } from './coalesce';

/** The Training view's tabs. */
export type TrainingTab = 'setup' | 'monitor' | 'compare';

/** A command on the watched run. */
export type MonitorCommand = 'pause' | 'resume' | 'stop' | 'rewind';

/** Live messages are applied at most this often: 20 events/s become a handful of chart updates. */
const FLUSH_MS = 150;

const TAB_KEY = 'strata.training.tab';
const RUN_KEY = 'strata.training.run';

function remembered(key: string): string | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function remember(key: string, value: string | null): void {
  try {
    if (typeof sessionStorage === 'undefined') return;
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // Storage refused (private mode): the view still works, it just opens on its defaults.
  }
}

function isTab(s: string | null): s is TrainingTab {
  return s === 'setup' || s === 'monitor' || s === 'compare';
}

/** The checked design with its memory figures at the form's batch size. */
export interface DesignFigures {
  check: DesignCheck;
  /** Null for an invalid design. */
  summary: ArchSummary | null;
}

/** The training store. */
export const useTrainingStore = defineStore('training', () => {
  const storedTab = remembered(TAB_KEY);
  const tab = ref<TrainingTab>(isTab(storedTab) ? storedTab : 'setup');
  const watchedId = ref<string | null>(remembered(RUN_KEY));
  /** Shallow: the series is replaced whole by the reducer; its big arrays must not become reactive proxies. */
  const series = shallowRef<RunSeries | null>(null);
  const seriesLoad = ref<Loadable<true>>(IDLE);
  const settings = ref<ChartSettings>({ ...DEFAULT_CHART_SETTINGS });
  const runs = ref<RunSummary[]>([]);
  const presets = ref<PresetInfo[]>([]);
  const designs = ref<DesignListItem[]>([]);
  const design = ref<Loadable<DesignCheck>>(IDLE);
  const estimate = ref<Loadable<EpochEstimate>>(IDLE);
  const starting = ref(false);
  const startError = ref<string | null>(null);
  const busy = ref<MonitorCommand | null>(null);
  const commandError = ref<string | null>(null);

  const charts = computed<ChartModel[]>(() => (series.value ? buildCharts(series.value, settings.value) : []));

  let pending: TrainerMessage[] = [];
  let flushTimer: ReturnType<typeof setTimeout> | null = null;
  let live: { runId: string; undo: Unsubscribe } | null = null;
  let designRequest = 0;

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
    if (m.type === 'ended') void refreshRuns();
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
    commandError.value = null;
    listen(id);
    await loadSeries();
  }

  /** Opens a tab. */
  function setTab(t: TrainingTab): void {
    tab.value = t;
    remember(TAB_KEY, t);
  }

  /** Changes chart settings. */
  function setSettings(patch: Partial<ChartSettings>): void {
    settings.value = { ...settings.value, ...patch };
  }

  const refreshRuns = coalesce(async () => {
    try {
      runs.value = (await api().listRuns({})).runs;
    } catch (e) {
      commandError.value = errorMessage(e);
    }
  });

  /** Loads the presets and saved designs the form offers. */
  async function loadDesigns(): Promise<void> {
    const [p, d] = await Promise.all([api().listPresets(), api().listDesigns()]);
    presets.value = p;
    designs.value = d;
  }

  /** Checks the chosen design (a preset or a saved one): valid or not, and why. */
  async function checkDesign(choice: DesignChoice): Promise<void> {
    const request = ++designRequest;
    design.value = startLoading(design.value);
    try {
      let check: DesignCheck;
      if (choice.kind === 'preset') {
        const arch = await api().getPreset({ name: choice.name });
        // An interface has no index signature: spread it into the plain object the channel takes.
        check = await api().validateDesign({ arch: { ...arch } });
      } else {
        const rec = await api().loadDesign({ id: choice.id });
        check = rec.valid
          ? await api().validateDesign({ arch: rec.arch as ChannelInput<'validateDesign'>['arch'] })
          : { valid: false, errors: rec.errors, summary: null, arch: null };
      }
      if (request === designRequest) design.value = { state: 'ready', value: check };
    } catch (e) {
      if (request === designRequest) design.value = loadFailed(design.value, errorMessage(e));
    }
  }

  /** The checked design's figures at `batch` (memory depends on it). */
  function figuresAt(batch: number): DesignFigures | null {
    const check = current(design.value);
    if (!check) return null;
    if (!check.arch || !check.valid || !Number.isInteger(batch) || batch < 1) return { check, summary: null };
    const s = summarize(check.arch, { batch });
    return { check, summary: s.ok ? s.summary : null };
  }

  /** Runs the measured warm-up for `request`. */
  async function measure(request: ChannelInput<'estimateEpoch'>): Promise<void> {
    estimate.value = startLoading(estimate.value);
    try {
      estimate.value = { state: 'ready', value: await api().estimateEpoch(request) };
    } catch (e) {
      estimate.value = loadFailed(estimate.value, errorMessage(e));
    }
  }

  /** Forgets an estimate made for other settings. */
  function clearEstimate(): void {
    if (estimate.value.state !== 'loading') estimate.value = IDLE;
  }

  /**
   * Queues `requests` in order (the lab's queue trains them one after another and keeps them across
   * restarts), then watches the first. Stops at the first refusal and says which run it was.
   */
  async function start(requests: readonly { request: ChannelInput<'startRun'>; label: string }[]): Promise<boolean> {
    starting.value = true;
    startError.value = null;
    let first: string | null = null;
    try {
      for (const [i, r] of requests.entries()) {
        try {
          const s = await api().startRun(r.request);
          first ??= s.id;
        } catch (e) {
          const done = i === 0 ? '' : ` (${i} of ${requests.length} were queued)`;
          startError.value = `${requests.length > 1 ? `Run ${i + 1} (${r.label}): ` : ''}${errorMessage(e)}${done}`;
          return false;
        }
      }
      return true;
    } finally {
      starting.value = false;
      await refreshRuns();
      if (first !== null) {
        await watch(first);
        setTab('monitor');
      }
    }
  }

  async function command(c: MonitorCommand, lrFactor = 0.1): Promise<void> {
    const id = watchedId.value;
    if (id === null) return;
    busy.value = c;
    commandError.value = null;
    try {
      if (c === 'pause') await api().pauseRun({ id });
      else if (c === 'resume') await api().resumeRun({ id });
      else if (c === 'rewind') await api().rewindRun({ id, lrFactor });
      else await api().stopRun({ id, reason: 'stopped from the training monitor' });
    } catch (e) {
      commandError.value = errorMessage(e);
    } finally {
      busy.value = null;
      await Promise.all([refreshRuns(), loadSeries()]);
    }
  }

  /**
   * Follows the lab: the run list, and the watched run's record when its status changes. With no
   * run chosen yet, the training run (else the newest) is watched. Returns the undo.
   */
  function follow(): Unsubscribe {
    const undoRuns = api().onRunsChanged({}, (e) => {
      void refreshRuns();
      if (e.runId !== null && e.runId === watchedId.value && e.change === 'status') void loadSeries();
    });
    const c = lab();
    // Messages missed while the socket was down are not replayed: read the store again.
    const undoLink = c.onConnectionChange ? c.onConnectionChange((s) => s === 'open' && void loadSeries()) : null;
    void (async () => {
      await refreshRuns();
      if (watchedId.value !== null && runs.value.some((r) => r.id === watchedId.value)) {
        listen(watchedId.value);
        await loadSeries();
        return;
      }
      const pick = runs.value.find((r) => r.status === 'running' || r.status === 'paused') ?? runs.value[0] ?? null;
      await watch(pick?.id ?? null);
    })();
    return () => {
      undoRuns();
      undoLink?.();
      listen(null);
      if (flushTimer !== null) clearTimeout(flushTimer);
      flushTimer = null;
    };
  }

  return {
    tab,
    watchedId,
    series,
    seriesLoad,
    settings,
    charts,
    runs,
    presets,
    designs,
    design,
    estimate,
    starting,
    startError,
    busy,
    commandError,
    watch,
    setTab,
    setSettings,
    refreshRuns,
    loadDesigns,
    checkDesign,
    figuresAt,
    measure,
    clearEstimate,
    start,
    pause: () => command('pause'),
    resume: () => command('resume'),
    stop: () => command('stop'),
    /** Takes a wrong-step offer: back to the checkpoint before the jump, learning rate scaled. */
    rewind: (lrFactor: number) => command('rewind', lrFactor),
    follow,
  };
});
