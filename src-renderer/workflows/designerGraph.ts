/**
 * What the designer's canvas draws, as plain data: one card per node (its title, its parameters in
 * a line, its output shape, its problems) and one line per edge (its tensor shape, or the error on
 * it). The canvas component maps these onto the node-graph library; nothing here knows about it.
 */
import type { ArchError } from '../../shared/arch/errors';
import type { ArchNode, Architecture, Edge, NodeKind, PortName, Shape } from '../../shared/arch/types';
import { shapeText } from '../../shared/arch/types';

/** Titles of the node kinds, for the palette and the cards. */
export const KIND_TITLES: Readonly<Record<NodeKind, string>> = {
  input: 'Input',
  conv: 'Conv',
  resnet: 'Resnet stack',
  down: 'Downsampler',
  up: 'Upsampler',
  bn: 'Batch norm',
  merge: 'Skip merge',
  head: 'Head',
  saltHead: 'Salt present',
};

/** One line of the palette: what a node kind is for. */
export const KIND_HINTS: Readonly<Record<NodeKind, string>> = {
  input: 'The image: height, width, channels',
  conv: 'One conv, e.g. the stem',
  resnet: 'N pre-activation blocks, one node',
  down: 'm convs, then a stride-2 conv',
  up: 'Stride-2 transposed conv, then m convs',
  bn: 'A batch normalisation on the main path',
  merge: 'Adds or concatenates a skip',
  head: '1x1 conv to one channel, BN, sigmoid',
  saltHead: 'Second output on the bottom level: pool, dense, sigmoid; votes empty images',
};

/** The drag payload type of a palette item: its node kind. */
export const PALETTE_MIME = 'application/x-strata-node';

/** The palette's order: the way a U-Net is read. */
export const PALETTE_KINDS: readonly NodeKind[] = ['input', 'conv', 'resnet', 'down', 'up', 'bn', 'merge', 'head', 'saltHead'];

/** A node card. */
export interface CardModel {
  id: string;
  kind: NodeKind;
  /** The label, or the id. */
  title: string;
  /** The parameters in one line, e.g. `3x3 · 16 filters`. */
  detail: string;
  /** A resnet stack's block count, shown large as `x100`. */
  blocks: number | null;
  /** Output shape, e.g. `101x101x16`; null when it cannot be inferred. */
  outShape: string | null;
  /** Input ports (a merge has `in` and `skip`, the input none). */
  ports: PortName[];
  /** Whether anything may follow it (everything but the two heads). */
  hasOutput: boolean;
  /** Messages of the problems on this node. */
  errors: string[];
  position: { x: number; y: number };
}

/** An edge line. */
export interface EdgeModel {
  /** Stable key: `from->to:port`. */
  key: string;
  from: string;
  to: string;
  port: PortName;
  /** The tensor the edge carries, e.g. `51x51x32`; null when unknown. */
  shape: string | null;
  /** The problem on this edge, e.g. `skip e1->merge0: 51x51x32 vs 101x101x16`. */
  error: string | null;
}

/** The key of an edge, as {@link EdgeModel.key}. */
export function edgeKey(e: Edge): string {
  return `${e.from}->${e.to}:${e.port ?? 'in'}`;
}

/** The edge of a key made by {@link edgeKey}, or null for a key it did not make. */
export function edgeOfKey(key: string): Edge | null {
  const m = /^(.+)->(.+):(in|skip)$/.exec(key);
  if (!m) return null;
  const [, from = '', to = '', port = 'in'] = m;
  return port === 'skip' ? { from, to, port: 'skip' } : { from, to };
}

const k = (n: number) => `${n}x${n}`;

