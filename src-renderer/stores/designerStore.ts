/**
 * The designer: the design being edited (an undo/redo history of plain designs), the selection,
 * the canvas's expanded stacks, and the commands that save, load and export designs through the
 * lab. Every edit goes through `applyToHistory` in shared/arch/edit, so the store holds no graph
 * logic of its own and no node-graph library types.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { DesignListItem } from '../../shared/api/types';
import type { DesignRef } from '../../shared/runs/request';
import type { UpsamplerResponse } from '../../shared/training/protocol';
import {
  addNodeChange,
  applyArchChange,
  applyToHistory,
  copySelection,
  pasteChange,
  redo as redoStep,
  startHistory,
  undo as undoStep,
  type ArchChange,
  type Clipboard,
  type EditHistory,
} from '../../shared/arch/edit';
import { kerasScript } from '../../shared/arch/keras';
import { layoutChange } from '../../shared/arch/layout';
import { serializeArchitecture } from '../../shared/arch/parse';
import { DEFAULT_PRESET, getPreset, PRESETS } from '../../shared/arch/presets';
import { inferShapes } from '../../shared/arch/shapes';
import { DEFAULT_BATCH, summarize } from '../../shared/arch/summary';
import { ARCH_FORMAT, ARCH_VERSION, type Architecture, type Edge, type NodeKind, type Position } from '../../shared/arch/types';
import { validateArchitecture } from '../../shared/arch/validate';
import { api } from '../api/labContext';
import { canvasModel, edgeKey } from '../workflows/designerGraph';
import { exportStem, fileSizeProblem, importDesignText, type TrainTarget } from '../workflows/designerIo';
import { errorMessage, IDLE, loadFailed, startLoading, type Loadable } from '../workflows/loadable';

/** Where the open design came from, for saving and for "Train this design". */
export type DesignOrigin = DesignRef | { kind: 'new' };

/** A message shown under the toolbar after a command. */
export interface DesignerNotice {
  tone: 'ok' | 'error';
  text: string;
}

/** Where pasted nodes land relative to the copied ones. */
const PASTE_OFFSET: Position = { x: 40, y: 40 };

/** A design with just an input and a head, for "New". */
export function emptyDesign(name = 'untitled'): Architecture {
  return {
    format: ARCH_FORMAT,
    version: ARCH_VERSION,
    name,
    init: 'glorot_uniform',
    nodes: [
      { id: 'input', kind: 'input', channels: 1, height: 101, width: 101, position: { x: 0, y: 0 } },
      { id: 'head', kind: 'head', position: { x: 840, y: 0 } },
    ],
    edges: [],
  };
}

/** `arch` laid out as a U. */
function laidOut(arch: Architecture): Architecture {
  return applyArchChange(arch, layoutChange(arch)).arch;
}

