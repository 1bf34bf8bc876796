/**
 * The automatic U-shaped layout: the encoder descends on the left, the bottom level sits lowest,
 * the decoder climbs back up on the right, and every skip runs straight across at its level.
 * Pure: it only computes positions; {@link layoutChange} turns them into one designer edit.
 */
import type { ArchChange } from './edit';
import { nodeMap, soleInputs, topologicalOrder } from './graph';
import type { Architecture, Position } from './types';

/** Horizontal distance between columns; a node card is about 180 px wide. */
export const LAYOUT_STEP_X = 220;
/** Vertical distance between a level and a sampler beside it (half a level); a card is about 110 px tall. */
export const LAYOUT_STEP_Y = 150;

/**
 * Positions for every node. Rows follow the resolution level (a downsampler half a level down, the
 * next level a full one), so every skip runs straight across. Going down, a node stays in its
 * predecessor's column, so the encoder is a column descending on the left; going up it does too
 * unless the encoder holds the place, so the decoder climbs on the right; along a level it moves right. A node also stays right of every input
 * it has, and never lands on a taken place. A salt head hangs half a level below the node it reads. Nodes the input does not reach (parts of a design still
 * being built) go in a row under the U, in design order.
 */
export function uLayout(arch: Architecture): Map<string, Position> {
  const { order, cycles } = topologicalOrder(arch);
  const nodes = nodeMap(arch);
  const sole = soleInputs(arch);
  const preds = new Map<string, string[]>();
  for (const e of arch.edges) {
    if (!nodes.has(e.from) || !nodes.has(e.to)) continue;
    const list = preds.get(e.to);
    if (list) list.push(e.from);
    else preds.set(e.to, [e.from]);
  }

  const col = new Map<string, number>();
  const level = new Map<string, number>();
  /** Half-levels: a level is two rows, a sampler sits on the odd row between. */
  const row = new Map<string, number>();
  const taken = new Set<string>();
  const place = (id: string, c: number, r: number) => {
    let x = c;
    while (taken.has(`${x}:${r}`)) x++;
    taken.add(`${x}:${r}`);
    col.set(id, x);
    row.set(id, r);
  };
  for (const id of order) {
    const node = nodes.get(id);
    if (!node) continue;
    if (node.kind === 'input') {
      level.set(id, 0);
      place(id, 0, 0);
      continue;
    }
    const src = sole(id);
    const l = src === undefined ? undefined : level.get(src);
    const srcRow = src === undefined ? undefined : row.get(src);
    const srcCol = src === undefined ? undefined : col.get(src);
    if (l === undefined || srcRow === undefined || srcCol === undefined) continue;
    if (node.kind === 'saltHead') {
      // The second output hangs below the bottom level it reads, out of the U's way.
      level.set(id, l);
      place(id, srcCol, srcRow + 1);
      continue;
    }
    const next = node.kind === 'down' ? l + 1 : node.kind === 'up' ? l - 1 : l;
    const r = node.kind === 'down' ? 2 * l + 1 : node.kind === 'up' ? 2 * l - 1 : 2 * l;
    level.set(id, next);
    const others = (preds.get(id) ?? []).filter((p) => p !== src).map((p) => (col.get(p) ?? -1) + 1);
    place(id, Math.max(r === srcRow ? srcCol + 1 : srcCol, ...others), r);
  }
  // A design whose decoder climbs above the input's level still draws from row 0 down.
  const top = Math.min(0, ...row.values());
  const bottom = Math.max(0, ...row.values()) - top;
  const out = new Map<string, Position>();
  for (const [id, r] of row) out.set(id, { x: (col.get(id) ?? 0) * LAYOUT_STEP_X, y: (r - top) * LAYOUT_STEP_Y });

  const onCycle = new Set(cycles.flat());
  let loose = 0;
  for (const n of arch.nodes) {
    if (out.has(n.id)) continue;
    const c = onCycle.has(n.id) ? loose : Math.max(loose, col.get(n.id) ?? 0);
    out.set(n.id, { x: c * LAYOUT_STEP_X, y: (bottom + 2) * LAYOUT_STEP_Y });
    loose = c + 1;
  }
  return out;
}

/** The designer edit that moves every node to its place in {@link uLayout}. */
export function layoutChange(arch: Architecture): ArchChange {
  const at = uLayout(arch);
  return { type: 'position', moves: [...at].map(([id, position]) => ({ id, position })) };
}
