/**
 * The zod schemas of a design's JSON form. They mirror `types.ts` one to one; `parse.ts` turns their
 * issues into {@link ArchError}s with JSON paths, and `validate.ts` reuses the node schemas to check
 * designs built in code.
 */
import { z } from 'zod';
import { LIMITS, NODE_ID_MAX_LENGTH, NODE_ID_PATTERN } from './limits';
import { ARCH_FORMAT, ARCH_VERSION, INITIALIZERS, MERGE_MODES, SAMPLER_BN } from './types';
import type { ArchNode, Edge, NodeKind } from './types';

const int = (range: { min: number; max: number }) => z.number().int().min(range.min).max(range.max);

const base = {
  id: z.string().max(NODE_ID_MAX_LENGTH).regex(NODE_ID_PATTERN),
  label: z.string().optional(),
  position: z.strictObject({ x: z.number(), y: z.number() }).optional(),
};
const init = { init: z.enum(INITIALIZERS).optional() };

/** One schema per node kind; strict, so a misspelt field is reported rather than silently dropped. */
export const NODE_SCHEMAS = {
  input: z.strictObject({
    ...base,
    kind: z.literal('input'),
    channels: int(LIMITS.channels),
    height: int(LIMITS.size),
    width: int(LIMITS.size),
  }),
  conv: z.strictObject({
    ...base,
    ...init,
    kind: z.literal('conv'),
    kernel: int(LIMITS.kernel),
    filters: int(LIMITS.filters),
    stride: int(LIMITS.stride),
  }),
  resnet: z.strictObject({
    ...base,
    ...init,
    kind: z.literal('resnet'),
    blocks: int(LIMITS.blocks),
    kernel: int(LIMITS.kernel),
    bnAfterBlock: z.boolean().optional(),
  }),
  down: z.strictObject({
    ...base,
    ...init,
    kind: z.literal('down'),
    convs: int(LIMITS.convs),
    kernel: int(LIMITS.kernel),
    filters: int(LIMITS.filters).optional(),
    bn: z.enum(SAMPLER_BN),
  }),
  up: z.strictObject({
    ...base,
    ...init,
    kind: z.literal('up'),
    convs: int(LIMITS.convs),
    kernel: int(LIMITS.kernel),
    convKernel: int(LIMITS.kernel).optional(),
    filters: int(LIMITS.filters).optional(),
    bn: z.enum(SAMPLER_BN),
    match: z.string().optional(),
  }),
  bn: z.strictObject({ ...base, kind: z.literal('bn') }),
  merge: z.strictObject({ ...base, ...init, kind: z.literal('merge'), mode: z.enum(MERGE_MODES) }),
  head: z.strictObject({ ...base, ...init, kind: z.literal('head') }),
  saltHead: z.strictObject({
    ...base,
    ...init,
    kind: z.literal('saltHead'),
    lossWeight: z.number().gt(LIMITS.lossWeight.min).max(LIMITS.lossWeight.max),
    hidden: int(LIMITS.hidden).optional(),
  }),
} satisfies Record<NodeKind, z.ZodType<ArchNode>>;

/** An edge; `port` is optional and means `in` when absent. */
export const EDGE_SCHEMA = z.strictObject({
  from: z.string(),
  to: z.string(),
  port: z.enum(['in', 'skip']).optional(),
}) satisfies z.ZodType<Edge>;

/**
 * The document around the nodes and edges. `format` and `version` are checked before this runs,
 * and the nodes are checked one by one, so they are left opaque here.
 */
export const ENVELOPE_SCHEMA = z.strictObject({
  format: z.literal(ARCH_FORMAT),
  version: z.literal(ARCH_VERSION),
  name: z.string().min(1),
  description: z.string().optional(),
  init: z.enum(INITIALIZERS),
  nodes: z.array(z.unknown()),
  edges: z.array(z.unknown()),
});