/** The one-line parameter summary of a node. */
export function nodeDetail(node: ArchNode, defaultInit: string): string {
  const init = 'init' in node && node.init !== undefined && node.init !== defaultInit ? ` · ${node.init}` : '';
  switch (node.kind) {
    case 'input':
      return `${node.height}x${node.width}x${node.channels}`;
    case 'conv':
      return `${k(node.kernel)} · ${node.filters} filters${node.stride > 1 ? ` · stride ${node.stride}` : ''}${init}`;
    case 'resnet':
      return `${k(node.kernel)} blocks${node.bnAfterBlock ? ' · BN after each' : ''}${init}`;
    case 'down':
      return `${node.convs} + 1 convs · ${k(node.kernel)}${node.filters ? ` · ${node.filters} filters` : ''} · BN ${node.bn}${init}`;
    case 'up':
      return `1 + ${node.convs} convs · ${k(node.kernel)}ᵀ${node.filters ? ` · ${node.filters} filters` : ''} · BN ${node.bn}${node.match ? ` · mirrors ${node.match}` : ''}${init}`;
    case 'bn':
      return 'batch normalisation';
    case 'merge':
      return node.mode === 'add' ? 'add (equal shapes)' : 'concat + 1x1 projection';
    case 'head':
      return '1x1 conv · BN · sigmoid';
    case 'saltHead':
      return `pool${node.hidden === undefined ? '' : ` · dense ${node.hidden}`} · dense 1 · loss x${node.lossWeight}${init}`;
  }
}

/** Cards and lines for a design, its validation errors and its inferred shapes. */
export function canvasModel(
  arch: Architecture,
  errors: readonly ArchError[],
  shapes: ReadonlyMap<string, Shape>,
): { cards: CardModel[]; edges: EdgeModel[] } {
  const byNode = new Map<string, string[]>();
  const byEdge = new Map<string, string>();
  for (const e of errors) {
    if (e.edge) {
      const key = edgeKey(e.edge);
      if (!byEdge.has(key)) byEdge.set(key, e.message);
      // Shape conflicts sit on the edge; the node card need not repeat them.
      if (e.code === 'resolution-mismatch' || e.code === 'channel-mismatch') continue;
    }
    if (e.nodeId === undefined) continue;
    const list = byNode.get(e.nodeId);
    if (list) list.push(e.message);
    else byNode.set(e.nodeId, [e.message]);
  }
  const cards = arch.nodes.map((n, i): CardModel => {
    const out = shapes.get(n.id);
    return {
      id: n.id,
      kind: n.kind,
      title: n.label ?? n.id,
      detail: nodeDetail(n, arch.init),
      blocks: n.kind === 'resnet' ? n.blocks : null,
      outShape: out ? shapeText(out) : null,
      ports: n.kind === 'input' ? [] : n.kind === 'merge' ? ['in', 'skip'] : ['in'],
      hasOutput: n.kind !== 'head' && n.kind !== 'saltHead',
      errors: byNode.get(n.id) ?? [],
      position: n.position ?? { x: (i % 6) * 210, y: Math.floor(i / 6) * 150 },
    };
  });
  const edges = arch.edges.map((e): EdgeModel => {
    const key = edgeKey(e);
    const s = shapes.get(e.from);
    return { key, from: e.from, to: e.to, port: e.port ?? 'in', shape: s ? shapeText(s) : null, error: byEdge.get(key) ?? null };
  });
  return { cards, edges };
}

/** One row of an expanded resnet stack. */
export interface BlockRow {
  index: number;
  /** The block's layers, e.g. `BN · ReLU · conv 3x3 · BN · ReLU · conv 3x3 · add`. */
  layers: string;
}

/** The rows of an expanded stack: every block, since the point of expanding is to see them all. */
export function blockRows(node: ArchNode): BlockRow[] {
  if (node.kind !== 'resnet') return [];
  const conv = `conv ${k(node.kernel)}`;
  const layers = `BN · ReLU · ${conv} · BN · ReLU · ${conv} · add${node.bnAfterBlock ? ' · BN' : ''}`;
  return Array.from({ length: node.blocks }, (_, index) => ({ index, layers }));
}
