/**
 * The validator: every structural, parameter and shape problem of a design, one error per problem,
 * each naming its node (or edge). It never throws, whatever it is given that typechecks.
 */
import { archError } from './errors';
import type { ArchError } from './errors';
import { inputIndex, nodeMap, portOf, reachableFrom, reaching, soleInputs, topologicalOrder } from './graph';
import { issuesToErrors } from './issues';
import { NODE_SCHEMAS } from './schema';
import { inferShapes } from './shapes';
import type { Architecture, NodeKind, Shape } from './types';
import { NODE_KINDS } from './types';

function isKind(kind: unknown): kind is NodeKind {
  return typeof kind === 'string' && (NODE_KINDS as readonly string[]).includes(kind);
}

/** Parameter checks for designs built in code: the same schemas and limits the parser applies. */
function paramErrors(arch: Architecture): ArchError[] {
  const errors: ArchError[] = [];
  arch.nodes.forEach((node, i) => {
    const kind: unknown = node.kind;
    if (!isKind(kind)) {
      errors.push(
        archError('unknown-kind', `node "${node.id}" has unknown kind ${JSON.stringify(kind)}`, {
          nodeId: node.id,
          path: `nodes[${i}].kind`,
        }),
      );
      return;
    }
    const result = NODE_SCHEMAS[kind].safeParse(node);
    if (!result.success) errors.push(...issuesToErrors(result.error.issues, node, ['nodes', i], node.id));
  });
  return errors;
}

/** Duplicate ids and edges whose ends name no node. */
function identityErrors(arch: Architecture): ArchError[] {
  const errors: ArchError[] = [];
  const seen = new Set<string>();
  const reported = new Set<string>();
  for (const n of arch.nodes) {
    if (seen.has(n.id) && !reported.has(n.id)) {
      const count = arch.nodes.filter((m) => m.id === n.id).length;
      errors.push(archError('duplicate-id', `node id "${n.id}" is used by ${count} nodes`, { nodeId: n.id }));
      reported.add(n.id);
    }
    seen.add(n.id);
  }
  for (const e of arch.edges) {
    for (const end of ['from', 'to'] as const) {
      if (!seen.has(e[end])) {
        errors.push(
          archError('dangling-edge', `edge ${e.from}->${e.to}: "${e[end]}" is not a node`, { edge: e }),
        );
      }
    }
  }
  return errors;
}

