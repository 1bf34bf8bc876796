/**
 * Editing a design: change objects, one pure function that applies a change and validates the
 * result, and an undo/redo history. The designer's canvas only emits these changes (in the manner
 * of Vue Flow's `applyNodeChanges`), so every edit is testable without a browser.
 */
import type { ArchError } from './errors';
import { issuesToErrors } from './issues';
import { NODE_ID_MAX_LENGTH, NODE_ID_PATTERN } from './limits';
import { DEFAULT_SALT_LOSS_WEIGHT } from './saltHead';
import { NODE_SCHEMAS } from './schema';
import type { ArchNode, Architecture, Edge, Initializer, NodeKind, PortName, Position } from './types';
import { INITIALIZERS } from './types';
import { validateArchitecture } from './validate';

/**
 * A parameter patch for one node: fields to set. A field set to `null` is removed (an optional
 * field such as `filters` goes back to its default). `id` and `kind` cannot be patched: renaming is
 * its own change, and a kind change is a remove and an add.
 */
export type NodePatch = Record<string, unknown>;

/** Every edit the designer can make. */
export type ArchChange =
  /** Adds nodes, and edges among them or to existing nodes (a drop from the palette, a paste). */
  | { type: 'add'; nodes: ArchNode[]; edges?: Edge[] }
  /** Removes nodes (with every edge touching them) and edges. */
  | { type: 'remove'; nodeIds: string[]; edges?: Edge[] }
  /** Moves nodes on the canvas. */
  | { type: 'position'; moves: { id: string; position: Position }[] }
  /** Connects a source to a port; an edge already entering that port is replaced (a port takes one edge). */
  | { type: 'connect'; edge: Edge }
  /** Sets or clears parameters of one node. */
  | { type: 'update'; id: string; patch: NodePatch }
  /** Renames a node; edges and upsampler matches follow. */
  | { type: 'rename'; id: string; newId: string }
  /** Design-level fields. */
  | { type: 'meta'; name?: string; description?: string | null; init?: Initializer }
  /** Replaces the whole design (an import, a re-layout computed elsewhere). */
  | { type: 'replace'; arch: Architecture };

/** Why a change was refused. The design is then left exactly as it was. */
export interface EditRefusal {
  /** Self-contained, e.g. `node "e0" (blocks): must be at least 1, got 0`. */
  message: string;
  nodeId?: string;
}

/** The outcome of {@link applyArchChange}. */
export interface ApplyResult {
  /** The new design, or the old one (the same object) when the change was refused. */
  arch: Architecture;
  /** Every problem of `arch`, from the shared validator. */
  errors: ArchError[];
  /** Set when the change was refused. */
  refused: EditRefusal | null;
}

const edgeKey = (e: Edge) => `${e.from}\u0000${e.to}\u0000${e.port ?? 'in'}`;

function sameEdge(a: Edge, b: Edge): boolean {
  return edgeKey(a) === edgeKey(b);
}

function copyNode<N extends ArchNode>(n: N): N {
  return n.position ? { ...n, position: { ...n.position } } : { ...n };
}

function idProblem(id: string): string | null {
  if (id.length === 0) return 'an id may not be empty';
  if (id.length > NODE_ID_MAX_LENGTH) return `an id is at most ${NODE_ID_MAX_LENGTH} characters`;
  if (!NODE_ID_PATTERN.test(id)) return `id "${id}" may use only letters, digits, "_" and "-"`;
  return null;
}

/** The one node schema's verdict on `node`, as a refusal naming the field. */
function nodeRefusal(node: ArchNode): EditRefusal | null {
  const schema = (NODE_SCHEMAS as Partial<Record<string, (typeof NODE_SCHEMAS)[NodeKind]>>)[node.kind];
  if (!schema) return { message: `node "${node.id}": unknown kind ${JSON.stringify(node.kind)}`, nodeId: node.id };
  const r = schema.safeParse(node);
  if (r.success) return null;
  const first = issuesToErrors(r.error.issues, node, [], node.id)[0];
  return { message: first?.message ?? `node "${node.id}" is not valid`, nodeId: node.id };
}

function refuse(arch: Architecture, message: string, nodeId?: string): ApplyResult {
  const refused: EditRefusal = nodeId === undefined ? { message } : { message, nodeId };
  return { arch, errors: validateArchitecture(arch), refused };
}

