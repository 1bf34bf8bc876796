/**
 * The SQLite driver layer under the run store: the same behaviour on node:sqlite and on
 * better-sqlite3, for whichever of them this Node can load (Node 20: better-sqlite3; Node 24, the
 * Node of Electron 40: node:sqlite; test/runtime runs this file there too).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SqlDatabase, SqliteDriverName } from '../../src-main/runs/sqlite';
import { openDatabase, SQLITE_DRIVERS, SqliteDriverError, sqliteDriver } from '../../src-main/runs/sqlite';
import { scratchDir } from './helpers';

/** Whether this Node has node:sqlite without a flag (22.13 and newer, 23.4 and newer). */
function nodeHasSqlite(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 4) || (major === 22 && minor >= 13);
}

function loads(d: SqliteDriverName): boolean {
  try {
    return sqliteDriver({ STRATA_SQLITE: d }) === d;
  } catch (e) {
    if (e instanceof SqliteDriverError) return false;
    throw e;
  }
}

const available = SQLITE_DRIVERS.filter(loads);

describe('choosing the driver', () => {
  it('picks node:sqlite where this Node has it, else better-sqlite3', () => {
    expect(sqliteDriver({})).toBe(nodeHasSqlite() ? 'node' : 'better-sqlite3');
    expect(available).toContain(sqliteDriver({}));
  });

  it.skipIf(nodeHasSqlite())('says why a forced node:sqlite cannot be used on this Node', () => {
    expect(() => sqliteDriver({ STRATA_SQLITE: 'node' })).toThrow(SqliteDriverError);
    expect(() => sqliteDriver({ STRATA_SQLITE: 'node' })).toThrow(
      `STRATA_SQLITE=node, but node:sqlite is not available in Node ${process.versions.node} (it needs Node 22.13 or newer): No such built-in module: node:sqlite`,
    );
    expect(() => openDatabase(':memory:', { env: { STRATA_SQLITE: 'node' } })).toThrow(/STRATA_SQLITE=node, but node:sqlite is not available/);
  });

  it('refuses an unknown STRATA_SQLITE', () => {
    expect(() => sqliteDriver({ STRATA_SQLITE: 'sqlite3' })).toThrow('STRATA_SQLITE must be one of node, better-sqlite3; got "sqlite3"');
    expect(sqliteDriver({ STRATA_SQLITE: '' })).toBe(sqliteDriver({}));
  });
});

