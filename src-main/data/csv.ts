/**
 * The two small CSV files of the TGS layout (`train.csv`, `depths.csv`): a fixed header, then
 * unquoted rows. LF and CRLF endings and a UTF-8 byte-order mark are accepted; fields may be wrapped
 * in double quotes.
 */

/** One data row with its 1-based line number in the file. */
export interface CsvRow {
  line: number;
  fields: string[];
}

/** The header line as found and the data rows (blank lines skipped). */
export interface CsvTable {
  header: string;
  headerFields: string[];
  rows: CsvRow[];
}

function unquote(field: string): string {
  const trimmed = field.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
}

/** Splits CSV text into a header and rows. */
export function parseCsv(text: string): CsvTable {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = lines[0] ?? '';
  const rows: CsvRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') continue;
    rows.push({ line: i + 1, fields: line.split(',').map(unquote) });
  }
  return { header, headerFields: header.split(',').map(unquote), rows };
}