/** The designer store. */
export const useDesignerStore = defineStore('designer', () => {
  // The design `strata train` and the setup form start with (one set of defaults).
  const history = shallowRef<EditHistory>(startHistory(laidOut(getPreset(DEFAULT_PRESET) ?? emptyDesign())));
  const origin = ref<DesignOrigin>({ kind: 'preset', name: DEFAULT_PRESET });
  /** The design as last saved or opened, to tell whether there are unsaved edits. */
  const baseline = shallowRef<Architecture>(history.value.present);
  const selectedNodes = ref<string[]>([]);
  const selectedEdges = ref<string[]>([]);
  const expanded = ref<string[]>([]);
  const clipboard = shallowRef<Clipboard | null>(null);
  const refusal = ref<string | null>(null);
  const notice = ref<DesignerNotice | null>(null);
  const batch = ref(DEFAULT_BATCH);
  const designs = ref<Loadable<DesignListItem[]>>(IDLE);
  const upsamplers = ref<Loadable<UpsamplerResponse[]>>(IDLE);
  const busy = ref(false);

  const arch = computed(() => history.value.present);
  const errors = computed(() => validateArchitecture(arch.value));
  const shapes = computed(() => inferShapes(arch.value).shapes);
  const summary = computed(() => summarize(arch.value, { batch: batch.value }));
  const canvas = computed(() => canvasModel(arch.value, errors.value, shapes.value));
  const valid = computed(() => errors.value.length === 0);
  const dirty = computed(() => arch.value !== baseline.value);
  const canUndo = computed(() => history.value.past.length > 0);
  const canRedo = computed(() => history.value.future.length > 0);
  const selectedNode = computed(() => {
    const [only, ...rest] = selectedNodes.value;
    return only !== undefined && rest.length === 0 ? (arch.value.nodes.find((n) => n.id === only) ?? null) : null;
  });

  /** Applies one edit as one undo step; a refused edit leaves its reason in `refusal`. */
  function apply(change: ArchChange): boolean {
    const r = applyToHistory(history.value, change);
    refusal.value = r.refused?.message ?? null;
    if (r.refused) return false;
    history.value = r.history;
    pruneSelection();
    return true;
  }

  function pruneSelection(): void {
    const ids = new Set(arch.value.nodes.map((n) => n.id));
    const keys = new Set(arch.value.edges.map(edgeKey));
    if (selectedNodes.value.some((id) => !ids.has(id))) selectedNodes.value = selectedNodes.value.filter((id) => ids.has(id));
    if (selectedEdges.value.some((k) => !keys.has(k))) selectedEdges.value = selectedEdges.value.filter((k) => keys.has(k));
    if (expanded.value.some((id) => !ids.has(id))) expanded.value = expanded.value.filter((id) => ids.has(id));
  }

  /** Undoes the last edit. */
  function undo(): void {
    history.value = undoStep(history.value);
    refusal.value = null;
    pruneSelection();
  }

  /** Redoes the last undone edit. */
  function redo(): void {
    history.value = redoStep(history.value);
    refusal.value = null;
    pruneSelection();
  }

  /** Adds a node of `kind` at `position` (a palette drop) and selects it. */
  function addNode(kind: NodeKind, position: Position): void {
    const change = addNodeChange(arch.value, kind, position);
    if (apply(change) && change.type === 'add') selectNodes(change.nodes.map((n) => n.id));
  }

  /** Connects `edge`; a refused connection leaves its reason in `refusal`. */
  function connect(edge: Edge): void {
    apply({ type: 'connect', edge });
  }

  /** Selects exactly these nodes (and no edges). */
  function selectNodes(ids: string[]): void {
    selectedNodes.value = ids;
    selectedEdges.value = [];
  }

  /** Sets the selection of nodes and edges together. */
  function setSelection(nodes: string[], edges: string[]): void {
    selectedNodes.value = nodes;
    selectedEdges.value = edges;
  }

  /** Expands or collapses a resnet stack on the canvas. */
  function toggleExpanded(id: string): void {
    expanded.value = expanded.value.includes(id) ? expanded.value.filter((x) => x !== id) : [...expanded.value, id];
  }

  /** Deletes the selected nodes and edges as one step. */
  function deleteSelection(): void {
    const edges = selectedEdges.value.map((k) => arch.value.edges.find((e) => edgeKey(e) === k)).filter((e): e is Edge => e !== undefined);
    if (selectedNodes.value.length === 0 && edges.length === 0) return;
    apply({ type: 'remove', nodeIds: [...selectedNodes.value], edges });
    setSelection([], []);
  }

  /** Copies the selected nodes and the edges among them. */
  function copy(): void {
    if (selectedNodes.value.length === 0) return;
    clipboard.value = copySelection(arch.value, selectedNodes.value);
  }

  /** Pastes the clipboard beside the original and selects the copies. */
  function paste(): void {
    if (!clipboard.value) return;
    const { change, ids } = pasteChange(arch.value, clipboard.value, PASTE_OFFSET);
    if (apply(change)) selectNodes(ids);
    // The next paste lands further along rather than on top of this one.
    clipboard.value = copySelection(arch.value, ids);
  }

  /** Moves every node to its place in the U layout, as one step. */
  function relayout(): void {
    apply(layoutChange(arch.value));
  }

  /**
   * Opens `next` as a fresh document: the history, selection and expansion start over. Presets, and
   * designs with nodes that have no place, are laid out as a U first.
   */
  function open(doc: Architecture, from: DesignOrigin): void {
    const unplaced = doc.nodes.some((n) => n.position === undefined);
    const next = from.kind === 'preset' || unplaced ? laidOut(doc) : doc;
    history.value = startHistory(next);
    baseline.value = next;
    origin.value = from;
    setSelection([], []);
    expanded.value = [];
    refusal.value = null;
  }

  /** Opens built-in design `name`. */
  function openPreset(name: string): void {
    const p = getPreset(name);
    if (!p) {
      notice.value = { tone: 'error', text: `no preset ${name}; presets: ${Object.keys(PRESETS).join(', ')}` };
      return;
    }
    open(p, { kind: 'preset', name });
    notice.value = null;
  }

  /** Starts an empty design. */
  function openNew(): void {
    open(emptyDesign(), { kind: 'new' });
    notice.value = null;
  }

  /** Imports the text of a dropped or chosen file; a bad file leaves the open design alone. */
  function importText(fileName: string, text: string): void {
    const r = importDesignText(fileName, text);
    if (!r.ok) {
      notice.value = { tone: 'error', text: r.message };
      return;
    }
    open(r.arch, { kind: 'new' });
    notice.value = { tone: 'ok', text: `Imported ${fileName}. Save it to keep it in the lab.` };
  }

  /**
   * The desktop app's open dialog (File > Open design): the chosen file is imported like a dropped
   * one. A cancelled dialog changes nothing.
   */
  async function openFile(): Promise<void> {
    const file = await run(() => api().openDesignFile());
    if (!file) return;
    const tooBig = fileSizeProblem(file.name, file.text.length);
    if (tooBig) {
      notice.value = { tone: 'error', text: tooBig };
      return;
    }
    importText(file.name, file.text);
  }

  /**
   * The desktop app's save dialog (File > Save design), proposing `<name>.json`, then the design
   * written there as JSON. A cancelled dialog changes nothing. Returns the path written.
   */
  async function saveFileAs(): Promise<string | null> {
    const doc = arch.value;
    const picked = await run(() => api().pickSaveFile({ purpose: 'design', defaultName: `${exportStem(doc.name)}.json` }));
    if (!picked || picked.path === null) return null;
    const path = picked.path;
    const written = await run(() => api().writeDesignFile({ path, arch: { ...doc } }));
    if (!written) return null;
    notice.value = { tone: 'ok', text: `Wrote ${doc.name} to ${written.path} (${written.bytes} bytes).` };
    return written.path;
  }

  /** Re-reads the saved designs. */
  async function refreshDesigns(): Promise<void> {
    designs.value = startLoading(designs.value);
    try {
      designs.value = { state: 'ready', value: await api().listDesigns() };
    } catch (e) {
      designs.value = loadFailed(designs.value, errorMessage(e));
    }
  }

  async function run<T>(what: () => Promise<T>): Promise<T | null> {
    busy.value = true;
    try {
      return await what();
    } catch (e) {
      notice.value = { tone: 'error', text: errorMessage(e) };
      return null;
    } finally {
      busy.value = false;
    }
  }

  /**
   * Saves the design in the lab: over its saved copy, or as a new design. Invalid designs are saved
   * too (they cannot be trained until fixed). Returns the saved id.
   */
  async function save(asNew = false): Promise<string | null> {
    const doc = arch.value;
    const id = origin.value.kind === 'saved' && !asNew ? origin.value.id : undefined;
    const rec = await run(() => api().saveDesign(id === undefined ? { arch: { ...doc } } : { id, arch: { ...doc } }));
    if (!rec) return null;
    origin.value = { kind: 'saved', id: rec.id };
    baseline.value = doc;
    notice.value = { tone: 'ok', text: `Saved as ${rec.id}${rec.valid ? '' : ` (${rec.errorCount} problem${rec.errorCount === 1 ? '' : 's'}: it cannot be trained until fixed)`}.` };
    await refreshDesigns();
    return rec.id;
  }

  /** Saves a copy under a new name and id, and goes on editing the copy. */
  async function duplicate(): Promise<void> {
    const name = `${arch.value.name} copy`.slice(0, 200);
    if (!apply({ type: 'meta', name })) return;
    await save(true);
  }

  /** Renames the design; a saved design is saved under its id at once. */
  async function rename(name: string): Promise<void> {
    if (!apply({ type: 'meta', name })) {
      notice.value = { tone: 'error', text: refusal.value ?? 'cannot rename' };
      return;
    }
    if (origin.value.kind === 'saved') await save();
  }

  /** Opens saved design `id`; a document that no longer parses is reported, not opened. */
  async function openSaved(id: string): Promise<void> {
    const rec = await run(() => api().loadDesign({ id }));
    if (!rec) return;
    const r = importDesignText(`design ${id}`, JSON.stringify(rec.arch));
    if (!r.ok) {
      notice.value = { tone: 'error', text: r.message };
      return;
    }
    open(r.arch, { kind: 'saved', id });
    notice.value = null;
  }

  /** Deletes saved design `id`; the open design stays open as unsaved. */
  async function deleteSaved(id: string): Promise<void> {
    const ok = await run(() => api().deleteDesign({ id }));
    if (!ok) return;
    if (origin.value.kind === 'saved' && origin.value.id === id) {
      origin.value = { kind: 'new' };
      baseline.value = emptyDesign();
    }
    await refreshDesigns();
  }

  /** The design as saved JSON. */
  function exportJson(): string {
    return serializeArchitecture(arch.value);
  }

  /** The Keras script, or the reasons there is none. */
  function exportKeras() {
    return kerasScript(arch.value);
  }

  /**
   * What "Train this design" opens: an unchanged preset by name, else the saved design (saving
   * edits first). Null when the design is invalid or could not be saved.
   */
  async function trainTarget(): Promise<TrainTarget | null> {
    if (!valid.value) return null;
    const o = origin.value;
    if (o.kind === 'preset' && !dirty.value) return { kind: 'preset', name: o.name };
    if (o.kind === 'saved' && !dirty.value) return { kind: 'saved', id: o.id };
    const id = await save();
    return id === null ? null : { kind: 'saved', id };
  }

  /** The note's checkerboard test of the current design at initialisation (runs in a trainer process). */
  async function measureUpsamplers(): Promise<void> {
    upsamplers.value = startLoading(upsamplers.value);
    try {
      upsamplers.value = { state: 'ready', value: await api().upsamplerResponses({ arch: { ...arch.value } }) };
    } catch (e) {
      upsamplers.value = loadFailed(upsamplers.value, errorMessage(e));
    }
  }

  return {
    upsamplers,
    measureUpsamplers,
    history,
    arch,
    origin,
    errors,
    shapes,
    summary,
    canvas,
    valid,
    dirty,
    canUndo,
    canRedo,
    selectedNodes,
    selectedEdges,
    selectedNode,
    expanded,
    clipboard,
    refusal,
    notice,
    batch,
    designs,
    busy,
    apply,
    undo,
    redo,
    addNode,
    connect,
    selectNodes,
    setSelection,
    toggleExpanded,
    deleteSelection,
    copy,
    paste,
    relayout,
    openPreset,
    openNew,
    importText,
    openFile,
    saveFileAs,
    refreshDesigns,
    save,
    duplicate,
    rename,
    openSaved,
    deleteSaved,
    exportJson,
    exportKeras,
    trainTarget,
  };
});