for (const driver of available) {
  describe(`driver ${driver}`, () => {
    const env = { STRATA_SQLITE: driver };
    const open = (file = ':memory:', opts: { readonly?: boolean; busyTimeoutMs?: number } = {}): SqlDatabase => openDatabase(file, { ...opts, env });
    const table = (db: SqlDatabase) => db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, x REAL)');

    it('returns plain-object rows, undefined for no row, and first-column values', () => {
      const db = open();
      expect(db.driver).toBe(driver);
      table(db);
      const ins = db.prepare('INSERT INTO t (name, x) VALUES (?, ?)');
      expect(ins.run('a', 1.5)).toEqual({ changes: 1 });
      ins.run('b', NaN);
      const row = db.prepare('SELECT * FROM t WHERE id = ?').get(1);
      expect(row).toStrictEqual({ id: 1, name: 'a', x: 1.5 });
      expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
      const all = db.prepare('SELECT * FROM t ORDER BY id').all();
      expect(all).toStrictEqual([{ id: 1, name: 'a', x: 1.5 }, { id: 2, name: 'b', x: null }]);
      expect(all.every((r) => Object.getPrototypeOf(r) === Object.prototype)).toBe(true);
      expect(db.prepare('SELECT * FROM t WHERE id = ?').get(9)).toBeUndefined();
      expect(db.prepare('SELECT COUNT(*) FROM t').value()).toBe(2);
      expect(db.prepare('SELECT 1 FROM t WHERE id = ?').value(9)).toBeUndefined();
      expect(() => db.prepare('SELECT id, name FROM t').value()).toThrow('value() needs a statement that returns one column: SELECT id, name FROM t');
      db.close();
    });

    it('binds named parameters, ignoring extra ones and refusing missing ones', () => {
      const db = open();
      table(db);
      db.prepare('INSERT INTO t (id, name, x) VALUES (@id, @name, @x)').run({ id: 7, name: 'n', x: 2, unused: 'ignored' });
      expect(db.prepare('SELECT name FROM t WHERE id = @id AND x = @x').value({ id: 7, x: 2 })).toBe('n');
      expect(() => db.prepare('INSERT INTO t (id, name) VALUES (@id, @name)').run({ id: 8 })).toThrow('Missing named parameter "name"');
      expect(db.prepare('SELECT COUNT(*) FROM t').value()).toBe(1);
      db.close();
    });

    it('commits a transaction that returns and rolls back one that throws, nested ones as savepoints', () => {
      const db = open();
      table(db);
      const ins = db.prepare('INSERT INTO t (name) VALUES (?)');
      const count = () => db.prepare('SELECT COUNT(*) FROM t').value();
      expect(db.transaction(() => (ins.run('a'), ins.run('b'), 'ok'))).toBe('ok');
      expect(count()).toBe(2);
      expect(() => db.transaction(() => {
        ins.run('c');
        throw new Error('boom');
      })).toThrow('boom');
      expect(count()).toBe(2);
      db.transaction(() => {
        ins.run('d');
        expect(() => db.transaction(() => {
          ins.run('e');
          throw new Error('inner');
        })).toThrow('inner');
        ins.run('f');
      });
      expect(db.prepare('SELECT name FROM t ORDER BY id').all().map((r) => r['name'])).toEqual(['a', 'b', 'd', 'f']);
      expect(() => db.transaction(() => Promise.resolve(ins.run('g')))).toThrow('A transaction function must be synchronous');
      expect(count()).toBe(4);
      // A failed statement that SQLite rolls back by itself leaves no transaction behind.
      expect(() => db.transaction(() => db.exec("INSERT INTO t (id) VALUES (1)"))).toThrow(/UNIQUE constraint failed/);
      db.transaction(() => ins.run('h'));
      expect(count()).toBe(5);
      db.close();
    });

    it('takes the write lock up front with immediate, so a second writer waits and then gets SQLITE_BUSY', () => {
      const file = path.join(scratchDir(`lock-${driver}`), 'x.sqlite');
      const a = open(file, { busyTimeoutMs: 50 });
      expect(a.pragma('journal_mode = WAL')).toBe('wal');
      expect(a.pragma('busy_timeout')).toBe(50);
      table(a);
      const b = open(file, { busyTimeoutMs: 50 });
      a.transaction(() => {
        const t0 = Date.now();
        expect(() => b.transaction(() => b.exec("INSERT INTO t (name) VALUES ('b')"), 'immediate')).toThrow(/database is locked/);
        expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
        a.exec("INSERT INTO t (name) VALUES ('a')");
      }, 'immediate');
      b.transaction(() => b.exec("INSERT INTO t (name) VALUES ('b')"), 'immediate');
      expect(b.prepare('SELECT name FROM t ORDER BY id').all().map((r) => r['name'])).toEqual(['a', 'b']);
      a.close();
      b.close();
    });

    it('sets pragmas, opens read-only files read-only and refuses a bad busy timeout', () => {
      const file = path.join(scratchDir(`ro-${driver}`), 'x.sqlite');
      const w = open(file);
      expect(w.pragma('journal_mode = WAL')).toBe('wal');
      w.pragma('synchronous = NORMAL');
      expect(w.pragma('synchronous')).toBe(1);
      w.pragma('foreign_keys = ON');
      expect(w.pragma('foreign_keys')).toBe(1);
      table(w);
      w.close();
      const r = open(file, { readonly: true });
      expect(r.prepare('SELECT COUNT(*) FROM t').value()).toBe(0);
      // The driver's own 'attempt to write a readonly database', with the file named (SqliteDiskError).
      expect(() => r.exec("INSERT INTO t (name) VALUES ('x')")).toThrow(`Could not write the run index ${file}: the file or its file system is read-only (SQLITE_READONLY)`);
      r.close();
      expect(() => open(path.join(path.dirname(file), 'absent.sqlite'), { readonly: true })).toThrow(/unable to open database file/);
      expect(() => open(':memory:', { busyTimeoutMs: -1 })).toThrow('busyTimeoutMs must be a non-negative integer, got -1');
    });
  });
}