/** Exactly one input and one head, and the ports of every node wired as its kind requires. */
function wiringErrors(arch: Architecture): ArchError[] {
  const errors: ArchError[] = [];
  const inputs = arch.nodes.filter((n) => n.kind === 'input');
  const heads = arch.nodes.filter((n) => n.kind === 'head');
  if (inputs.length === 0) errors.push(archError('missing-input', 'the design has no input node'));
  if (inputs.length > 1) {
    const ids = inputs.map((n) => n.id).join(', ');
    errors.push(archError('multiple-inputs', `the design has ${inputs.length} input nodes (${ids}); it needs one`, {
      nodeId: inputs[1]?.id,
    }));
  }
  if (heads.length === 0) errors.push(archError('missing-head', 'the design has no head node'));
  if (heads.length > 1) {
    const ids = heads.map((n) => n.id).join(', ');
    errors.push(archError('multiple-heads', `the design has ${heads.length} head nodes (${ids}); it needs one`, {
      nodeId: heads[1]?.id,
    }));
  }
  const saltHeads = arch.nodes.filter((n) => n.kind === 'saltHead');
  if (saltHeads.length > 1) {
    const ids = saltHeads.map((n) => n.id).join(', ');
    errors.push(archError('multiple-salt-heads', `the design has ${saltHeads.length} salt heads (${ids}); it takes at most one`, {
      nodeId: saltHeads[1]?.id,
    }));
  }

  const ids = new Set(arch.nodes.map((n) => n.id));
  const nodes = nodeMap(arch);
  for (const e of arch.edges) {
    const port: unknown = portOf(e);
    const target = nodes.get(e.to);
    if (port !== 'in' && port !== 'skip') {
      errors.push(archError('port', `edge ${e.from}->${e.to}: unknown port ${JSON.stringify(port)}`, {
        nodeId: e.to,
        edge: e,
      }));
    } else if (port === 'skip' && target && target.kind !== 'merge') {
      errors.push(archError('port', `edge ${e.from}->${e.to}: only merges have a "skip" port, and "${e.to}" is a ${target.kind}`, {
        nodeId: e.to,
        edge: e,
      }));
    }
  }
  const index = inputIndex(arch);
  const outgoing = new Map<string, typeof arch.edges>();
  for (const e of arch.edges) {
    const list = outgoing.get(e.from);
    if (list) list.push(e);
    else outgoing.set(e.from, [e]);
  }
  const checked = new Set<string>();
  for (const n of arch.nodes) {
    if (checked.has(n.id)) continue;
    checked.add(n.id);
    const ports = index.get(n.id) ?? { in: [], skip: [] };
    // Dangling edges count as connections here: they are reported once, as dangling.
    const incoming = ports.in;
    const skips = ports.skip;
    const fromList = (es: typeof incoming) => es.map((e) => e.from).join(', ');
    if (n.kind === 'input') {
      for (const e of [...incoming, ...skips].filter((x) => ids.has(x.from))) {
        errors.push(archError('port', `input "${n.id}" cannot have incoming edges, but ${e.from} feeds it`, {
          nodeId: n.id,
          edge: e,
        }));
      }
      continue;
    }
    if (incoming.length === 0) {
      errors.push(archError('port', `node "${n.id}": nothing is connected to its "in" port`, { nodeId: n.id }));
    } else if (incoming.length > 1) {
      errors.push(archError('port', `node "${n.id}": ${incoming.length} edges enter its "in" port (${fromList(incoming)}); it takes one`, {
        nodeId: n.id,
      }));
    }
    if (n.kind === 'merge') {
      if (skips.length === 0) {
        errors.push(archError('port', `merge "${n.id}": nothing is connected to its "skip" port`, { nodeId: n.id }));
      } else if (skips.length > 1) {
        errors.push(archError('port', `merge "${n.id}": ${skips.length} edges enter its "skip" port (${fromList(skips)}); it takes one`, {
          nodeId: n.id,
        }));
      }
    }
    if (n.kind === 'head' || n.kind === 'saltHead') {
      const what = n.kind === 'head' ? 'head' : 'salt head';
      for (const e of (outgoing.get(n.id) ?? []).filter((x) => ids.has(x.to))) {
        errors.push(archError('port', `${what} "${n.id}" cannot feed other nodes, but it feeds ${e.to}`, {
          nodeId: n.id,
          edge: e,
        }));
      }
    }
  }
  return errors;
}

/** Cycles, then nodes cut off from the input or the head. */
function flowErrors(arch: Architecture): ArchError[] {
  const errors: ArchError[] = [];
  for (const cycle of topologicalOrder(arch).cycles) {
    const walk = [...cycle, cycle[0]].join(' -> ');
    errors.push(archError('cycle', `cycle: ${walk}`, { nodeId: cycle[0] }));
  }
  const inputs = arch.nodes.filter((n) => n.kind === 'input').map((n) => n.id);
  const heads = arch.nodes.filter((n) => n.kind === 'head').map((n) => n.id);
  const fromInput = inputs.length > 0 ? reachableFrom(arch, inputs) : undefined;
  const toHead = heads.length > 0 ? reaching(arch, heads) : undefined;
  const seen = new Set<string>();
  for (const n of arch.nodes) {
    if (seen.has(n.id)) continue;
    seen.add(n.id);
    if (fromInput && !fromInput.has(n.id)) {
      errors.push(archError('unreachable', `node "${n.id}" cannot be reached from the input`, { nodeId: n.id }));
    }
    // A salt head is the second output: it leads to no head by design (its input must, see saltHeadErrors).
    if (toHead && !toHead.has(n.id) && n.kind !== 'saltHead') {
      errors.push(archError('unreachable', `node "${n.id}" does not lead to the head`, { nodeId: n.id }));
    }
  }
  return errors;
}

