/**
 * Property-based fuzzing (issue 20 item 9) of the RLE decoder and the CSV readers: train.csv and
 * depths.csv through the whole import, and submissions through readRleCsv. Any input decodes or comes
 * back as problems naming the file and line; nothing throws but DatasetImportError.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRle, encodeRle } from '../../shared/data/rle';
import type { DatasetProblem } from '../../shared/data/types';
import { parseCsv } from '../../src-main/data/csv';
import { keyedRows, parseDecimal } from '../../src-main/data/csvTable';
import { readRleCsv } from '../../src-main/data/submission';
import { DatasetImportError, importTgsFolder } from '../../src-main/data/tgsImport';
import { greyPng, pattern } from '../data/pngFixtures';
import { tempDir } from '../helpers/tempDir';
import { fuzz } from './fuzzRuns';

/** Tokens an RLE string is made of: good numbers, edge numbers and things that are not numbers. */
const rleToken = fc.oneof(
  fc.integer({ min: 1, max: 40 }).map(String),
  fc.constantFrom('0', '-1', '+3', '1.5', '1e3', '0x10', '00012', '9007199254740993', '1'.repeat(400), '', 'NaN', '١', '3abc'),
  fc.string({ maxLength: 4 }),
);
const rleSeparator = fc.constantFrom(' ', '  ', '\t', '\u00a0', '\u2028', ' \n ');
const rleText = fc.oneof(
  fc.array(fc.tuple(rleToken, rleSeparator), { maxLength: 12 }).map((parts) => parts.map(([t, s]) => t + s).join('')),
  fc.string({ maxLength: 40 }),
);
const size = fc.integer({ min: 1, max: 9 });

describe('decodeRle', () => {
  it('decodes any string to a 0/1 mask that encodes back to itself, or says why not', async () => {
    await fuzz('decodeRle strings', fc.tuple(rleText, size, size), ([rle, h, w]) => {
      const r = decodeRle(rle, h, w);
      if (!r.ok) {
        expect(r.error).toMatch(/\S/);
        return;
      }
      expect(r.mask).toHaveLength(h * w);
      expect(r.mask.every((v) => v === 0 || v === 1)).toBe(true);
      const again = decodeRle(encodeRle(r.mask, h, w), h, w);
      expect(again.ok && Buffer.from(again.mask).equals(Buffer.from(r.mask))).toBe(true);
    });
  });

  it('round-trips every mask through encodeRle', async () => {
    const masks = fc.tuple(size, size).chain(([h, w]) => fc.tuple(fc.constant(h), fc.constant(w), fc.uint8Array({ min: 0, max: 1, minLength: h * w, maxLength: h * w })));
    await fuzz('encodeRle masks', masks, ([h, w, mask]) => {
      const r = decodeRle(encodeRle(mask, h, w), h, w);
      expect(r.ok && Buffer.from(r.mask).equals(Buffer.from(mask))).toBe(true);
    });
  });
});

/** A CSV made of lines that are each good, nearly good or garbage, with LF or CRLF and maybe a BOM. */
const idToken = fc.constantFrom('a', 'b', 'ghost', '', ' a ', '"a"', '"b', 'a"', '__proto__', 'constructor', '../a', 'A');
const csvLine = (header: string, value: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.tuple(idToken, value).map(([id, v]) => `${id},${v}`) },
    { weight: 1, arbitrary: fc.constant(header) },
    { weight: 1, arbitrary: fc.tuple(idToken, value, value).map((f) => f.join(',')) },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '\r', ',', '"', '\uFEFF') },
  );
const csvText = (header: string, value: fc.Arbitrary<string>) =>
  fc
    .tuple(
      fc.constantFrom(header, header.toUpperCase(), ` ${header} `, '', 'ImageId,EncodedPixels', `"${header.replace(',', '","')}"`),
      fc.array(csvLine(header, value), { maxLength: 8 }),
      fc.constantFrom('\n', '\r\n'),
      fc.boolean(),
      fc.boolean(),
    )
    .map(([head, lines, eol, bom, finalEol]) => `${bom ? '\uFEFF' : ''}${[head, ...lines].join(eol)}${finalEol ? eol : ''}`);
const depthValue = fc.oneof(fc.double().map(String), fc.constantFrom('', 'deep', '1e999', '-0', '0x10', ' 12 ', 'Infinity'), fc.string({ maxLength: 6 }));
const trainCsv = csvText('id,rle_mask', fc.oneof(rleText, fc.constantFrom('1 4', '2 3 9 2', '')));
const depthsCsv = csvText('id,z', depthValue);

/** Checks what every problem must be: a named file, a line within the file when it has one, a message starting with the file. */
function checkProblems(problems: readonly DatasetProblem[], lines: Record<string, number>): void {
  for (const p of problems) {
    expect(p.message.startsWith(p.file), p.message).toBe(true);
    if (p.line !== undefined) {
      expect(p.file in lines, p.file).toBe(true);
      expect(p.line).toBeGreaterThanOrEqual(1);
      expect(p.line).toBeLessThanOrEqual(lines[p.file] ?? 0);
    }
  }
}
const lineCount = (text: string) => text.split(/\r?\n/).length;