/** Connection rules that hold whatever the shapes: a broken one is refused rather than drawn. */
function connectRefusal(arch: Architecture, edge: Edge): string | null {
  const from = arch.nodes.find((n) => n.id === edge.from);
  const to = arch.nodes.find((n) => n.id === edge.to);
  const port: PortName = edge.port ?? 'in';
  if (!from) return `cannot connect from "${edge.from}": no such node`;
  if (!to) return `cannot connect to "${edge.to}": no such node`;
  if (from.id === to.id) return `cannot connect "${from.id}" to itself`;
  if (from.kind === 'head') return `head "${from.id}" is the output: nothing can follow it`;
  if (from.kind === 'saltHead') return `salt head "${from.id}" is an output: nothing can follow it`;
  if (to.kind === 'input') return `input "${to.id}" takes no incoming edges`;
  if (port === 'skip' && to.kind !== 'merge') return `only merges have a "skip" port, and "${to.id}" is a ${to.kind}`;
  return null;
}

function applyUpdate(arch: Architecture, id: string, patch: NodePatch): ApplyResult {
  const index = arch.nodes.findIndex((n) => n.id === id);
  const node = arch.nodes[index];
  if (!node) return refuse(arch, `no node "${id}" to update`);
  for (const key of ['id', 'kind']) {
    if (key in patch) return refuse(arch, `node "${id}": "${key}" cannot be changed by an update`, id);
  }
  const next: Record<string, unknown> = { ...copyNode(node) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || v === undefined) delete next[k];
    else next[k] = v;
  }
  const updated = next as unknown as ArchNode;
  const why = nodeRefusal(updated);
  if (why) return refuse(arch, why.message, id);
  const nodes = arch.nodes.slice();
  nodes[index] = updated;
  return done({ ...arch, nodes });
}

function applyRename(arch: Architecture, id: string, newId: string): ApplyResult {
  if (!arch.nodes.some((n) => n.id === id)) return refuse(arch, `no node "${id}" to rename`);
  if (newId === id) return done(arch);
  const bad = idProblem(newId);
  if (bad) return refuse(arch, `cannot rename "${id}": ${bad}`, id);
  if (arch.nodes.some((n) => n.id === newId)) return refuse(arch, `cannot rename "${id}": id "${newId}" is already used`, id);
  const nodes = arch.nodes.map((n): ArchNode => {
    if (n.id === id) return { ...copyNode(n), id: newId };
    if (n.kind === 'up' && n.match === id) return { ...copyNode(n), match: newId };
    return n;
  });
  const edges = arch.edges.map((e) => ({ ...e, from: e.from === id ? newId : e.from, to: e.to === id ? newId : e.to }));
  return done({ ...arch, nodes, edges });
}

function applyAdd(arch: Architecture, added: readonly ArchNode[], addedEdges: readonly Edge[]): ApplyResult {
  const ids = new Set(arch.nodes.map((n) => n.id));
  for (const n of added) {
    const bad = idProblem(n.id);
    if (bad) return refuse(arch, `cannot add node: ${bad}`);
    if (ids.has(n.id)) return refuse(arch, `cannot add node "${n.id}": the id is already used`, n.id);
    const why = nodeRefusal(n);
    if (why) return refuse(arch, why.message, n.id);
    ids.add(n.id);
  }
  let next: Architecture = { ...arch, nodes: [...arch.nodes, ...added.map(copyNode)] };
  for (const e of addedEdges) {
    const why = connectRefusal(next, e);
    if (why) return refuse(arch, why);
    next = withEdge(next, e);
  }
  return done(next);
}

/** `arch` with `edge`, replacing whatever entered the same port before. */
function withEdge(arch: Architecture, edge: Edge): Architecture {
  const port = edge.port ?? 'in';
  const kept = arch.edges.filter((e) => !(e.to === edge.to && (e.port ?? 'in') === port));
  const clean: Edge = port === 'in' ? { from: edge.from, to: edge.to } : { from: edge.from, to: edge.to, port };
  return { ...arch, edges: [...kept, clean] };
}

function done(arch: Architecture): ApplyResult {
  return { arch, errors: validateArchitecture(arch), refused: null };
}

