/**
 * Reading and writing designs as JSON. The parser is the boundary where untrusted files become an
 * {@link Architecture}: it returns every problem it can find, each with its JSON path.
 */
import { archError } from './errors';
import type { ArchError } from './errors';
import { describeValue, issuesToErrors } from './issues';
import { EDGE_SCHEMA, ENVELOPE_SCHEMA, NODE_SCHEMAS } from './schema';
import { ARCH_FORMAT, ARCH_VERSION, NODE_KINDS } from './types';
import type { ArchNode, Architecture, Edge, NodeKind } from './types';

/** Outcome of parsing: the design, or every error found. */
export type ParseResult = { ok: true; arch: Architecture } | { ok: false; errors: ArchError[] };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isKind(kind: unknown): kind is NodeKind {
  return typeof kind === 'string' && (NODE_KINDS as readonly string[]).includes(kind);
}

function parseNode(raw: unknown, i: number, errors: ArchError[]): ArchNode | undefined {
  const path = `nodes[${i}]`;
  if (!isRecord(raw)) {
    errors.push(archError('schema', `${path}: expected a node object, got ${describeValue(raw)}`, { path }));
    return undefined;
  }
  const id = typeof raw.id === 'string' ? raw.id : undefined;
  if (!isKind(raw.kind)) {
    const who = id === undefined ? path : `node "${id}" (${path})`;
    const msg =
      raw.kind === undefined
        ? `${who}: required field "kind" is missing`
        : `${who}: unknown kind ${describeValue(raw.kind)}; known kinds: ${NODE_KINDS.join(', ')}`;
    errors.push(archError(raw.kind === undefined ? 'schema' : 'unknown-kind', msg, { nodeId: id, path: `${path}.kind` }));
    return undefined;
  }
  const result = NODE_SCHEMAS[raw.kind].safeParse(raw);
  if (result.success) return result.data;
  errors.push(...issuesToErrors(result.error.issues, raw, ['nodes', i], id));
  return undefined;
}

/** Ids used more than once, and edges naming no node, judged on the raw document. */
function referenceErrors(rawNodes: readonly unknown[], edges: readonly Edge[]): ArchError[] {
  const errors: ArchError[] = [];
  const firstAt = new Map<string, number>();
  rawNodes.forEach((raw, i) => {
    if (!isRecord(raw) || typeof raw.id !== 'string') return;
    const first = firstAt.get(raw.id);
    if (first === undefined) firstAt.set(raw.id, i);
    else {
      errors.push(
        archError('duplicate-id', `nodes[${i}]: id "${raw.id}" is already used by nodes[${first}]`, {
          nodeId: raw.id,
          path: `nodes[${i}].id`,
        }),
      );
    }
  });
  edges.forEach((e, i) => {
    for (const end of ['from', 'to'] as const) {
      if (!firstAt.has(e[end])) {
        errors.push(
          archError('dangling-edge', `edges[${i}] (${e.from}->${e.to}): "${e[end]}" is not a node`, {
            edge: e,
            path: `edges[${i}].${end}`,
          }),
        );
      }
    }
  });
  return errors;
}

/**
 * Parses an already-decoded JSON value. `format` and `version` are checked first and stop the
 * parse, since the rest of a foreign or future document cannot be judged. Graph-level rules
 * (one input, reachability, shapes) are the validator's.
 */
export function parseArchitecture(json: unknown): ParseResult {
  if (!isRecord(json)) {
    return { ok: false, errors: [archError('schema', `expected a JSON object, got ${describeValue(json)}`, { path: '' })] };
  }
  if (json.format !== ARCH_FORMAT) {
    const msg = `not a Strata architecture: "format" is ${describeValue(json.format)}, expected "${ARCH_FORMAT}"`;
    return { ok: false, errors: [archError('format', msg, { path: 'format' })] };
  }
  if (json.version !== ARCH_VERSION) {
    const msg =
      json.version === undefined
        ? `the file has no schema version; this Strata reads version ${ARCH_VERSION}`
        : `schema version ${describeValue(json.version)} is not supported; this Strata reads version ${ARCH_VERSION}`;
    return { ok: false, errors: [archError('version', msg, { path: 'version' })] };
  }
  const envelope = ENVELOPE_SCHEMA.safeParse(json);
  if (!envelope.success) return { ok: false, errors: issuesToErrors(envelope.error.issues, json, []) };

  const errors: ArchError[] = [];
  const nodes: ArchNode[] = [];
  envelope.data.nodes.forEach((raw, i) => {
    const node = parseNode(raw, i, errors);
    if (node) nodes.push(node);
  });
  const edges: Edge[] = [];
  envelope.data.edges.forEach((raw, i) => {
    const r = EDGE_SCHEMA.safeParse(raw);
    if (r.success) edges.push(r.data);
    else errors.push(...issuesToErrors(r.error.issues, raw, ['edges', i]));
  });
  errors.push(...referenceErrors(envelope.data.nodes, edges));
  if (errors.length > 0) return { ok: false, errors };
  const { nodes: _n, edges: _e, ...rest } = envelope.data;
  return { ok: true, arch: { ...rest, nodes, edges } };
}

/** Parses JSON text; malformed JSON is a `bad-json` error carrying the JSON parser's message. */
export function parseArchitectureText(text: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return { ok: false, errors: [archError('bad-json', `not valid JSON: ${reason}`)] };
  }
  return parseArchitecture(json);
}

/** Key order of the saved form: identity first, then parameters, then canvas details. */
const KEY_ORDER = [
  'format',
  'version',
  'name',
  'description',
  'init',
  'id',
  'kind',
  'label',
  'channels',
  'height',
  'width',
  'blocks',
  'convs',
  'kernel',
  'convKernel',
  'filters',
  'stride',
  'mode',
  'bn',
  'bnAfterBlock',
  'match',
  'lossWeight',
  'hidden',
  'from',
  'to',
  'port',
  'position',
  'x',
  'y',
  'nodes',
  'edges',
];
const RANK = new Map(KEY_ORDER.map((k, i) => [k, i]));

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isRecord(value)) return value;
  const keys = Object.keys(value)
    .filter((k) => value[k] !== undefined)
    .sort((a, b) => (RANK.get(a) ?? KEY_ORDER.length) - (RANK.get(b) ?? KEY_ORDER.length) || a.localeCompare(b));
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = canonical(value[k]);
  return out;
}

/**
 * The saved form: 2-space JSON with a fixed key order, so equal designs give byte-equal files and
 * diffs stay small. Undefined fields are left out; `parseArchitecture` of the result equals `arch`.
 */
export function serializeArchitecture(arch: Architecture): string {
  return `${JSON.stringify(canonical(arch), null, 2)}\n`;
}
