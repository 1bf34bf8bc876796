/**
 * Whole-design edits the note's experiments need: where the batch normalisations go, and which
 * initializer the convs use. Pure: each returns a new design and leaves its argument alone.
 */
import type { ArchNode, Architecture, BnPlacement, Initializer } from './types';

/** A copy that shares no objects with `n`, so later edits of either cannot leak into the other. */
function copyNode<N extends ArchNode>(n: N): N {
  return n.position ? { ...n, position: { ...n.position } } : { ...n };
}

/**
 * Puts the BNs where placement `p` says (see {@link BnPlacement}). Samplers that already carry a
 * BN keep its position (`after` or `strided`) under `samplers` and `blocks`; samplers without one
 * get `after`. Standalone `bn` nodes are explicit design choices and are left in place.
 */
export function withBnPlacement(arch: Architecture, p: BnPlacement): Architecture {
  const nodes = arch.nodes.map((n): ArchNode => {
    if (n.kind === 'down' || n.kind === 'up') {
      const bn = p === 'head' ? 'none' : n.bn === 'none' ? 'after' : n.bn;
      return { ...copyNode(n), bn };
    }
    if (n.kind === 'resnet') {
      const { bnAfterBlock: _old, ...rest } = copyNode(n);
      return p === 'blocks' ? { ...rest, bnAfterBlock: true } : rest;
    }
    return copyNode(n);
  });
  return { ...arch, nodes, edges: arch.edges.map((e) => ({ ...e })) };
}

/**
 * The placement a design follows, or `custom` when its samplers or stacks disagree, or when BNs
 * after blocks come without BNs in the samplers (not one of the note's variants).
 */
export function bnPlacementOf(arch: Architecture): BnPlacement | 'custom' {
  const samplerBn = new Set<boolean>();
  const blockBn = new Set<boolean>();
  for (const n of arch.nodes) {
    if (n.kind === 'down' || n.kind === 'up') samplerBn.add(n.bn !== 'none');
    if (n.kind === 'resnet') blockBn.add(n.bnAfterBlock === true);
  }
  if (samplerBn.size > 1 || blockBn.size > 1) return 'custom';
  const samplers = samplerBn.has(true);
  const blocks = blockBn.has(true);
  if (blocks) return samplers || samplerBn.size === 0 ? 'blocks' : 'custom';
  return samplers ? 'samplers' : 'head';
}

/** Sets the design's default initializer and drops every per-node override, so it applies to all convs. */
export function withInitializer(arch: Architecture, init: Initializer): Architecture {
  const nodes = arch.nodes.map((n): ArchNode => {
    if (!('init' in n)) return copyNode(n);
    const { init: _old, ...rest } = copyNode(n);
    return rest;
  });
  return { ...arch, init, nodes, edges: arch.edges.map((e) => ({ ...e })) };
}