/**
 * Applies one change and validates the result. Never throws and never mutates `arch`: a change
 * that breaks a rule of its own (an invalid parameter value, a duplicate id, an edge into an input)
 * is refused with its reason; anything else is applied, and the validator's errors describe the
 * outcome (a design may be invalid while it is being built).
 */
export function applyArchChange(arch: Architecture, change: ArchChange): ApplyResult {
  switch (change.type) {
    case 'add':
      return applyAdd(arch, change.nodes, change.edges ?? []);
    case 'remove': {
      const gone = new Set(change.nodeIds);
      const cut = change.edges ?? [];
      const nodes = arch.nodes.filter((n) => !gone.has(n.id));
      const edges = arch.edges.filter((e) => !gone.has(e.from) && !gone.has(e.to) && !cut.some((c) => sameEdge(c, e)));
      if (nodes.length === arch.nodes.length && edges.length === arch.edges.length) return done(arch);
      return done({ ...arch, nodes, edges });
    }
    case 'position': {
      const moves = new Map(change.moves.map((m) => [m.id, m.position]));
      for (const [id, p] of moves) {
        if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) return refuse(arch, `node "${id}": a position must be finite`, id);
      }
      let moved = false;
      const nodes = arch.nodes.map((n) => {
        const p = moves.get(n.id);
        if (!p || (n.position?.x === p.x && n.position.y === p.y)) return n;
        moved = true;
        return { ...n, position: { x: p.x, y: p.y } };
      });
      // Moving nodes to where they are is no edit, so it adds no undo step.
      return done(moved ? { ...arch, nodes } : arch);
    }
    case 'connect': {
      const why = connectRefusal(arch, change.edge);
      if (why) return refuse(arch, why, change.edge.to);
      return done(withEdge(arch, change.edge));
    }
    case 'update':
      return applyUpdate(arch, change.id, change.patch);
    case 'rename':
      return applyRename(arch, change.id, change.newId);
    case 'meta': {
      const next: Architecture = { ...arch };
      if (change.name !== undefined) {
        const name = change.name.trim();
        if (name.length === 0) return refuse(arch, 'a design needs a name');
        if (name.length > 200) return refuse(arch, 'a design name is at most 200 characters');
        next.name = name;
      }
      if (change.description === null) delete next.description;
      else if (change.description !== undefined) next.description = change.description;
      if (change.init !== undefined) {
        if (!(INITIALIZERS as readonly string[]).includes(change.init)) {
          return refuse(arch, `initializer must be one of ${INITIALIZERS.join(', ')}, got ${JSON.stringify(change.init)}`);
        }
        next.init = change.init;
      }
      return done(next);
    }
    case 'replace':
      return done(change.arch);
  }
}

// ---------------------------------------------------------------------------------------------
// New nodes, copy and paste

/** Parameters a node of each kind starts with when dropped from the palette: the note's choices. */
export function defaultNode(kind: NodeKind, id: string, position?: Position): ArchNode {
  const at = position ? { position: { x: position.x, y: position.y } } : {};
  switch (kind) {
    case 'input':
      return { id, kind, channels: 1, height: 101, width: 101, ...at };
    case 'conv':
      return { id, kind, kernel: 3, filters: 16, stride: 1, ...at };
    case 'resnet':
      return { id, kind, blocks: 2, kernel: 3, ...at };
    case 'down':
      return { id, kind, convs: 2, kernel: 3, bn: 'after', ...at };
    case 'up':
      return { id, kind, convs: 2, kernel: 3, bn: 'after', ...at };
    case 'bn':
      return { id, kind, ...at };
    case 'merge':
      return { id, kind, mode: 'add', ...at };
    case 'head':
      return { id, kind, ...at };
    case 'saltHead':
      return { id, kind, lossWeight: DEFAULT_SALT_LOSS_WEIGHT, ...at };
  }
}

/** Id stems of new nodes, by kind. */
const STEMS: Readonly<Record<NodeKind, string>> = {
  input: 'input',
  conv: 'conv',
  resnet: 'stack',
  down: 'down',
  up: 'up',
  bn: 'bn',
  merge: 'merge',
  head: 'head',
  saltHead: 'salt',
};