describe('CSV tables', () => {
  it('parseCsv and keyedRows take any text: every row kept or named by its line', async () => {
    await fuzz('parseCsv + keyedRows', fc.oneof(trainCsv, fc.string({ maxLength: 200 })), (text) => {
      const table = parseCsv(text);
      const problems: DatasetProblem[] = [];
      const rows = keyedRows(table, 'train.csv', problems, (raw) => raw);
      expect(rows.size + problems.length).toBe(table.rows.length);
      for (const [id, entry] of rows) {
        expect(id).not.toBe('');
        expect(table.rows.some((r) => r.line === entry.line)).toBe(true);
      }
      checkProblems(problems, { 'train.csv': lineCount(text) });
    });
  });

  it('the import takes any train.csv and depths.csv: a dataset with problems by line, or DatasetImportError', async () => {
    const root = tempDir('fuzz-csv');
    let n = 0;
    const img = greyPng(3, 4, pattern(12, 1));
    await fuzz(
      'import train.csv + depths.csv',
      fc.tuple(trainCsv, depthsCsv),
      async ([train, depths]) => {
        const dir = path.join(root, String(n++));
        mkdirSync(path.join(dir, 'images'), { recursive: true });
        writeFileSync(path.join(dir, 'images/a.png'), img);
        writeFileSync(path.join(dir, 'images/b.png'), img);
        writeFileSync(path.join(dir, 'train.csv'), train);
        writeFileSync(path.join(dir, 'depths.csv'), depths);
        const lines = { 'train.csv': lineCount(train), 'depths.csv': lineCount(depths) };
        try {
          const ds = await importTgsFolder(dir);
          expect(ds.ids.length).toBeGreaterThan(0);
          expect(ds.masks).toHaveLength(ds.ids.length * 12);
          checkProblems(ds.info.problems, lines);
          // A depth kept is the decimal number its row spells (parseFloat reads decimals only).
          const rows = keyedRows(parseCsv(depths), 'depths.csv', [], (raw) => raw);
          ds.ids.forEach((id, i) => {
            const z = ds.depths?.[i] ?? NaN;
            if (!Number.isNaN(z)) expect(parseFloat(rows.get(id)?.value ?? ''), `depth of ${id}`).toBe(z);
          });
        } catch (error) {
          if (!(error instanceof DatasetImportError)) throw error;
          expect(error.problems.length).toBeGreaterThan(0);
          checkProblems(error.problems, lines);
        }
      },
      0.05,
    );
  });

  it('readRleCsv (submissions, scored truth) takes any file: masks of the right size, or problems by line', async () => {
    const root = tempDir('fuzz-sub');
    let n = 0;
    await fuzz(
      'readRleCsv',
      fc.tuple(trainCsv, size, size),
      async ([text, h, w]) => {
        const file = path.join(root, `${n++}.csv`);
        writeFileSync(file, text);
        const table = await readRleCsv(file, h, w);
        for (const mask of table.masks.values()) expect(mask).toHaveLength(h * w);
        checkProblems(table.problems, { [path.basename(file)]: lineCount(text) });
      },
      0.1,
    );
  });

  // Regression cases of what the fuzzing found (each failed before its fix).
  it('a refused first row still claims its id: a later row is a duplicate, not a stand-in (found: "a," then "a,0" gave depth 0 after "the depth is unknown")', async () => {
    const dir = tempDir('fuzz-claim');
    mkdirSync(path.join(dir, 'images'));
    writeFileSync(path.join(dir, 'images/a.png'), greyPng(3, 4, pattern(12, 1)));
    writeFileSync(path.join(dir, 'depths.csv'), 'id,z\na,\na,0\n');
    const ds = await importTgsFolder(dir);
    expect(Array.from(ds.depths ?? [])).toEqual([NaN]);
    expect(ds.info.problems.map((p) => p.message)).toEqual([
      'depths.csv line 2: depth "" for a is not a number; the depth is unknown',
      'depths.csv line 3: id a already appeared on line 2; this row was ignored',
    ]);
    // The same in a submission: a row that does not decode is not replaced by a later one.
    writeFileSync(path.join(dir, 'sub.csv'), 'id,rle_mask\na,1 99\na,1 1\n');
    const sub = await readRleCsv(path.join(dir, 'sub.csv'), 4, 3);
    expect([...sub.masks.keys()]).toEqual([]);
    expect(sub.problems.map((p) => [p.code, p.line])).toEqual([
      ['bad-rle', 2],
      ['duplicate-id', 3],
    ]);
  });

  it('a depth is a decimal number (found: "0x10" was read as 16)', () => {
    expect(['12', ' 12 ', '-0.5', '.5', '5.', '1e3', '+7', '2E-2'].map(parseDecimal)).toEqual([12, 12, -0.5, 0.5, 5, 1000, 7, 0.02]);
    for (const bad of ['0x10', '0b1', '0o7', 'Infinity', '', ' ', '1e', '1_000', '12abc', '١٢']) expect(parseDecimal(bad), bad).toBeNaN();
  });
});

