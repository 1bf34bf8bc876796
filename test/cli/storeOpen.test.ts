/**
 * A runs folder the CLI cannot read is a message naming the file and what to do, exit 2, never an
 * "internal error" with a stack trace; and the file is left as it was.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src-main/runs/sqlite';
import { RunStore } from '../../src-main/runs/store';
import { cliSandbox } from '../helpers/cli';

const { tmp, strata } = cliSandbox('store-open');
const ADVICE = 'Nothing in it was changed. Open it with a Strata that reads it, or point --runs-dir (or STRATA_RUNS_DIR) at another runs folder.\n';

describe('a runs folder strata cannot open', () => {
  it('says so for an index that is not a database, and leaves the file alone', () => {
    const dir = path.join(tmp, 'garbage');
    mkdirSync(dir);
    const index = path.join(dir, 'index.sqlite');
    writeFileSync(index, 'this is not a database\n'.repeat(200));
    const before = readFileSync(index);
    const r = strata('runs', 'list', '--runs-dir', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`strata: Cannot open the run index ${index}: file is not a database.\n${ADVICE}`);
    expect(r.stderr).not.toContain('internal error');
    expect(readFileSync(index).equals(before)).toBe(true);
  });

  it('says so for an index written by a newer Strata, and leaves its schema as it was', () => {
    const dir = path.join(tmp, 'newer');
    RunStore.open(dir).close();
    const index = path.join(dir, 'index.sqlite');
    const db = openDatabase(index);
    db.exec('UPDATE schema_version SET version = 99');
    db.close();
    const r = strata('runs', 'list', '--runs-dir', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^strata: ${index.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} was written by a newer Strata \\(index schema 99; this build knows up to \\d+\\)\\.\\n`));
    expect(r.stderr.endsWith(ADVICE)).toBe(true);
    const after = openDatabase(index);
    expect(after.prepare('SELECT version FROM schema_version').get()).toEqual({ version: 99 });
    after.close();
  });
});
