/** Datasets: the list, the selected one, its sample pages, and importing folders. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { DatasetEntry, SamplePage } from '../../shared/api/types';
import { DEMO_DATASET_ID } from '../../shared/api/types';
import { api } from '../api/labContext';
import { IMPORT_IDLE, importReducer, type ImportAction, type ImportState } from '../workflows/importFlow';
import { current, errorMessage, IDLE, loadFailed, startLoading, type Loadable } from '../workflows/loadable';
import { pageInfo } from '../workflows/paging';

/** Samples on one page of the grid. */
export const SAMPLE_PAGE_SIZE = 24;

/** The datasets store. */
export const useDatasetsStore = defineStore('datasets', () => {
  const list = ref<Loadable<DatasetEntry[]>>(IDLE);
  const selectedId = ref<string>(DEMO_DATASET_ID);
  const importState = ref<ImportState>(IMPORT_IDLE);
  const samples = ref<Loadable<SamplePage>>(IDLE);
  const page = ref(0);
  /** Guards against a slow page answer overwriting a later one. */
  let pageRequest = 0;

  const entries = computed<DatasetEntry[]>(() => current(list.value) ?? []);
  const selected = computed<DatasetEntry | null>(() => entries.value.find((e) => e.id === selectedId.value) ?? null);
  const paging = computed(() => pageInfo(selected.value?.info.count ?? 0, SAMPLE_PAGE_SIZE, page.value));

  const dispatchImport = (a: ImportAction) => {
    importState.value = importReducer(importState.value, a);
  };

  /** Re-reads the dataset list. */
  async function refresh(): Promise<void> {
    list.value = startLoading(list.value);
    try {
      list.value = { state: 'ready', value: await api().listDatasets() };
    } catch (e) {
      list.value = loadFailed(list.value, errorMessage(e));
    }
  }

  /** Loads page `n` of the selected dataset's samples. */
  async function loadPage(n: number): Promise<void> {
    const id = selectedId.value;
    const info = pageInfo(selected.value?.info.count ?? 0, SAMPLE_PAGE_SIZE, n);
    page.value = info.page;
    const ticket = ++pageRequest;
    samples.value = startLoading(samples.value);
    try {
      const value = await api().previewSamples({ datasetId: id, offset: info.offset, limit: SAMPLE_PAGE_SIZE });
      if (ticket === pageRequest) samples.value = { state: 'ready', value };
    } catch (e) {
      if (ticket === pageRequest) samples.value = loadFailed(samples.value, errorMessage(e));
    }
  }

  /** Selects dataset `id` and shows its first page. */
  async function select(id: string): Promise<void> {
    if (id !== selectedId.value) samples.value = IDLE;
    selectedId.value = id;
    await loadPage(0);
  }

  /** Imports the folder at `path`; on success the new entry is selected. */
  async function importFolder(path: string): Promise<void> {
    if (importState.value.phase === 'importing') return;
    dispatchImport({ type: 'start', path, at: Date.now() });
    try {
      const entry = await api().importDataset({ path });
      dispatchImport({ type: 'succeeded', entry, at: Date.now() });
      await refresh();
      await select(entry.id);
    } catch (e) {
      dispatchImport({ type: 'failed', message: errorMessage(e) });
    }
  }

  /** Clears a finished import's message. */
  function dismissImport(): void {
    dispatchImport({ type: 'dismiss' });
  }

  /** Forgets an imported folder (its files stay); the demo set is selected instead. */
  async function remove(id: string): Promise<void> {
    await api().removeDataset({ id });
    if (selectedId.value === id) await select(DEMO_DATASET_ID);
    await refresh();
  }

  return { list, entries, selectedId, selected, importState, samples, page, paging, refresh, loadPage, select, importFolder, dismissImport, remove };
});
