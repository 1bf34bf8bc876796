/** Small hand-made designs for the architecture tests. */
import type { ArchNode, Architecture, Edge } from '../../shared/arch';
import { ARCH_FORMAT, ARCH_VERSION } from '../../shared/arch';

/** A design from nodes and edges, with the envelope filled in. */
export function design(nodes: ArchNode[], edges: Edge[]): Architecture {
  return { format: ARCH_FORMAT, version: ARCH_VERSION, name: 'test', init: 'glorot_uniform', nodes, edges };
}

/** Edges that chain `ids` in order through their `in` ports. */
export function chainEdges(...ids: string[]): Edge[] {
  return ids.slice(1).map((to, i) => ({ from: ids[i] as string, to }));
}

/**
 * A minimal U: input 8x8x1 -> conv 3x3 to 2 channels -> 1 resnet block -> down (no extra convs,
 * BN after) to 4x4x4 -> up (3x3 transposed, no BN, matching the down) to 8x8x2 -> add merge with
 * the resnet's output -> head.
 */
export function miniUNet(mode: 'add' | 'concat' = 'add'): Architecture {
  return design(
    [
      { id: 'in', kind: 'input', channels: 1, height: 8, width: 8 },
      { id: 'stem', kind: 'conv', kernel: 3, filters: 2, stride: 1 },
      { id: 'res', kind: 'resnet', blocks: 1, kernel: 3 },
      { id: 'dn', kind: 'down', convs: 0, kernel: 3, bn: 'after' },
      { id: 'upx', kind: 'up', convs: 0, kernel: 3, bn: 'none', match: 'dn' },
      { id: 'mg', kind: 'merge', mode },
      { id: 'out', kind: 'head' },
    ],
    [...chainEdges('in', 'stem', 'res', 'dn', 'upx', 'mg', 'out'), { from: 'res', to: 'mg', port: 'skip' }],
  );
}

/** The node `id` of `arch`, typed by kind; fails the test when missing. */
export function node<K extends ArchNode['kind']>(arch: Architecture, id: string, kind: K): Extract<ArchNode, { kind: K }> {
  const n = arch.nodes.find((x) => x.id === id);
  if (!n || n.kind !== kind) throw new Error(`fixture: no ${kind} node "${id}"`);
  return n as Extract<ArchNode, { kind: K }>;
}
