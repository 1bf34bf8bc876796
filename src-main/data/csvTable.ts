/**
 * Reading the small CSV tables of the TGS layout and of Kaggle submissions (`id,<value>` rows) with
 * every problem reported by file and line: a wrong header, malformed rows, duplicate ids.
 */
import { readFile } from 'node:fs/promises';
import type { DatasetProblem } from '../../shared/data/types';
import { parseCsv } from './csv';
import type { CsvTable } from './csv';
import type { PngFailure } from './png';

/** Why a file could not be used: a PNG problem, or unreadable. */
export type FileFailure = PngFailure | { ok: false; code: 'unreadable'; detail: string };

/** A file's bytes, or why it cannot be read. */
export async function readBytes(file: string): Promise<Uint8Array | FileFailure> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'error';
    return { ok: false, code: 'unreadable', detail: `cannot be read (${code})` };
  }
}

function sameHeader(found: string[], expected: string[]): boolean {
  return found.length === expected.length && found.every((f, i) => f.trim().toLowerCase() === expected[i]);
}

/** Reads a CSV file, reporting a wrong header (and then ignoring the file). Null when unusable. */
export async function readTable(
  file: string,
  rel: string,
  expected: string[],
  problems: DatasetProblem[],
): Promise<CsvTable | null> {
  const bytes = await readBytes(file);
  if (!(bytes instanceof Uint8Array)) {
    problems.push({ code: 'unreadable', severity: 'error', file: rel, message: `${rel}: ${bytes.detail}` });
    return null;
  }
  const table = parseCsv(new TextDecoder().decode(bytes));
  if (!sameHeader(table.headerFields, expected)) {
    problems.push({
      code: 'bad-header',
      severity: 'error',
      file: rel,
      line: 1,
      message: `${rel}: header is "${table.header.slice(0, 80)}", expected "${expected.join(',')}"; the file was ignored`,
    });
    return null;
  }
  return table;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A finite decimal number (`12`, `-0.5`, `1e3`), or NaN: `Number` alone also reads `0x10`, `0b1` and `Infinity`. */
export function parseDecimal(raw: string): number {
  const text = raw.trim();
  return DECIMAL.test(text) ? Number(text) : NaN;
}

/** One keyed row's value and its line. */
export interface CsvEntry<T> {
  value: T;
  line: number;
}

/**
 * Rows of a two-column table keyed by id; bad and duplicate rows become problems. The first row of an
 * id claims it even when its value is refused, or its field count is wrong (`a,1 2,x`), so a later
 * row cannot quietly stand in for it. Such a bad row gets the value `badRow` gives (none without it).
 */
export function keyedRows<T>(
  table: CsvTable,
  rel: string,
  problems: DatasetProblem[],
  parse: (raw: string, id: string, line: number) => T | null,
  badRow?: (id: string, line: number) => T,
): Map<string, CsvEntry<T>> {
  const out = new Map<string, CsvEntry<T>>();
  const firstLine = new Map<string, number>();
  for (const row of table.rows) {
    const [id = '', raw = ''] = row.fields;
    if (row.fields.length !== 2 || id === '') {
      problems.push({
        code: 'bad-row',
        severity: 'error',
        file: rel,
        line: row.line,
        ...(id === '' ? {} : { id }),
        message: `${rel} line ${row.line}: expected 2 fields (${table.header.trim()}) with a non-empty id, found ${row.fields.length}`,
      });
      if (id !== '' && !firstLine.has(id)) {
        firstLine.set(id, row.line);
        if (badRow) out.set(id, { value: badRow(id, row.line), line: row.line });
      }
      continue;
    }
    const first = firstLine.get(id);
    if (first !== undefined) {
      problems.push({
        code: 'duplicate-id',
        severity: 'warning',
        file: rel,
        line: row.line,
        id,
        message: `${rel} line ${row.line}: id ${id} already appeared on line ${first}; this row was ignored`,
      });
      continue;
    }
    firstLine.set(id, row.line);
    const value = parse(raw, id, row.line);
    if (value !== null) out.set(id, { value, line: row.line });
  }
  return out;
}
