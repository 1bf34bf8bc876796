/**
 * Datasets: the list, the selected one, its sample pages, and importing folders (a typed path, the
 * desktop app's folder dialog, or a folder dropped on the Data view).
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { DatasetEntry, SamplePage } from '../../shared/api/types';
import { DEMO_DATASET_ID } from '../../shared/api/types';
import { api } from '../api/labContext';
import type { FolderDrop } from '../workflows/desktopShell';
import { IMPORT_IDLE, importReducer, type ImportAction, type ImportState } from '../workflows/importFlow';
import { current, errorMessage, IDLE, loadFailed, startLoading, type Loadable } from '../workflows/loadable';
import { pageInfo } from '../workflows/paging';

/** Samples on one page of the grid. */
export const SAMPLE_PAGE_SIZE = 24;

/** A message about a drop or the folder dialog, shown in the import panel. */
export interface ImportNote {
  tone: 'info' | 'error';
  text: string;
}

/** The datasets store. */
export const useDatasetsStore = defineStore('datasets', () => {
  const list = ref<Loadable<DatasetEntry[]>>(IDLE);
  const selectedId = ref<string>(DEMO_DATASET_ID);
  const importState = ref<ImportState>(IMPORT_IDLE);
  const note = ref<ImportNote | null>(null);
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
      // The new entry is listed and selected before the import says done, so its problems and
      // samples are what the view shows beside "Imported N samples", never the previous set's.
      await refresh();
      if (entry.id !== selectedId.value) samples.value = IDLE;
      selectedId.value = entry.id;
      dispatchImport({ type: 'succeeded', entry, at: Date.now() });
      await loadPage(0);
    } catch (e) {
      dispatchImport({ type: 'failed', message: errorMessage(e) });
    }
  }

  /**
   * The desktop app's folder dialog, then the import of the chosen folder. A cancelled dialog
   * changes nothing.
   */
  async function chooseAndImport(): Promise<void> {
    if (importState.value.phase === 'importing') return;
    let chosen: string | null;
    try {
      chosen = (await api().pickFolder({ purpose: 'import-dataset' })).path;
    } catch (e) {
      note.value = { tone: 'error', text: `The folder dialog could not open: ${errorMessage(e)}` };
      return;
    }
    if (chosen === null) return;
    note.value = null;
    await importFolder(chosen);
  }

  /**
   * A drop on the Data view, read by `folderDrop`: a refusal is shown as it is; a path is checked by
   * the lab (a file, or nothing at all, is refused with a message naming it) and then imported.
   */
  async function importDrop(drop: FolderDrop): Promise<void> {
    if (drop.kind === 'refused') {
      note.value = { tone: drop.tone, text: drop.message };
      return;
    }
    if (importState.value.phase === 'importing') {
      note.value = { tone: 'error', text: `An import is running: drop ${drop.path} again when it is done.` };
      return;
    }
    let folder: string;
    try {
      folder = (await api().checkDroppedFolder({ path: drop.path })).path;
    } catch (e) {
      note.value = { tone: 'error', text: errorMessage(e) };
      return;
    }
    note.value = null;
    await importFolder(folder);
  }

  /** Clears the note about a drop or the folder dialog. */
  function dismissNote(): void {
    note.value = null;
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

  return {
    list, entries, selectedId, selected, importState, note, samples, page, paging,
    refresh, loadPage, select, importFolder, chooseAndImport, importDrop, dismissNote, dismissImport, remove,
  };
});
