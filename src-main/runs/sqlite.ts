/**
 * The SQLite driver under the run store: Node's built-in `node:sqlite` wherever it exists (Electron
 * 40's Node 24, any Node >= 22.13), better-sqlite3 only where it does not (Node 20: the CLI,
 * `npm run lab` and `npm test` here). The desktop app therefore never loads a native addon compiled
 * for the Node that ran `npm ci`.
 *
 * The interface covers exactly what the store and its schema use, with one behaviour on both drivers:
 * rows are plain objects, a missing named parameter throws (node:sqlite would bind NULL), extra named
 * parameters are ignored, transactions (deferred or `BEGIN IMMEDIATE`, nested as savepoints) are run
 * here rather than by either driver, and the busy timeout is set with `PRAGMA busy_timeout`.
 *
 * `STRATA_SQLITE=node|better-sqlite3` forces a driver (tests use it); a forced driver that cannot be
 * loaded is an error, never a silent fallback. better-sqlite3 is loaded lazily so that the bundled
 * Electron main process and trainer never touch it.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

/** The drivers, as `STRATA_SQLITE` names them. */
export const SQLITE_DRIVERS = ['node', 'better-sqlite3'] as const;
export type SqliteDriverName = (typeof SQLITE_DRIVERS)[number];

/** What SQLite can bind. */
export type SqlValue = null | number | bigint | string | Uint8Array;
/** Positional values, or one object of named values (`@name`, `:name` or `$name` in the SQL, the bare name as key). */
export type SqlParams = SqlValue[] | [Readonly<Record<string, SqlValue>>];

/** A row: column name to value, a plain object on both drivers. */
export type SqlRow = Record<string, unknown>;

export interface SqlStatement {
  run(...params: SqlParams): { changes: number };
  /** The first row, or undefined when there is none. */
  get(...params: SqlParams): SqlRow | undefined;
  all(...params: SqlParams): SqlRow[];
  /** The first column of the first row (undefined when there is no row); the statement must return one column. */
  value(...params: SqlParams): unknown;
}

export interface SqlDatabase {
  /** The driver this connection runs on. */
  readonly driver: SqliteDriverName;
  readonly file: string;
  prepare(sql: string): SqlStatement;
  /** Runs one or more statements that return nothing. */
  exec(sql: string): void;
  /** `PRAGMA <text>`: the first column of its first row, undefined when it returns none. */
  pragma(text: string): unknown;
  /**
   * Runs `fn` in a transaction: committed when it returns, rolled back when it throws. `immediate`
   * takes the write lock up front (`BEGIN IMMEDIATE`). Inside another transaction it is a savepoint.
   */
  transaction<T>(fn: () => T, mode?: 'deferred' | 'immediate'): T;
  close(): void;
}

export interface OpenOptions {
  readonly?: boolean;
  /** Milliseconds to wait for another connection's lock before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** The environment whose `STRATA_SQLITE` is read. */
  env?: NodeJS.ProcessEnv;
}

/** A driver that was asked for (or needed) and cannot be used here. */
export class SqliteDriverError extends Error {
  override readonly name = 'SqliteDriverError';
}

const DISK_PROBLEMS: Record<string, string> = {
  SQLITE_FULL: 'no space left on the device',
  SQLITE_READONLY: 'the file or its file system is read-only',
  SQLITE_IOERR: 'input/output error (a failing or full disk)',
  SQLITE_CANTOPEN: 'the file cannot be opened',
};
/** SQLite's primary result codes of the problems above, as node:sqlite reports them (`errcode`). */
const PRIMARY_CODES: Record<number, string> = { 8: 'SQLITE_READONLY', 10: 'SQLITE_IOERR', 13: 'SQLITE_FULL', 14: 'SQLITE_CANTOPEN' };

/**
 * The disk refused the index (full, read-only, failing): the message names the file and the
 * problem, as AtomicWriteError does for the store's other files. SQLite has undone the statement
 * or transaction that failed; what was committed before is intact.
 */
