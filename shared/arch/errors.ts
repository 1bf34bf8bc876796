import type { Edge } from './types';

/**
 * Every kind of problem a design can have. One code per cause, so the designer can point at the
 * culprit and tests can tell the failures apart.
 */
export const ARCH_ERROR_CODES = [
  'bad-json',
  'schema',
  'format',
  'version',
  'unknown-kind',
  'duplicate-id',
  'dangling-edge',
  'cycle',
  'missing-input',
  'multiple-inputs',
  'missing-head',
  'multiple-heads',
  'multiple-salt-heads',
  'salt-head-input',
  'unreachable',
  'port',
  'channel-mismatch',
  'resolution-mismatch',
  'too-small',
  'bad-param',
  'bad-match',
] as const;

/** The code of an {@link ArchError}. */
export type ArchErrorCode = (typeof ARCH_ERROR_CODES)[number];

/**
 * One problem with a design. Errors are values, never thrown: the parser and the validator return
 * all of them at once so the user can fix a design in one pass.
 */
export interface ArchError {
  code: ArchErrorCode;
  /** Human-readable, self-contained: it names the node, edge or JSON path concerned. */
  message: string;
  /** The node the problem sits on, for highlighting it in the designer. */
  nodeId?: string;
  /** The edge the problem sits on. */
  edge?: Edge;
  /** JSON path in the parsed document, e.g. `nodes[3].kernel`. */
  path?: string;
}

/** Builds an {@link ArchError}, leaving out the locators that are not given. */
export function archError(
  code: ArchErrorCode,
  message: string,
  where: { nodeId?: string | undefined; edge?: Edge | undefined; path?: string | undefined } = {},
): ArchError {
  const e: ArchError = { code, message };
  if (where.nodeId !== undefined) e.nodeId = where.nodeId;
  if (where.edge !== undefined) e.edge = where.edge;
  if (where.path !== undefined) e.path = where.path;
  return e;
}

/** One line per error, for the CLI and logs: `[code] message`. */
export function formatArchErrors(errors: readonly ArchError[]): string {
  return errors.map((e) => `[${e.code}] ${e.message}`).join('\n');
}
