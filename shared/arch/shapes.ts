/**
 * Shape inference: the output shape of every node, per image (no batch axis), with TensorFlow's
 * 'same' padding. Structural faults (a node with no input, a cycle) are the validator's to report;
 * here such nodes, and everything downstream of them, simply get no shape.
 */
import { archError } from './errors';
import type { ArchError } from './errors';
import { nodeMap, reachableFrom, soleInputs, topologicalOrder } from './graph';
import { NODE_SCHEMAS } from './schema';
import type { ArchNode, Architecture, Shape } from './types';
import { shapeText } from './types';

/** Result of {@link inferShapes}. */
export interface ShapeResult {
  /** Output shape of every node whose inputs could be resolved. */
  shapes: Map<string, Shape>;
  /**
   * Shape conflicts: `bad-match` (a mirrored resolution that does not halve to this input),
   * `resolution-mismatch`, `channel-mismatch`, `too-small`.
   */
  errors: ArchError[];
}

/**
 * 'same' padding: out = ceil(in / stride). "Too small" means the exact quotient in / stride falls
 * below one pixel: padding would still produce a pixel, but it would be made of padding rather
 * than of the image, so the stride no longer samples anything.
 */
function strided(node: ArchNode, s: Shape, stride: number, c: number, errors: ArchError[]): Shape | undefined {
  if (s.h < stride || s.w < stride) {
    errors.push(
      archError(
        'too-small',
        `${node.id}: cannot apply stride ${stride} to ${shapeText(s)}: the resolution would drop below 1 pixel`,
        { nodeId: node.id },
      ),
    );
    return undefined;
  }
  return { h: Math.ceil(s.h / stride), w: Math.ceil(s.w / stride), c };
}

function hasValidParams(node: ArchNode): boolean {
  const schema = (NODE_SCHEMAS as Partial<Record<string, (typeof NODE_SCHEMAS)[keyof typeof NODE_SCHEMAS]>>)[node.kind];
  return schema !== undefined && schema.safeParse(node).success;
}

/** Output shape of every node; see the node types for the semantics of each kind. */
export function inferShapes(arch: Architecture): ShapeResult {
  const shapes = new Map<string, Shape>();
  const errors: ArchError[] = [];
  const nodes = nodeMap(arch);
  const sole = soleInputs(arch);
  const inShape = (id: string) => {
    const src = sole(id);
    return src === undefined ? undefined : shapes.get(src);
  };

  for (const id of topologicalOrder(arch).order) {
    const node = nodes.get(id);
    // A node with an unknown kind or absurd parameters (the validator reports both) gets no shape,
    // so a stride of 0 cannot cascade into nonsense downstream.
    if (!node || !hasValidParams(node)) continue;
    let out: Shape | undefined;
    if (node.kind === 'input') {
      out = { h: node.height, w: node.width, c: node.channels };
    } else {
      const s = inShape(id);
      if (!s) continue;
      out = outputShape(arch, sole, node, s, shapes, nodes, errors);
    }
    if (out) shapes.set(id, out);
  }
  return { shapes, errors };
}

type Sole = ReturnType<typeof soleInputs>;

function outputShape(
  arch: Architecture,
  sole: Sole,
  node: Exclude<ArchNode, { kind: 'input' }>,
  s: Shape,
  shapes: Map<string, Shape>,
  nodes: Map<string, ArchNode>,
  errors: ArchError[],
): Shape | undefined {
  switch (node.kind) {
    case 'conv':
      return strided(node, s, node.stride, node.filters, errors);
    case 'resnet':
    case 'bn':
      return { ...s };
    case 'down':
      return strided(node, s, 2, node.filters ?? 2 * s.c, errors);
    case 'up':
      return upShape(arch, sole, node, s, shapes, nodes, errors);
    case 'merge':
      return mergeShape(sole, node, s, shapes, errors);
    case 'head':
      return { h: s.h, w: s.w, c: 1 };
    case 'saltHead':
      // One logit per image, pooled over the whole map.
      return { h: 1, w: 1, c: 1 };
    default:
      // A kind outside the union (a design built in code with a cast); the validator names it.
      return undefined;
  }
}

function upShape(
  arch: Architecture,
  sole: Sole,
  node: Extract<ArchNode, { kind: 'up' }>,
  s: Shape,
  shapes: Map<string, Shape>,
  nodes: Map<string, ArchNode>,
  errors: ArchError[],
): Shape | undefined {
  let c = node.filters;
  if (c === undefined) {
    if (s.c % 2 !== 0) {
      errors.push(
        archError(
          'channel-mismatch',
          `${node.id}: cannot halve ${s.c} channels (input ${shapeText(s)}); set "filters"`,
          { nodeId: node.id },
        ),
      );
      return undefined;
    }
    c = s.c / 2;
  }
  if (node.match === undefined) return { h: 2 * s.h, w: 2 * s.w, c };

  // A match that names no upstream downsampler is a structural fault the validator reports.
  const target = nodes.get(node.match);
  if (!target || target.kind !== 'down' || !reachableFrom(arch, [target.id]).has(node.id)) return undefined;
  const src = sole(target.id);
  const t = src === undefined ? undefined : shapes.get(src);
  if (!t) return undefined;
  if (Math.ceil(t.h / 2) !== s.h || Math.ceil(t.w / 2) !== s.w) {
    errors.push(
      archError(
        'bad-match',
        `${node.id}: matches "${target.id}", whose input ${t.h}x${t.w} does not halve to this upsampler's input ${s.h}x${s.w}`,
        { nodeId: node.id },
      ),
    );
    return undefined;
  }
  return { h: t.h, w: t.w, c };
}

function mergeShape(
  sole: Sole,
  node: Extract<ArchNode, { kind: 'merge' }>,
  main: Shape,
  shapes: Map<string, Shape>,
  errors: ArchError[],
): Shape {
  const skipSrc = sole(node.id, 'skip');
  const skip = skipSrc === undefined ? undefined : shapes.get(skipSrc);
  if (skipSrc !== undefined && skip) {
    const sameRes = skip.h === main.h && skip.w === main.w;
    const bad = !sameRes ? 'resolution-mismatch' : node.mode === 'add' && skip.c !== main.c ? 'channel-mismatch' : null;
    if (bad) {
      errors.push(
        archError(bad, `skip ${skipSrc}->${node.id}: ${shapeText(skip)} vs ${shapeText(main)}`, {
          nodeId: node.id,
          edge: { from: skipSrc, to: node.id, port: 'skip' },
        }),
      );
    }
  }
  // A concat is projected back to the main path's channels, so both modes keep the main shape.
  return { ...main };
}