export class SqliteDiskError extends Error {
  override readonly name = 'SqliteDiskError';
  constructor(
    readonly file: string,
    /** The primary SQLite code: SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR or SQLITE_CANTOPEN. */
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`Could not write the run index ${file}: ${DISK_PROBLEMS[code] ?? 'disk error'} (${code})`, options);
  }
}

/** The primary code of a driver error that {@link SqliteDiskError} covers, else null. */
function diskCode(e: unknown): string | null {
  if (!(e instanceof Error)) return null;
  const { code, errcode } = e as { code?: unknown; errcode?: unknown };
  // better-sqlite3: `code` is the (extended) name, SQLITE_IOERR_WRITE; node:sqlite: `errcode` is the number.
  const name = typeof errcode === 'number' ? PRIMARY_CODES[errcode & 0xff] : typeof code === 'string' ? code.replace(/^(SQLITE_[A-Z]+?)(_[A-Z_]+)?$/, '$1') : undefined;
  return name !== undefined && name in DISK_PROBLEMS ? name : null;
}

// --- node:sqlite, typed here: @types/node 20 does not describe it -----------------------------

interface NodeStatementSync {
  run(...params: unknown[]): { changes: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  setAllowUnknownNamedParameters?(enabled: boolean): void;
  setReturnArrays?(enabled: boolean): void;
}
interface NodeDatabaseSync {
  prepare(sql: string): NodeStatementSync;
  exec(sql: string): void;
  close(): void;
  readonly isTransaction?: boolean;
}
interface NodeSqliteModule {
  DatabaseSync: new (file: string, opts?: { readOnly?: boolean }) => NodeDatabaseSync;
}

const nodeRequire = createRequire(import.meta.url);
const runtime = `Node ${process.versions.node}`;

let nodeSqlite: NodeSqliteModule | Error | undefined;
let betterSqlite: typeof BetterSqlite3 | Error | undefined;

/** Loads `node:sqlite`, keeping its own "SQLite is an experimental feature" warning (and only that one) quiet. */
function loadNodeSqlite(): NodeSqliteModule | Error {
  if (nodeSqlite !== undefined) return nodeSqlite;
  const emit = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
    const text = typeof warning === 'string' ? warning : warning.message;
    const type = typeof warning === 'string' ? (typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: unknown } | undefined)?.type) : warning.name;
    if (type === 'ExperimentalWarning' && text.startsWith('SQLite is an experimental feature')) return;
    (emit as (...a: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    nodeSqlite = nodeRequire('node:sqlite') as NodeSqliteModule;
  } catch (e) {
    nodeSqlite = new Error(
      `node:sqlite is not available in ${runtime} (it needs Node 22.13 or newer): ${e instanceof Error ? e.message : String(e)}`,
    );
  } finally {
    process.emitWarning = emit;
  }
  return nodeSqlite;
}

