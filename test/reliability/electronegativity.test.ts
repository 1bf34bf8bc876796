/**
 * Electronegativity (Doyensec's Electron security scanner) over the Electron shell. Every finding must
 * be fixed or justified in docs/security.md, in its table row `| CHECK_NAME | file | ... |`; a new
 * finding, or one that moved to another file, fails this test until it is looked at.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths';
import { scratchDir } from '../lab/helpers';

function electronVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules/electron/package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** CSV records; quoted fields may hold commas, doubled quotes and newlines (code samples do). */
function csvRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field.trim());
      field = '';
    } else if (c === '\n') {
      record.push(field.trim());
      records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || record.length > 0) records.push([...record, field.trim()]);
  return records;
}

describe('electronegativity on src-main/electron', () => {
  it('finds nothing that docs/security.md does not justify', () => {
    const out = path.join(scratchDir('eneg'), 'findings.csv');
    const bin = path.join(REPO_ROOT, 'node_modules/.bin/electronegativity');
    // -e: the installed Electron, so checks judge today's defaults (it cannot detect the version from .ts sources).
    const r = spawnSync(bin, ['-i', 'src-main/electron', '-o', out, '-r', '-v', 'false', '-e', electronVersion()], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const records = csvRecords(fs.readFileSync(out, 'utf8').trim());
    expect(records[0]?.slice(0, 5)).toEqual(['issue', 'severity', 'confidence', 'filename', 'location']);
    const findings = records.slice(1).map((f) => ({ issue: f[0] ?? '', file: f[3] ?? '', location: f[4] ?? '' }));
    // Every record is a whole finding: a check name and a file.
    for (const f of findings) expect(f.issue).toMatch(/^[A-Z_]+_CHECK$/);
    // The scanner parsed the shell: main.ts creates the window, so at least the window checks report on it.
    expect(findings.some((f) => f.file === 'main.ts')).toBe(true);
    const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs/security.md'), 'utf8');
    const unjustified = findings.filter((f) => !new RegExp(`^\\|\\s*\`?${f.issue}\`?\\s*\\|\\s*\`?${f.file.replace('.', '\\.')}\`?\\s*\\|`, 'm').test(doc));
    expect(unjustified).toEqual([]);
  });
});
