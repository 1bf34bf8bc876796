/**
 * The stores' desktop flows against a fake API: native pickers (a cancelled dialog changes nothing),
 * dropped folders checked by the lab, and the menu's commands.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/api/errors';
import type { DatasetEntry, MenuCommand } from '../../shared/api/types';
import { getPreset } from '../../shared/arch/presets';
import { setLab } from '../../src-renderer/api/labContext';
import { useDatasetsStore } from '../../src-renderer/stores/datasetsStore';
import { useDesignerStore } from '../../src-renderer/stores/designerStore';
import { useMasksStore } from '../../src-renderer/stores/masksStore';
import { useNavStore } from '../../src-renderer/stores/navStore';
import { useShellStore } from '../../src-renderer/stores/shellStore';
import { folderDrop, submissionFileName } from '../../src-renderer/workflows/desktopShell';
import { fakeApi } from './fakeLab';
import { entry } from './fixtures';

type Impl = Parameters<typeof fakeApi>[0];

function desktop(impl: Impl, calls: string[] = []): string[] {
  setLab({ mode: 'electron', shell: 'desktop', onConnectionChange: null, pathForFile: () => '', api: fakeApi(impl, calls) });
  return calls;
}

beforeEach(() => setActivePinia(createPinia()));

describe('importing from the folder dialog and from drops', () => {
  it('a cancelled folder dialog changes nothing', async () => {
    const calls = desktop({ pickFolder: (i) => (expect(i).toEqual({ purpose: 'import-dataset' }), { path: null }) });
    const s = useDatasetsStore();
    await s.chooseAndImport();
    expect(calls).toEqual(['pickFolder']);
    expect(s.importState).toEqual({ phase: 'idle' });
    expect(s.note).toBeNull();
  });

  it('imports the chosen folder', async () => {
    const imported = entry('tgs-1');
    let listed: DatasetEntry[] = [];
    const calls = desktop({
      pickFolder: () => ({ path: '/data/tgs' }),
      importDataset: (i) => (expect(i).toEqual({ path: '/data/tgs' }), (listed = [imported]), imported),
      listDatasets: () => listed,
      previewSamples: () => ({ datasetId: 'tgs-1', total: 50, offset: 0, height: 101, width: 101, synthetic: false, samples: [] }),
    });
    const s = useDatasetsStore();
    await s.chooseAndImport();
    expect(calls).toEqual(['pickFolder', 'importDataset', 'listDatasets', 'previewSamples']);
    expect(s.importState).toMatchObject({ phase: 'done', path: '/data/tgs' });
  });

  it('says so when the folder dialog fails', async () => {
    desktop({ pickFolder: () => Promise.reject(new ApiError('unsupported', 'the folder dialog is only in the desktop app')) });
    const s = useDatasetsStore();
    await s.chooseAndImport();
    expect(s.note).toEqual({ tone: 'error', text: 'The folder dialog could not open: the folder dialog is only in the desktop app' });
    expect(s.importState).toEqual({ phase: 'idle' });
  });

  it('a dropped file is refused with the lab’s message, and nothing is imported', async () => {
    const message = "/data/train.csv is a file, not a folder: drop the dataset's folder (the one holding images/ and masks/ or train.csv)";
    const calls = desktop({ checkDroppedFolder: () => Promise.reject(new ApiError('bad-request', message)) });
    const s = useDatasetsStore();
    await s.importDrop(folderDrop({ shell: 'desktop', names: ['train.csv'], path: '/data/train.csv' }));
    expect(calls).toEqual(['checkDroppedFolder']);
    expect(s.note).toEqual({ tone: 'error', text: message });
    expect(s.importState).toEqual({ phase: 'idle' });
  });

  it('a dropped folder is checked by the lab, then imported', async () => {
    const imported = entry('tgs-2');
    const calls = desktop({
      checkDroppedFolder: (i) => (expect(i).toEqual({ path: '/data/tgs2' }), { path: '/data/tgs2' }),
      importDataset: (i) => (expect(i).toEqual({ path: '/data/tgs2' }), imported),
      listDatasets: () => [imported],
      previewSamples: () => ({ datasetId: 'tgs-2', total: 50, offset: 0, height: 101, width: 101, synthetic: false, samples: [] }),
    });
    const s = useDatasetsStore();
    await s.importDrop(folderDrop({ shell: 'desktop', names: ['tgs2'], path: '/data/tgs2' }));
    expect(calls.slice(0, 2)).toEqual(['checkDroppedFolder', 'importDataset']);
    expect(s.selectedId).toBe('tgs-2');
    expect(s.note).toBeNull();
  });

  it('several dropped items, or a drop in browser mode, only show a note', async () => {
    const calls = desktop({});
    const s = useDatasetsStore();
    await s.importDrop(folderDrop({ shell: 'desktop', names: ['a', 'b'], path: null }));
    expect(s.note).toEqual({ tone: 'error', text: 'Drop one folder at a time: 2 items were dropped (a, b).' });
    await s.importDrop(folderDrop({ shell: 'browser', names: ['a'], path: null }));
    expect(s.note?.tone).toBe('info');
    expect(s.note?.text).toMatch(/works in the desktop app/);
    expect(calls).toEqual([]);
  });
});

describe('the designer’s file dialogs', () => {
  it('a cancelled save dialog writes nothing; a chosen path gets the design as JSON', async () => {
    let path: string | null = null;
    const written: unknown[] = [];
    const calls = desktop({
      pickSaveFile: (i) => (expect(i).toEqual({ purpose: 'design', defaultName: 'tiny.json' }), { path }),
      writeDesignFile: (i) => (written.push(i), { path: (i as { path: string }).path, bytes: 1234 }),
    });
    const d = useDesignerStore();
    d.openPreset('tiny');
    d.notice = null;
    expect(await d.saveFileAs()).toBeNull();
    expect(calls).toEqual(['pickSaveFile']);
    expect(d.notice).toBeNull();
    path = '/home/me/tiny.json';
    expect(await d.saveFileAs()).toBe('/home/me/tiny.json');
    expect(written).toEqual([{ path: '/home/me/tiny.json', arch: expect.objectContaining({ name: 'tiny', nodes: d.arch.nodes }) }]);
    expect(d.notice).toEqual({ tone: 'ok', text: 'Wrote tiny to /home/me/tiny.json (1234 bytes).' });
  });

  it('a cancelled open dialog keeps the open design; an opened file is imported, a bad one named', async () => {
    let answer: unknown = null;
    desktop({ openDesignFile: () => answer });
    const d = useDesignerStore();
    d.openPreset('tiny');
    d.notice = null;
    const before = d.arch;
    await d.openFile();
    expect(d.arch).toBe(before);
    expect(d.notice).toBeNull();
    const fig2 = getPreset('fig2');
    answer = { path: '/home/me/f2.json', name: 'f2.json', text: JSON.stringify(fig2) };
    await d.openFile();
    expect(d.arch.name).toBe(fig2?.name);
    expect(d.notice).toEqual({ tone: 'ok', text: 'Imported f2.json. Save it to keep it in the lab.' });
    answer = { path: '/home/me/x.json', name: 'x.json', text: '{"format": "nope"}' };
    await d.openFile();
    expect(d.arch.name).toBe(fig2?.name);
    expect(d.notice).toMatchObject({ tone: 'error', text: expect.stringMatching(/^x\.json is not a Strata design/) });
  });
});

describe('the Masks view’s dialogs', () => {
  it('refuses to export before a run and its predictions are shown, asking no dialog', async () => {
    const calls = desktop({});
    const m = useMasksStore();
    await m.saveSubmissionAs();
    expect(calls).toEqual([]);
    expect(m.exported).toMatchObject({ state: 'failed', message: 'There are no predictions to export: choose a run and its predictions first.' });
  });

  const RUN = '20250607-153012-123-k3j9x2';
  /** A run with one stored epoch of two 2x2 validation images, opened in the Masks view. */
  const withEpoch = (impl: Impl): Impl => ({
    getPredictionEpochs: () => [0],
    listFolderPredictions: () => [],
    onRunEvent: () => () => undefined,
    getPredictions: () => ({ runId: RUN, epoch: 0, total: 2, offset: 0, ids: ['a', 'b'], height: 2, width: 2, probs: btoa('\xff\x00\x00\x00\x00\x00\x00\x00'), truth: null, truthNote: null, images: null, depths: null }),
    ...impl,
  });

  it('Save as… writes the shown predictions where the save dialog says', async () => {
    const exports: unknown[] = [];
    const calls = desktop(
      withEpoch({
        pickSaveFile: (i) => (expect(i).toEqual({ purpose: 'submission', defaultName: submissionFileName(RUN) }), { path: '/home/me/sub.csv' }),
        exportSubmission: (i) => (exports.push(i), { path: '/home/me/sub.csv', rows: 2, withSalt: 1, threshold: 0.5 }),
      }),
    );
    const m = useMasksStore();
    await m.selectRun(RUN);
    expect(m.source).toEqual({ kind: 'epoch', epoch: 0 });
    calls.length = 0;
    await m.saveSubmissionAs();
    expect(calls).toEqual(['pickSaveFile', 'exportSubmission']);
    // The shown rule's threshold and minimum area (this run has no stored post-processing: the raw mask).
    // The save dialog confirmed replacing an existing file itself, so the export says so.
    expect(exports).toEqual([{ id: RUN, source: { kind: 'epoch', epoch: 0 }, threshold: 0.5, minArea: 0, path: '/home/me/sub.csv', overwrite: true }]);
    expect(m.exported).toEqual({ state: 'ready', value: { path: '/home/me/sub.csv', rows: 2, withSalt: 1, threshold: 0.5 } });
  });

  it('a cancelled save dialog exports nothing and changes nothing', async () => {
    const calls = desktop(withEpoch({ pickSaveFile: () => ({ path: null }) }));
    const m = useMasksStore();
    await m.selectRun(RUN);
    const before = { source: m.source, set: m.set, view: m.view };
    calls.length = 0;
    await m.saveSubmissionAs();
    expect(calls).toEqual(['pickSaveFile']);
    expect(m.exported).toEqual({ state: 'idle' });
    expect({ source: m.source, set: m.set, view: m.view }).toEqual(before);
  });

  it('Choose folder… predicts the chosen folder and shows its predictions', async () => {
    const folder = { runId: RUN, key: 'f1', path: '/data/test/images', epoch: 0, count: 2 };
    let listed: unknown[] = [];
    const calls = desktop(
      withEpoch({
        pickFolder: (i) => (expect(i).toEqual({ purpose: 'predict-folder' }), { path: '/data/test/images' }),
        predictFolder: (i) => (expect(i).toEqual({ id: RUN, path: '/data/test/images' }), (listed = [folder]), folder),
        listFolderPredictions: () => listed,
        getFolderPredictions: (i) => (
          expect(i).toMatchObject({ id: RUN, key: 'f1' }),
          { runId: RUN, epoch: 0, total: 2, offset: 0, ids: ['t1', 't2'], height: 2, width: 2, probs: btoa('\x00'.repeat(8)), truth: null, truthNote: null, images: null, depths: null }
        ),
      }),
    );
    const m = useMasksStore();
    await m.selectRun(RUN);
    calls.length = 0;
    await m.chooseAndPredict();
    expect(calls).toEqual(['pickFolder', 'predictFolder', 'listFolderPredictions', 'getFolderPredictions']);
    expect(m.predicting).toEqual({ state: 'ready', value: folder });
    expect(m.source).toEqual({ kind: 'folder', key: 'f1' });
    expect(m.loaded?.ids).toEqual(['t1', 't2']);
  });

  it('a cancelled folder dialog predicts nothing', async () => {
    const calls = desktop({
      getPredictionEpochs: () => [],
      listFolderPredictions: () => [],
      onRunEvent: () => () => undefined,
      pickFolder: (i) => (expect(i).toEqual({ purpose: 'predict-folder' }), { path: null }),
    });
    const m = useMasksStore();
    await m.selectRun('20250607-153012-123-k3j9x2');
    calls.length = 0;
    await m.chooseAndPredict();
    expect(calls).toEqual(['pickFolder']);
    expect(m.predicting).toEqual({ state: 'idle' });
    expect(m.source).toBeNull();
    expect(m.folders).toEqual([]);
  });
});