/** Loads better-sqlite3 on first use only; its native addon must match this Node's ABI. */
function loadBetterSqlite3(): typeof BetterSqlite3 | Error {
  if (betterSqlite !== undefined) return betterSqlite;
  try {
    const Ctor = nodeRequire('better-sqlite3') as typeof BetterSqlite3;
    // The package loads its native addon only when a database is opened: open one to find out.
    new Ctor(':memory:').close();
    betterSqlite = Ctor;
  } catch (e) {
    betterSqlite = new Error(`better-sqlite3 cannot be loaded in ${runtime}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return betterSqlite;
}

/**
 * The driver to use: the one `STRATA_SQLITE` forces, else node:sqlite when this Node has it, else
 * better-sqlite3. Throws {@link SqliteDriverError} when the forced (or every) driver is unavailable.
 */
export function sqliteDriver(env: NodeJS.ProcessEnv = process.env): SqliteDriverName {
  const forced = env['STRATA_SQLITE'];
  if (forced) {
    if (!(SQLITE_DRIVERS as readonly string[]).includes(forced)) {
      throw new SqliteDriverError(`STRATA_SQLITE must be one of ${SQLITE_DRIVERS.join(', ')}; got "${forced}"`);
    }
    const loaded = forced === 'node' ? loadNodeSqlite() : loadBetterSqlite3();
    if (loaded instanceof Error) throw new SqliteDriverError(`STRATA_SQLITE=${forced}, but ${loaded.message}`);
    return forced as SqliteDriverName;
  }
  const n = loadNodeSqlite();
  if (!(n instanceof Error)) return 'node';
  const b = loadBetterSqlite3();
  if (!(b instanceof Error)) return 'better-sqlite3';
  throw new SqliteDriverError(`No SQLite driver works in ${runtime}: ${n.message}; ${b.message}`);
}

/** Opens (creating unless read-only) the database `file` on the driver {@link sqliteDriver} picks. */
export function openDatabase(file: string, opts: OpenOptions = {}): SqlDatabase {
  const driver = sqliteDriver(opts.env);
  const conn: Connection = driver === 'node' ? openNode(file, opts) : openBetter(file, opts);
  const db = new Database(driver, file, conn);
  if (opts.busyTimeoutMs !== undefined) {
    if (!Number.isInteger(opts.busyTimeoutMs) || opts.busyTimeoutMs < 0) {
      db.close();
      throw new RangeError(`busyTimeoutMs must be a non-negative integer, got ${opts.busyTimeoutMs}`);
    }
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs}`);
  }
  return db;
}

// --- one connection, whichever the driver -------------------------------------------------------

/** What differs between the drivers; everything else is built on it once, in {@link Database}. */
interface Connection {
  prepare(sql: string): SqlStatement;
  exec(sql: string): void;
  pragma(text: string): unknown;
  /** Whether SQLite has a transaction open; undefined when the driver cannot say. */
  inTransaction(): boolean | undefined;
  close(): void;
}

function openBetter(file: string, opts: OpenOptions): Connection {
  const Ctor = loadBetterSqlite3();
  if (Ctor instanceof Error) throw new SqliteDriverError(Ctor.message);
  // better-sqlite3's own default timeout (5 s) is replaced by PRAGMA busy_timeout when one is given.
  const db = new Ctor(file, { readonly: opts.readonly === true, fileMustExist: opts.readonly === true });
  return {
    prepare(sql) {
      const st = db.prepare(sql);
      const reader = st.reader;
      const call = <T>(name: string, f: () => T): T => {
        if (!reader) throw new TypeError(`${name}() needs a statement that returns rows: ${sql}`);
        return f();
      };
      return {
        run: (...p) => {
          const r = st.run(...p);
          return { changes: r.changes };
        },
        get: (...p) => call('get', () => st.get(...p) as SqlRow | undefined),
        all: (...p) => call('all', () => st.all(...p) as SqlRow[]),
        value: (...p) =>
          call('value', () => {
            if (st.columns().length !== 1) throw new TypeError(`value() needs a statement that returns one column: ${sql}`);
            st.pluck(true);
            try {
              return st.get(...p);
            } finally {
              st.pluck(false);
            }
          }),
      };
    },
    exec: (sql) => void db.exec(sql),
    pragma: (text) => db.pragma(text, { simple: true }),
    inTransaction: () => db.inTransaction,
    close: () => db.close(),
  };
}

