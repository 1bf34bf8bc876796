/**
 * Graph helpers over a design's edges. They tolerate broken designs (dangling edges, duplicate
 * ids, cycles) because the validator runs them on exactly such designs.
 */
import type { ArchNode, Architecture, Edge, PortName } from './types';

/** The port an edge enters; absent means `in`. */
export function portOf(edge: Edge): PortName {
  return edge.port ?? 'in';
}

/** Nodes by id; on duplicate ids the first one wins (the validator reports the rest). */
export function nodeMap(arch: Architecture): Map<string, ArchNode> {
  const map = new Map<string, ArchNode>();
  for (const n of arch.nodes) if (!map.has(n.id)) map.set(n.id, n);
  return map;
}

/** The edges entering one node, by port. */
export interface PortInputs {
  in: Edge[];
  skip: Edge[];
}

/** Incoming edges of every edge target, by port, in one pass (edges with unknown ports are left out). */
export function inputIndex(arch: Architecture): Map<string, PortInputs> {
  const index = new Map<string, PortInputs>();
  for (const e of arch.edges) {
    const port = portOf(e);
    if (port !== 'in' && port !== 'skip') continue;
    let entry = index.get(e.to);
    if (!entry) {
      entry = { in: [], skip: [] };
      index.set(e.to, entry);
    }
    entry[port].push(e);
  }
  return index;
}

/** The edges entering `id`, grouped by port. */
export function inputsByPort(arch: Architecture, id: string): PortInputs {
  const entry = inputIndex(arch).get(id);
  return entry ?? { in: [], skip: [] };
}

/**
 * A lookup of the one source feeding a port, or undefined when there is none or more than one.
 * Built once per design so that walking every node stays linear.
 */
export function soleInputs(arch: Architecture): (id: string, port?: PortName) => string | undefined {
  const index = inputIndex(arch);
  return (id, port = 'in') => {
    const edges = index.get(id)?.[port] ?? [];
    return edges.length === 1 ? edges[0]?.from : undefined;
  };
}

/** The one source feeding port `port` of `id`, or undefined when there is none or more than one. */
export function soleInput(arch: Architecture, id: string, port: PortName = 'in'): string | undefined {
  return soleInputs(arch)(id, port);
}

/** Successor lists over the edges between known nodes (dangling edges are left out). */
export function adjacency(arch: Architecture): Map<string, string[]> {
  const adj = new Map<string, string[]>();
  for (const n of arch.nodes) adj.set(n.id, []);
  for (const e of arch.edges) {
    const out = adj.get(e.from);
    if (out && adj.has(e.to)) out.push(e.to);
  }
  return adj;
}

function reverse(adj: Map<string, string[]>): Map<string, string[]> {
  const rev = new Map<string, string[]>();
  for (const id of adj.keys()) rev.set(id, []);
  for (const [from, tos] of adj) for (const to of tos) rev.get(to)?.push(from);
  return rev;
}

function reach(adj: Map<string, string[]>, starts: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const stack = starts.filter((s) => adj.has(s));
  for (const s of stack) seen.add(s);
  while (stack.length > 0) {
    const id = stack.pop() as string;
    for (const next of adj.get(id) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return seen;
}

/** Every node reachable from any of `starts` along the edges, the starts included. */
export function reachableFrom(arch: Architecture, starts: readonly string[]): Set<string> {
  return reach(adjacency(arch), starts);
}

/** Every node from which one of `targets` can be reached, the targets included. */
export function reaching(arch: Architecture, targets: readonly string[]): Set<string> {
  return reach(reverse(adjacency(arch)), targets);
}

/** Result of {@link topologicalOrder}. */
export interface TopoResult {
  /** The nodes that are on no cycle and downstream of none, sources first. */
  order: string[];
  /** Each cycle as a closed walk of node ids, e.g. `['a', 'b', 'c']` for a -> b -> c -> a. */
  cycles: string[][];
}

/**
 * Kahn's algorithm for the order; the nodes it cannot place lie on or behind a cycle, and Tarjan's
 * strongly connected components among them name each cycle. Iterative, so very long chains do not
 * overflow the stack.
 */
export function topologicalOrder(arch: Architecture): TopoResult {
  const adj = adjacency(arch);
  const indeg = new Map<string, number>();
  for (const id of adj.keys()) indeg.set(id, 0);
  for (const tos of adj.values()) for (const to of tos) indeg.set(to, (indeg.get(to) ?? 0) + 1);
  const queue = [...adj.keys()].filter((id) => indeg.get(id) === 0);
  const order: string[] = [];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] as string;
    order.push(id);
    for (const to of adj.get(id) ?? []) {
      const d = (indeg.get(to) ?? 0) - 1;
      indeg.set(to, d);
      if (d === 0) queue.push(to);
    }
  }
  if (order.length === adj.size) return { order, cycles: [] };
  const placed = new Set(order);
  const rest = [...adj.keys()].filter((id) => !placed.has(id));
  const cycles = stronglyConnected(adj, rest)
    .filter((comp) => comp.length > 1 || (adj.get(comp[0] as string) ?? []).includes(comp[0] as string))
    .map((comp) => cycleWalk(adj, comp));
  return { order, cycles };
}

function stronglyConnected(adj: Map<string, string[]>, ids: readonly string[]): string[][] {
  const inScope = new Set(ids);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const comps: string[][] = [];
  let counter = 0;
  for (const root of ids) {
    if (index.has(root)) continue;
    const work: { id: string; next: number }[] = [{ id: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { id: string; next: number };
      const succ = (adj.get(frame.id) ?? []).filter((s) => inScope.has(s));
      if (frame.next < succ.length) {
        const s = succ[frame.next++] as string;
        if (!index.has(s)) {
          index.set(s, counter);
          low.set(s, counter++);
          stack.push(s);
          onStack.add(s);
          work.push({ id: s, next: 0 });
        } else if (onStack.has(s)) {
          low.set(frame.id, Math.min(low.get(frame.id) as number, index.get(s) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id) as number, low.get(frame.id) as number));
      if (low.get(frame.id) === index.get(frame.id)) {
        const comp: string[] = [];
        let top: string;
        do {
          top = stack.pop() as string;
          onStack.delete(top);
          comp.push(top);
        } while (top !== frame.id);
        comps.push(comp);
      }
    }
  }
  return comps;
}

/** A closed walk through a strongly connected component, starting at its first node in design order. */
function cycleWalk(adj: Map<string, string[]>, comp: readonly string[]): string[] {
  const inComp = new Set(comp);
  const start = [...adj.keys()].find((id) => inComp.has(id)) as string;
  // Breadth-first from start's successors back to start gives a shortest cycle through start.
  const prev = new Map<string, string>();
  const queue: string[] = [start];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] as string;
    for (const to of adj.get(id) ?? []) {
      if (!inComp.has(to)) continue;
      if (to === start) {
        const walk = [id];
        while (walk[0] !== start) walk.unshift(prev.get(walk[0] as string) as string);
        return walk;
      }
      if (!prev.has(to)) {
        prev.set(to, id);
        queue.push(to);
      }
    }
  }
  return [start];
}
