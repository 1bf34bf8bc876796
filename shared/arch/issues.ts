/**
 * Turns zod issues into {@link ArchError}s whose messages name the JSON path and, for nodes, the
 * node id; zod's own messages name neither.
 */
import type { z } from 'zod';
import { archError } from './errors';
import type { ArchError } from './errors';

/** `nodes[3].kernel` from `['nodes', 3, 'kernel']`. */
export function jsonPath(parts: readonly PropertyKey[]): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

/** A short, quoted rendering of a JSON value for messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return String(v);
}

function valueAt(root: unknown, parts: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/**
 * One error per zod issue. `prefix` is the path of `root` in the document; `nodeId` names the node
 * being checked, if any. Out-of-range and fractional numbers are `bad-param` (the field is there but
 * absurd); everything else is `schema`.
 */
export function issuesToErrors(
  issues: readonly z.core.$ZodIssue[],
  root: unknown,
  prefix: readonly PropertyKey[],
  nodeId?: string,
): ArchError[] {
  const errors: ArchError[] = [];
  for (const issue of issues) {
    const parts = [...prefix, ...issue.path];
    const path = jsonPath(parts);
    const value = valueAt(root, issue.path);
    const at = (field: string) =>
      nodeId === undefined ? field || 'the document' : `node "${nodeId}" (${field})`;
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          const keyPath = jsonPath([...parts, key]);
          errors.push(archError('schema', `${at(keyPath)}: unknown field "${key}"`, { nodeId, path: keyPath }));
        }
        break;
      case 'invalid_type':
        if (value === undefined) {
          errors.push(archError('schema', `${at(path)}: required field is missing`, { nodeId, path }));
        } else if (issue.expected === 'int' && typeof value === 'number') {
          errors.push(archError('bad-param', `${at(path)}: must be a whole number, got ${value}`, { nodeId, path }));
        } else {
          const expected = issue.expected === 'int' ? 'a whole number' : `a ${issue.expected}`;
          errors.push(
            archError('schema', `${at(path)}: expected ${expected}, got ${describeValue(value)}`, { nodeId, path }),
          );
        }
        break;
      case 'too_small':
      case 'too_big': {
        const small = issue.code === 'too_small';
        const bound = small ? issue.minimum : issue.maximum;
        if (issue.origin === 'string') {
          const msg = small ? 'must not be empty' : `must be at most ${bound} characters long`;
          errors.push(archError('schema', `${at(path)}: ${msg}`, { nodeId, path }));
        } else {
          // An exclusive bound (a loss weight above 0) reads "above", not "at least".
          const relation = issue.inclusive === false ? (small ? 'above' : 'below') : small ? 'at least' : 'at most';
          const msg = `must be ${relation} ${bound}, got ${describeValue(value)}`;
          errors.push(archError('bad-param', `${at(path)}: ${msg}`, { nodeId, path }));
        }
        break;
      }
      case 'invalid_format':
        errors.push(
          archError(
            'schema',
            `${at(path)}: ${describeValue(value)} may use only letters, digits, "_" and "-"`,
            { nodeId, path },
          ),
        );
        break;
      case 'invalid_value': {
        const allowed = issue.values.map((v) => JSON.stringify(v)).join(', ');
        const msg = `must be ${issue.values.length === 1 ? allowed : `one of ${allowed}`}, got ${describeValue(value)}`;
        errors.push(archError('schema', `${at(path)}: ${msg}`, { nodeId, path }));
        break;
      }
      default:
        errors.push(archError('schema', `${at(path)}: ${issue.message}`, { nodeId, path }));
    }
  }
  return errors;
}