/** The first free id `<stem><n>` (n from 1) among `taken`. */
export function freshId(taken: ReadonlySet<string>, stem: string): string {
  const base = stem.replace(/[^A-Za-z0-9_-]/g, '').slice(0, NODE_ID_MAX_LENGTH - 6) || 'node';
  for (let n = 1; ; n++) {
    const id = `${base}${n}`;
    if (!taken.has(id)) return id;
  }
}

/** The change that adds a new node of `kind` at `position`, with a fresh id. */
export function addNodeChange(arch: Architecture, kind: NodeKind, position: Position): ArchChange {
  const id = freshId(new Set(arch.nodes.map((n) => n.id)), STEMS[kind]);
  return { type: 'add', nodes: [defaultNode(kind, id, position)] };
}

/** Copied nodes and the edges among them, detached from any design. */
export interface Clipboard {
  nodes: ArchNode[];
  edges: Edge[];
}

/** The selected nodes and the edges between them (edges leaving the selection are not copied). */
export function copySelection(arch: Architecture, ids: Iterable<string>): Clipboard {
  const chosen = new Set(ids);
  return {
    nodes: arch.nodes.filter((n) => chosen.has(n.id)).map(copyNode),
    edges: arch.edges.filter((e) => chosen.has(e.from) && chosen.has(e.to)).map((e) => ({ ...e })),
  };
}

/**
 * The change that pastes `clip` into `arch`, shifted by `offset`: every node gets a fresh id (its
 * old one with a number), and edges and upsampler matches inside the clipboard follow. Also returns
 * the new ids, to select them.
 */
export function pasteChange(arch: Architecture, clip: Clipboard, offset: Position): { change: ArchChange; ids: string[] } {
  const taken = new Set(arch.nodes.map((n) => n.id));
  const rename = new Map<string, string>();
  for (const n of clip.nodes) {
    const stem = n.id.replace(/\d+$/, '');
    const id = freshId(taken, stem);
    taken.add(id);
    rename.set(n.id, id);
  }
  const nodes = clip.nodes.map((n): ArchNode => {
    const moved = { ...copyNode(n), id: rename.get(n.id) ?? n.id, position: { x: (n.position?.x ?? 0) + offset.x, y: (n.position?.y ?? 0) + offset.y } };
    if (moved.kind === 'up' && moved.match !== undefined && rename.has(moved.match)) moved.match = rename.get(moved.match);
    return moved;
  });
  const edges = clip.edges.map((e) => ({ ...e, from: rename.get(e.from) ?? e.from, to: rename.get(e.to) ?? e.to }));
  return { change: { type: 'add', nodes, edges }, ids: nodes.map((n) => n.id) };
}

// ---------------------------------------------------------------------------------------------
// History

/** Most undo steps kept; older ones are dropped. */
export const HISTORY_LIMIT = 200;

/** An undo/redo history of designs. Designs are never mutated, so the steps share structure. */
export interface EditHistory {
  past: Architecture[];
  present: Architecture;
  future: Architecture[];
}

/** A history that starts at `arch`, with nothing to undo. */
export function startHistory(arch: Architecture): EditHistory {
  return { past: [], present: arch, future: [] };
}

/** Result of {@link applyToHistory}. */
export interface HistoryResult {
  history: EditHistory;
  errors: ArchError[];
  refused: EditRefusal | null;
}

/**
 * Applies a change as one undo step. A refused change, or one that changes nothing, leaves the
 * history as it was; a new step clears the redo list.
 */
export function applyToHistory(h: EditHistory, change: ArchChange): HistoryResult {
  const r = applyArchChange(h.present, change);
  if (r.refused || r.arch === h.present) return { history: h, errors: r.errors, refused: r.refused };
  const past = [...h.past, h.present];
  if (past.length > HISTORY_LIMIT) past.splice(0, past.length - HISTORY_LIMIT);
  return { history: { past, present: r.arch, future: [] }, errors: r.errors, refused: null };
}

/** One step back; the same history when there is nothing to undo. */
export function undo(h: EditHistory): EditHistory {
  const prev = h.past[h.past.length - 1];
  if (!prev) return h;
  return { past: h.past.slice(0, -1), present: prev, future: [h.present, ...h.future] };
}

/** One step forward again; the same history when there is nothing to redo. */
export function redo(h: EditHistory): EditHistory {
  const next = h.future[0];
  if (!next) return h;
  return { past: [...h.past, h.present], present: next, future: h.future.slice(1) };
}