/**
 * Upsampler matches that cannot work whatever the shapes: the named node is missing, is not a
 * downsampler, or is not upstream (a U-Net mirrors a downsampler it has already passed).
 */
function matchErrors(arch: Architecture): ArchError[] {
  const errors: ArchError[] = [];
  const nodes = nodeMap(arch);
  for (const n of arch.nodes) {
    if (n.kind !== 'up' || n.match === undefined) continue;
    const target = nodes.get(n.match);
    if (!target || target.kind !== 'down') {
      const what = target ? `a ${target.kind} node` : 'no node';
      errors.push(
        archError('bad-match', `${n.id}: "match" must name a downsampler, but "${n.match}" is ${what}`, {
          nodeId: n.id,
        }),
      );
    } else if (!reachableFrom(arch, [target.id]).has(n.id)) {
      errors.push(archError('bad-match', `${n.id}: matches "${target.id}", which is not upstream of it`, { nodeId: n.id }));
    }
  }
  return errors;
}

/**
 * Where a salt head may read: a node of the mask path (one that leads to the head) at the bottom
 * level, the lowest resolution on that path (13x13 for a 101 input), so that it classifies the
 * image from the encoder's deepest features and its gradient trains the whole encoder. Unconnected
 * or unresolved inputs are reported elsewhere (ports, shapes).
 */
function saltHeadErrors(arch: Architecture, shapes: ReadonlyMap<string, Shape>): ArchError[] {
  const salts = arch.nodes.filter((n) => n.kind === 'saltHead');
  if (salts.length === 0) return [];
  const heads = arch.nodes.filter((n) => n.kind === 'head').map((n) => n.id);
  if (heads.length === 0) return [];
  const maskPath = reaching(arch, heads);
  const nodes = nodeMap(arch);
  let bottom: Shape | undefined;
  for (const id of maskPath) {
    const s = shapes.get(id);
    if (s && (!bottom || s.h * s.w < bottom.h * bottom.w)) bottom = s;
  }
  const sole = soleInputs(arch);
  const errors: ArchError[] = [];
  for (const n of salts) {
    const src = sole(n.id);
    if (src === undefined || !nodes.has(src)) continue;
    if (!maskPath.has(src)) {
      errors.push(archError('salt-head-input', `salt head "${n.id}" must read a node of the mask path, but its input "${src}" does not lead to the head`, {
        nodeId: n.id,
        edge: { from: src, to: n.id },
      }));
      continue;
    }
    const s = shapes.get(src);
    if (!s || !bottom || (s.h === bottom.h && s.w === bottom.w)) continue;
    errors.push(archError('salt-head-input', `salt head "${n.id}" must read the bottom level (${bottom.h}x${bottom.w}), but its input "${src}" is ${s.h}x${s.w}`, {
      nodeId: n.id,
      edge: { from: src, to: n.id },
    }));
  }
  return errors;
}

/**
 * Every problem of a design: node parameters, ids and edges, wiring (one input, one head, at most
 * one salt head, ports), cycles and reachability, then shapes and where a salt head reads. An
 * empty list means the design can be built.
 */
export function validateArchitecture(arch: Architecture): ArchError[] {
  const shaped = inferShapes(arch);
  return [
    ...paramErrors(arch),
    ...identityErrors(arch),
    ...wiringErrors(arch),
    ...flowErrors(arch),
    ...matchErrors(arch),
    ...shaped.errors,
    ...saltHeadErrors(arch, shaped.shapes),
  ];
}