describe('the menu', () => {
  it('opens the command’s view and leaves its task there, taken once', () => {
    desktop({});
    const shell = useShellStore();
    const nav = useNavStore();
    shell.perform({ command: 'show-view', view: 'runs' });
    expect(nav.view).toBe('runs');
    expect(shell.pending).toBeNull();
    shell.perform({ command: 'export-submission' });
    expect(nav.view).toBe('masks');
    expect(shell.take('pick-import-folder')).toBe(false);
    expect(shell.take('save-submission')).toBe(true);
    expect(shell.take('save-submission')).toBe(false);
    shell.perform({ command: 'import-dataset' });
    shell.perform({ command: 'show-view', view: 'designer' });
    // A later command replaces a task no view took.
    expect(shell.pending).toBeNull();
    expect(nav.view).toBe('designer');
  });

  it('follows onMenuCommand in the desktop app only', () => {
    const menu: { emit: ((c: MenuCommand) => void) | null } = { emit: null };
    let undone = 0;
    const calls = desktop({ onMenuCommand: (_i, fn) => ((menu.emit = fn as (c: MenuCommand) => void), () => void undone++) });
    const undo = useShellStore().follow();
    expect(calls).toEqual(['onMenuCommand']);
    expect(menu.emit).toBeTypeOf('function');
    menu.emit?.({ command: 'open-design' });
    expect(useNavStore().view).toBe('designer');
    expect(useShellStore().pending?.task).toBe('open-design-file');
    undo();
    expect(undone).toBe(1);

    setActivePinia(createPinia());
    const browserCalls: string[] = [];
    setLab({ mode: 'browser', shell: 'browser', onConnectionChange: null, pathForFile: null, api: fakeApi({}, browserCalls) });
    useShellStore().follow()();
    expect(browserCalls).toEqual([]);
  });
});