/** The named parameters (bare names) of `sql`, outside string literals and quoted identifiers. */
function namedParameters(sql: string): string[] {
  const bare = sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*/g, ' ');
  return [...new Set([...bare.matchAll(/[@:$]([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? ''))];
}

function openNode(file: string, opts: OpenOptions): Connection {
  const mod = loadNodeSqlite();
  if (mod instanceof Error) throw new SqliteDriverError(mod.message);
  const db = new mod.DatabaseSync(file, { readOnly: opts.readonly === true });
  const plain = (r: unknown): SqlRow | undefined => (r === undefined ? undefined : { ...(r as SqlRow) });
  return {
    prepare(sql) {
      const st = db.prepare(sql);
      // As better-sqlite3: extra named values are ignored, a missing one is an error (not a NULL).
      st.setAllowUnknownNamedParameters?.(true);
      const names = namedParameters(sql);
      const check = (p: SqlParams): SqlParams => {
        if (names.length === 0) return p;
        const obj = p[0];
        if (p.length !== 1 || obj === null || typeof obj !== 'object' || obj instanceof Uint8Array) {
          throw new RangeError(`this statement takes named parameters (${names.map((n) => `@${n}`).join(', ')}), given in one object: ${sql}`);
        }
        for (const n of names) if (!Object.hasOwn(obj, n)) throw new RangeError(`Missing named parameter "${n}"`);
        return p;
      };
      return {
        run: (...p) => ({ changes: Number(st.run(...check(p)).changes) }),
        get: (...p) => plain(st.get(...check(p))),
        all: (...p) => st.all(...check(p)).map((r) => plain(r) as SqlRow),
        value: (...p) => {
          // Rows as arrays where this Node can (24 can), so two columns of one name still count as two.
          st.setReturnArrays?.(true);
          let row: unknown;
          try {
            row = st.get(...check(p));
          } finally {
            st.setReturnArrays?.(false);
          }
          if (row === undefined) return undefined;
          const values = Array.isArray(row) ? row : Object.values(row as SqlRow);
          if (values.length !== 1) throw new TypeError(`value() needs a statement that returns one column: ${sql}`);
          return values[0] as unknown;
        },
      };
    },
    exec: (sql) => db.exec(sql),
    pragma: (text) => {
      const row = db.prepare(`PRAGMA ${text}`).get() as SqlRow | undefined;
      return row === undefined ? undefined : Object.values(row)[0];
    },
    inTransaction: () => (typeof db.isTransaction === 'boolean' ? db.isTransaction : undefined),
    close: () => db.close(),
  };
}

class Database implements SqlDatabase {
  private depth = 0;

  constructor(
    readonly driver: SqliteDriverName,
    readonly file: string,
    private readonly conn: Connection,
  ) {}

  /** Runs `f`, turning a disk's refusal into a {@link SqliteDiskError} that names the file. */
  private guard<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      const code = e instanceof SqliteDiskError ? null : diskCode(e);
      if (code === null) throw e;
      throw new SqliteDiskError(this.file, code, { cause: e });
    }
  }

  prepare(sql: string): SqlStatement {
    const st = this.guard(() => this.conn.prepare(sql));
    return {
      run: (...p) => this.guard(() => st.run(...p)),
      get: (...p) => this.guard(() => st.get(...p)),
      all: (...p) => this.guard(() => st.all(...p)),
      value: (...p) => this.guard(() => st.value(...p)),
    };
  }

  exec(sql: string): void {
    this.guard(() => this.conn.exec(sql));
  }

  pragma(text: string): unknown {
    return this.guard(() => this.conn.pragma(text));
  }

  transaction<T>(fn: () => T, mode: 'deferred' | 'immediate' = 'deferred'): T {
    const outer = this.depth === 0;
    const savepoint = `strata_tx_${this.depth}`;
    this.exec(outer ? (mode === 'immediate' ? 'BEGIN IMMEDIATE' : 'BEGIN') : `SAVEPOINT ${savepoint}`);
    this.depth++;
    try {
      const result = fn();
      if (typeof (result as { then?: unknown } | null)?.then === 'function') {
        throw new TypeError('A transaction function must be synchronous (it returned a promise)');
      }
      this.exec(outer ? 'COMMIT' : `RELEASE ${savepoint}`);
      return result;
    } catch (e) {
      this.rollback(outer, savepoint);
      throw e;
    } finally {
      this.depth--;
    }
  }

  /** Undoes the failed transaction, unless SQLite already did (it rolls back on some errors by itself). */
  private rollback(outer: boolean, savepoint: string): void {
    if (this.conn.inTransaction() === false) return;
    try {
      this.conn.exec(outer ? 'ROLLBACK' : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
    } catch (e) {
      // The driver could not tell whether SQLite had already rolled back; only that case is expected.
      if (!(e instanceof Error && /no transaction is active|no such savepoint/.test(e.message))) throw e;
    }
  }

  close(): void {
    this.conn.close();
  }
}
